//! The mutational engine: a seeded RNG, byte mutations, a small corpus that
//! grows with inputs showing a new behaviour, and a run loop that catches
//! panics per input and a watchdog that catches hangs.
//!
//! Deterministic on purpose: the same seed, target and input count replay
//! the same inputs (no clock decides anything but the hang watchdog), so a
//! failure in CI reproduces with the command it printed.

use std::collections::HashSet;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, Instant};

use crate::Target;

/// xoshiro256** seeded through splitmix64: fast, good enough for mutation
/// choices, and the seed is passed in (no clock, no OS randomness).
#[derive(Debug, Clone)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Rng {
        let mut x = seed;
        let mut next = || {
            x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        Rng {
            s: [next(), next(), next(), next()],
        }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let r = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        r
    }

    /// Uniform in `0..n` (`n` > 0; 0 gives 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        ((self.next_u64() as u128 * n as u128) >> 64) as usize
    }

    /// True with probability 1/n.
    pub fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }
}

/// FNV-1a, for input names and behaviour signatures.
pub fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Bytes that mean something to the parsers under test.
const INTERESTING_BYTES: &[u8] = &[
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x0A, 0x0D, 0x10, 0x15, 0x1B, 0x1D, 0x20, b'"',
    b'\\', b'0', b'1', b'9', b'-', b'.', b',', b':', b'[', b']', b'{', b'}', b'=', 0x7F, 0x80,
    0xC3, 0xFF,
];

/// Tokens every text target gets besides its own dictionary.
const COMMON_TOKENS: &[&[u8]] = &[
    b"0",
    b"-1",
    b"-0",
    b"1e300",
    b"-1e300",
    b"NaN",
    b"inf",
    b"18446744073709551615",
    b"18446744073709551616",
    b"9223372036854775808",
    b"4294967296",
    b"79228162514264337593543950335",
    b"-79228162514264337593543950335",
    b"79228162514264337593543950336",
    b"0.0000000000000000000000000001",
    b"99999999999999999999999999999999999",
    b"null",
    b"true",
    b"\"\"",
    b"[]",
    b"{}",
    b"\\u0000",
    b"\\ud800",
    b"\xc3\xa9",
    b"\xe2\x82\xac",
];

/// Numbers that overflow or underflow something, swapped in for digit runs.
const NUMBERS: &[&[u8]] = &[
    b"0",
    b"1",
    b"-1",
    b"255",
    b"256",
    b"65535",
    b"65536",
    b"4294967295",
    b"18446744073709551615",
    b"99999999999999999999",
    b"79228162514264337593543950335",
    b"1e300",
    b"0.000000000000000000000000001",
    b"1000000000",
    b"-1000000000000",
];

