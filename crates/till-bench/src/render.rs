//! `--only render`: rendering a 40-line receipt to ESC/POS (issue target: at
//! most 1 ms) and the bytes it sends (target: at most 1.2 times the minimal
//! encoding of the same content).
//!
//! Baseline, measured in the same run and interleaved round by round with
//! the render so both see the same machine load: encoding the receipt's
//! printed text (the paper as the printer simulator reads it back) to PC858
//! as plain bytes, i.e. the least work any renderer of that text must do.
//! The render is reported as a ratio to it, plus its absolute time against
//! the 1 ms target.

use std::time::{Duration, Instant};

use anyhow::Result;
use till_devices::escpos::core_receipt::{minimal_encoding_len, render_receipt, sample_receipt};
use till_devices::escpos::receipt::Layout;
use till_devices::escpos::{pc858, Interpreter};

/// Repetitions per timed batch: one render is tens of microseconds, so a
/// batch keeps the timer's resolution out of the figure.
const BATCH: u32 = 20;

fn batch(f: &mut impl FnMut() -> usize) -> Duration {
    let t = Instant::now();
    for _ in 0..BATCH {
        std::hint::black_box(f());
    }
    t.elapsed() / BATCH
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Run the render benchmark with `rounds` interleaved batches per side.
pub fn bench_render(rounds: usize) -> Result<()> {
    let receipt = sample_receipt(40);
    let layout = Layout::default();
    let bytes = render_receipt(&receipt, layout)?;
    let minimal = minimal_encoding_len(&receipt, layout)?;
    let mut paper = Interpreter::new(layout.width);
    paper.feed(&bytes);
    let text = paper.text() + "\n";

    let mut render = || render_receipt(&receipt, layout).map_or(0, |b| b.len());
    let mut plain = || {
        let mut out = Vec::with_capacity(text.len());
        pc858::encode_into(&text, &mut out);
        out.len()
    };
    // Warm both up (allocator, caches) before measuring.
    for _ in 0..50 {
        batch(&mut render);
        batch(&mut plain);
    }
    let (mut r, mut p) = (Vec::with_capacity(rounds), Vec::with_capacity(rounds));
    for _ in 0..rounds.max(1) {
        p.push(batch(&mut plain));
        r.push(batch(&mut render));
    }
    let r99 = {
        let mut s = r.clone();
        s.sort();
        s[(s.len() * 99 / 100).min(s.len() - 1)]
    };
    let (r, p) = (median(r), median(p));
    println!("\nrender: a 40-line receipt (till_core::Receipt) to ESC/POS, {rounds} interleaved rounds of {BATCH}");
    println!(
        "  baseline: PC858-encode its printed text as plain bytes ({} bytes): median {:.1} us",
        text.len(),
        p.as_secs_f64() * 1e6
    );
    println!(
        "  render: median {:.1} us (p99 {:.1} us) = {:.2}x the baseline; target <= 1 ms: {}",
        r.as_secs_f64() * 1e6,
        r99.as_secs_f64() * 1e6,
        r.as_secs_f64() / p.as_secs_f64(),
        if r <= Duration::from_millis(1) {
            "met"
        } else {
            "MISSED"
        }
    );
    let ratio = bytes.len() as f64 / minimal as f64;
    println!(
        "  bytes: {} sent, minimal encoding {minimal} (hand-counted from the receipt model) = {ratio:.3}x; target <= 1.2x: {}",
        bytes.len(),
        if ratio <= 1.2 { "met" } else { "MISSED" }
    );
    Ok(())
}