/// One random change to `data`, kept under `max_len` bytes.
pub fn mutate_once(
    rng: &mut Rng,
    data: &mut Vec<u8>,
    corpus: &[Vec<u8>],
    dict: &[&[u8]],
    max_len: usize,
) {
    let pick_token = |rng: &mut Rng| -> &[u8] {
        let n = dict.len() + COMMON_TOKENS.len();
        let i = rng.below(n);
        if i < dict.len() {
            dict[i]
        } else {
            COMMON_TOKENS[i - dict.len()]
        }
    };
    let len = data.len();
    match rng.below(13) {
        // Flip a bit.
        0 if len > 0 => {
            let i = rng.below(len);
            data[i] ^= 1 << rng.below(8);
        }
        // A random byte.
        1 if len > 0 => {
            let i = rng.below(len);
            data[i] = rng.next_u64() as u8;
        }
        // An interesting byte.
        2 if len > 0 => {
            let i = rng.below(len);
            data[i] = INTERESTING_BYTES[rng.below(INTERESTING_BYTES.len())];
        }
        // Insert random or interesting bytes.
        3 => {
            let at = rng.below(len + 1);
            let n = 1 + rng.below(8);
            let bytes: Vec<u8> = (0..n)
                .map(|_| {
                    if rng.one_in(2) {
                        INTERESTING_BYTES[rng.below(INTERESTING_BYTES.len())]
                    } else {
                        rng.next_u64() as u8
                    }
                })
                .collect();
            data.splice(at..at, bytes);
        }
        // Delete a range.
        4 if len > 0 => {
            let at = rng.below(len);
            let n = 1 + rng.below((len - at).min(16));
            data.drain(at..at + n);
        }
        // Copy a range elsewhere (repeats structure: more lines, more events).
        5 if len > 0 => {
            let at = rng.below(len);
            let n = 1 + rng.below((len - at).min(64));
            let chunk = data[at..at + n].to_vec();
            let to = rng.below(len + 1);
            data.splice(to..to, chunk);
        }
        // Splice with another corpus entry.
        6 if !corpus.is_empty() => {
            let other = &corpus[rng.below(corpus.len())];
            let cut = rng.below(len + 1);
            let from = rng.below(other.len() + 1);
            data.truncate(cut);
            data.extend_from_slice(&other[from..]);
        }
        // Insert a dictionary token.
        7 | 8 => {
            let at = rng.below(len + 1);
            let tok = pick_token(rng).to_vec();
            data.splice(at..at, tok);
        }
        // Overwrite with a dictionary token.
        9 if len > 0 => {
            let tok = pick_token(rng);
            let at = rng.below(len);
            let end = (at + tok.len()).min(len);
            data.splice(at..end, tok.iter().copied());
        }
        // Truncate.
        10 if len > 0 => {
            let n = rng.below(len);
            data.truncate(n);
        }
        // Replace a run of digits with an edge number.
        11 => {
            let starts: Vec<usize> = (0..len)
                .filter(|&i| data[i].is_ascii_digit() && (i == 0 || !data[i - 1].is_ascii_digit()))
                .collect();
            if !starts.is_empty() {
                let s = starts[rng.below(starts.len())];
                let e = (s..len).find(|&i| !data[i].is_ascii_digit()).unwrap_or(len);
                let num = NUMBERS[rng.below(NUMBERS.len())];
                data.splice(s..e, num.iter().copied());
            }
        }
        // Add or subtract a little from a byte.
        _ if len > 0 => {
            let i = rng.below(len);
            let d = 1 + rng.below(16) as u8;
            data[i] = if rng.one_in(2) {
                data[i].wrapping_add(d)
            } else {
                data[i].wrapping_sub(d)
            };
        }
        _ => data.push(rng.next_u64() as u8),
    }
    data.truncate(max_len);
}

/// How a run is asked for.
#[derive(Debug, Clone)]
pub struct Options {
    /// Inputs to run (seeds and regressions included).
    pub inputs: u64,
    /// RNG seed.
    pub seed: u64,
    /// One input taking longer than this is a hang: it is saved and the
    /// process stops (a hung thread cannot be interrupted).
    pub hang: Duration,
    /// Stop early after this long (the report says how far it got).
    pub max_time: Option<Duration>,
    /// Where crashing and hanging inputs are saved (`DIR/TARGET/`); `None`:
    /// not saved (tests that only check there are none).
    pub save_dir: Option<PathBuf>,
    /// Print progress every this many inputs (0: never).
    pub progress_every: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            inputs: 20_000,
            seed: 1,
            hang: Duration::from_secs(10),
            max_time: None,
            save_dir: None,
            progress_every: 0,
        }
    }
}

/// One distinct panic seen.
#[derive(Debug, Clone)]
pub struct Crash {
    /// The panic message with its location.
    pub message: String,
    /// The first input that raised it, where it was saved.
    pub saved: Option<PathBuf>,
    /// The input itself (capped for the report).
    pub input: Vec<u8>,
    /// How many inputs raised it.
    pub count: u64,
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct Report {
    pub target: &'static str,
    pub inputs: u64,
    pub panics: u64,
    pub crashes: Vec<Crash>,
    pub seconds: f64,
    /// The slowest single input, microseconds.
    pub slowest_us: u64,
    pub corpus: usize,
    /// Largest input run, bytes.
    pub max_input: usize,
}

impl Report {
    /// Inputs per second.
    pub fn rate(&self) -> f64 {
        self.inputs as f64 / self.seconds.max(1e-9)
    }
}

thread_local! {
    static LAST_PANIC: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
    static QUIET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Panics inside a fuzzed input are recorded, not printed (millions would
/// flood the terminal); anywhere else they print as usual.
fn install_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if QUIET.with(|q| q.get()) {
                let msg = match info.payload().downcast_ref::<&str>() {
                    Some(s) => s.to_string(),
                    None => match info.payload().downcast_ref::<String>() {
                        Some(s) => s.clone(),
                        None => "non-string panic".to_string(),
                    },
                };
                let at = info
                    .location()
                    .map(|l| format!("{}:{}", l.file(), l.line()))
                    .unwrap_or_default();
                LAST_PANIC.with(|p| *p.borrow_mut() = Some(format!("{msg} (at {at})")));
            } else {
                previous(info);
            }
        }));
    });
}

/// Runs `input` through `target`: `Err(message)` if it panicked.
pub fn run_one(target: &Target, input: &[u8]) -> Result<u64, String> {
    install_hook();
    QUIET.with(|q| q.set(true));
    let r = catch_unwind(AssertUnwindSafe(|| (target.run)(input)));
    QUIET.with(|q| q.set(false));
    r.map_err(|_| {
        LAST_PANIC
            .with(|p| p.borrow_mut().take())
            .unwrap_or_else(|| "panic".into())
    })
}

/// Saves `input` under `dir/target/prefix-HASH` (named by content, so the
/// same input saved twice is one file).
pub fn save(dir: &Path, target: &str, prefix: &str, input: &[u8]) -> Option<PathBuf> {
    let d = dir.join(target);
    std::fs::create_dir_all(&d).ok()?;
    let p = d.join(format!("{prefix}-{:016x}", fnv(input)));
    std::fs::write(&p, input).ok()?;
    Some(p)
}

/// What tells two panics apart: where they happened and how the message
/// starts (assertion messages go on with the values, different each time).
fn crash_key(message: &str) -> (String, String) {
    let at = message
        .rsplit_once("(at ")
        .map_or(String::new(), |(_, a)| a.to_string());
    (message.chars().take(60).collect(), at)
}

/// Shared between the run loop and its watchdog.
struct Watch {
    /// Nanoseconds since `base` when the current input started; 0: idle.
    started: AtomicU64,
    done: AtomicBool,
    input: Mutex<Vec<u8>>,
}

fn watchdog(
    w: Arc<Watch>,
    base: Instant,
    hang: Duration,
    target: &'static str,
    dir: Option<PathBuf>,
) {
    while !w.done.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(50).min(hang / 4));
        let s = w.started.load(Ordering::Relaxed);
        if s == 0 {
            continue;
        }
        let running = base.elapsed().saturating_sub(Duration::from_nanos(s));
        if running > hang && w.started.load(Ordering::Relaxed) == s {
            let input = w.input.lock().map(|i| i.clone()).unwrap_or_default();
            let saved = dir.as_deref().and_then(|d| save(d, target, "hang", &input));
            eprintln!(
                "HANG in target {target}: one input ran over {} ms ({} bytes{}); stopping",
                hang.as_millis(),
                input.len(),
                saved
                    .map(|p| format!(", saved to {}", p.display()))
                    .unwrap_or_default()
            );
            // A thread stuck in a loop cannot be stopped from outside.
            std::process::exit(3);
        }
    }
}

/// Fuzzes `target` as `opts` says: its seeds and saved regressions first,
/// then mutations of the corpus.
pub fn fuzz(target: &Target, opts: &Options) -> Report {
    let mut rng = Rng::new(opts.seed ^ fnv(target.name.as_bytes()));
    let mut corpus: Vec<Vec<u8>> = (target.seeds)();
    corpus.extend(crate::regressions(target.name));
    corpus.retain(|c| c.len() <= target.max_len);
    if corpus.is_empty() {
        corpus.push(Vec::new());
    }
    let fixed = corpus.len();
    let base = Instant::now();
    let watch = Arc::new(Watch {
        started: AtomicU64::new(0),
        done: AtomicBool::new(false),
        input: Mutex::new(Vec::new()),
    });
    let dog = {
        let w = watch.clone();
        let (hang, name, dir) = (opts.hang, target.name, opts.save_dir.clone());
        std::thread::spawn(move || watchdog(w, base, hang, name, dir))
    };
    let mut seen: HashSet<u64> = HashSet::new();
    let mut report = Report {
        target: target.name,
        inputs: 0,
        panics: 0,
        crashes: Vec::new(),
        seconds: 0.0,
        slowest_us: 0,
        corpus: 0,
        max_input: 0,
    };
    let mut input = Vec::with_capacity(target.max_len);
    let mut i = 0u64;
    while i < opts.inputs {
        if i % 1024 == 0 {
            if let Some(m) = opts.max_time {
                if base.elapsed() > m {
                    break;
                }
            }
        }
        input.clear();
        if (i as usize) < fixed {
            input.extend_from_slice(&corpus[i as usize]);
        } else {
            input.extend_from_slice(&corpus[rng.below(corpus.len())]);
            let stack = 1 << rng.below(4);
            let n = 1 + rng.below(stack);
            for _ in 0..n {
                mutate_once(&mut rng, &mut input, &corpus, target.dict, target.max_len);
            }
        }
        report.max_input = report.max_input.max(input.len());
        if let Ok(mut slot) = watch.input.lock() {
            slot.clear();
            slot.extend_from_slice(&input);
        }
        let t0 = base.elapsed();
        watch
            .started
            .store(t0.as_nanos().max(1) as u64, Ordering::Relaxed);
        let r = run_one(target, &input);
        let took = base.elapsed() - t0;
        watch.started.store(0, Ordering::Relaxed);
        report.slowest_us = report.slowest_us.max(took.as_micros() as u64);
        match r {
            Ok(sig) => {
                if seen.len() < 1 << 16 && seen.insert(sig) && corpus.len() < 4096 {
                    corpus.push(input.clone());
                }
            }
            Err(message) => {
                report.panics += 1;
                let key = crash_key(&message);
                match report
                    .crashes
                    .iter_mut()
                    .find(|c| crash_key(&c.message) == key)
                {
                    Some(c) => c.count += 1,
                    None => {
                        let saved = opts
                            .save_dir
                            .as_deref()
                            .and_then(|d| save(d, target.name, "crash", &input));
                        report.crashes.push(Crash {
                            message,
                            saved,
                            input: input.iter().copied().take(4096).collect(),
                            count: 1,
                        });
                    }
                }
            }
        }
        i += 1;
        if opts.progress_every > 0 && i % opts.progress_every == 0 {
            eprintln!(
                "{}: {i} inputs, {:.0}/s, {} panics, corpus {}",
                target.name,
                i as f64 / base.elapsed().as_secs_f64(),
                report.panics,
                corpus.len()
            );
        }
    }
    watch.done.store(true, Ordering::Relaxed);
    let _ = dog.join();
    report.inputs = i;
    report.seconds = base.elapsed().as_secs_f64();
    report.corpus = corpus.len();
    report
}

/// The process's peak resident memory (VmHWM), KiB, where Linux says it.
pub fn max_rss_kib() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_mutations() {
        let run = |seed| {
            let mut rng = Rng::new(seed);
            let mut d = b"{\"a\":[1,2,3]}".to_vec();
            for _ in 0..200 {
                mutate_once(&mut rng, &mut d, &[b"xyz".to_vec()], &[b"tok"], 64);
            }
            d
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
        assert!(run(7).len() <= 64);
    }

    #[test]
    fn below_stays_in_range() {
        let mut rng = Rng::new(3);
        assert!((0..10_000).all(|_| rng.below(7) < 7));
        assert_eq!(rng.below(0), 0);
    }
}
