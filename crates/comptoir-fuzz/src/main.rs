//! `fuzz`: runs comptoir's fuzz targets and reports inputs, panics, hangs,
//! speed and peak memory per target.
//!
//! Several targets run one after the other, each in a child process of its
//! own: a hang (which stops the process) or a memory blow-up in one target
//! does not hide the others, and each target's peak memory is its own.

use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::time::Duration;

use anyhow::{bail, Context};
use clap::Parser;
use comptoir_fuzz::engine::{self, Options};
use comptoir_fuzz::targets::ALL;

#[derive(Parser, Debug, Clone)]
#[command(about = "Fuzz comptoir's parsers (stable toolchain, no cargo-fuzz)")]
struct Cli {
    /// Target names, comma-separated, or "all" (see --list).
    #[arg(long, default_value = "all")]
    target: String,
    /// Inputs per target (seeds and saved regressions included).
    #[arg(long, default_value_t = 1_000_000)]
    inputs: u64,
    /// RNG seed: the same seed replays the same inputs.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// An input running longer than this is a hang (saved, run stopped).
    #[arg(long, default_value_t = 10_000)]
    hang_ms: u64,
    /// Stop each target after this many seconds, whatever --inputs says.
    #[arg(long)]
    max_seconds: Option<f64>,
    /// Share this many seconds between the targets: each gets what is left
    /// divided by the targets still to run (a fast target's unused time
    /// goes to the slower ones after it).
    #[arg(long)]
    total_seconds: Option<f64>,
    /// Where failing inputs go [default: the crate's regressions/ folder,
    /// which the test suite replays].
    #[arg(long)]
    save_dir: Option<PathBuf>,
    /// Print progress every N inputs.
    #[arg(long, default_value_t = 0)]
    progress: u64,
    /// List the targets and exit.
    #[arg(long)]
    list: bool,
    /// Run FILE through the (single) target and show what happens.
    #[arg(long)]
    replay: Option<PathBuf>,
    /// Run in this process (what each child does).
    #[arg(long, hide = true)]
    child: bool,
}

/// One target's line of the summary.
struct Line {
    target: String,
    inputs: u64,
    panics: u64,
    hang: bool,
    seconds: f64,
    slowest_ms: f64,
    rss_mib: f64,
    detail: Vec<String>,
}

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("fuzz: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run() -> anyhow::Result<bool> {
    let cli = Cli::parse();
    if cli.list {
        for t in ALL {
            println!("{:<18} {}", t.name, t.about);
        }
        return Ok(true);
    }
    let names: Vec<&str> = if cli.target == "all" {
        ALL.iter().map(|t| t.name).collect()
    } else {
        cli.target.split(',').map(str::trim).collect()
    };
    for n in &names {
        if comptoir_fuzz::find(n).is_none() {
            bail!("no target {n:?}: see --list");
        }
    }
    if let Some(file) = &cli.replay {
        let [name] = names[..] else {
            bail!("--replay needs exactly one --target");
        };
        let t = comptoir_fuzz::find(name).context("target")?;
        let input = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
        return Ok(match engine::run_one(t, &input) {
            Ok(sig) => {
                println!("{name}: ok (signature {sig:016x})");
                true
            }
            Err(msg) => {
                println!("{name}: PANIC {msg}");
                false
            }
        });
    }
    if cli.child {
        let [name] = names[..] else {
            bail!("a child runs one target");
        };
        child(&cli, name);
        return Ok(true);
    }
    let mut lines = Vec::new();
    let start = std::time::Instant::now();
    let n = names.len();
    for (i, name) in names.into_iter().enumerate() {
        let mut c = Cli { ..cli.clone() };
        if let Some(total) = cli.total_seconds {
            let left = (total - start.elapsed().as_secs_f64()).max(1.0);
            let share = left / (n - i) as f64;
            c.max_seconds = Some(c.max_seconds.map_or(share, |m| m.min(share)));
        }
        eprintln!(
            "== {name}: up to {} inputs{}",
            c.inputs,
            c.max_seconds
                .map_or(String::new(), |s| format!(", at most {s:.0} s"))
        );
        lines.push(spawn(&c, name)?);
    }
    print_summary(&cli, &lines);
    Ok(lines.iter().all(|l| l.panics == 0 && !l.hang))
}

fn child(cli: &Cli, name: &str) {
    let t = comptoir_fuzz::find(name).expect("checked by the parent");
    let opts = Options {
        inputs: cli.inputs,
        seed: cli.seed,
        hang: Duration::from_millis(cli.hang_ms),
        max_time: cli.max_seconds.map(Duration::from_secs_f64),
        save_dir: Some(
            cli.save_dir
                .clone()
                .unwrap_or_else(comptoir_fuzz::regressions_dir),
        ),
        progress_every: cli.progress,
    };
    let r = engine::fuzz(t, &opts);
    let rss = engine::max_rss_kib().unwrap_or(0);
    // One machine-readable line for the parent, the details on stderr.
    println!(
        "REPORT {} {} {} {:.3} {} {}",
        r.target, r.inputs, r.panics, r.seconds, r.slowest_us, rss
    );
    for c in &r.crashes {
        eprintln!(
            "PANIC x{} {}\n  input ({} bytes): {:?}\n  saved: {}",
            c.count,
            c.message,
            c.input.len(),
            String::from_utf8_lossy(&c.input[..c.input.len().min(300)]),
            c.saved
                .as_ref()
                .map_or("not saved".into(), |p| p.display().to_string())
        );
        println!("CRASH {}", c.message.replace('\n', " "));
    }
}

fn spawn(cli: &Cli, name: &str) -> anyhow::Result<Line> {
    let exe = std::env::current_exe().context("finding the fuzz binary")?;
    let mut cmd = Command::new(exe);
    cmd.args(["--child", "--target", name])
        .args(["--inputs", &cli.inputs.to_string()])
        .args(["--seed", &cli.seed.to_string()])
        .args(["--hang-ms", &cli.hang_ms.to_string()])
        .args(["--progress", &cli.progress.to_string()]);
    if let Some(s) = cli.max_seconds {
        cmd.args(["--max-seconds", &s.to_string()]);
    }
    if let Some(d) = &cli.save_dir {
        cmd.arg("--save-dir").arg(d);
    }
    let out = cmd
        .stderr(std::process::Stdio::inherit())
        .output()
        .with_context(|| format!("running target {name}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let mut line = Line {
        target: name.to_string(),
        inputs: 0,
        panics: 0,
        hang: false,
        seconds: 0.0,
        slowest_ms: 0.0,
        rss_mib: 0.0,
        detail: Vec::new(),
    };
    for l in stdout.lines() {
        let f: Vec<&str> = l.split_whitespace().collect();
        match f.first() {
            Some(&"REPORT") if f.len() == 7 => {
                line.inputs = f[2].parse().unwrap_or(0);
                line.panics = f[3].parse().unwrap_or(0);
                line.seconds = f[4].parse().unwrap_or(0.0);
                line.slowest_ms = f[5].parse::<f64>().unwrap_or(0.0) / 1000.0;
                line.rss_mib = f[6].parse::<f64>().unwrap_or(0.0) / 1024.0;
            }
            Some(&"CRASH") => line.detail.push(l[6..].to_string()),
            Some(&"NOTE") => line.detail.push(l[5..].to_string()),
            _ => {}
        }
    }
    if !out.status.success() {
        // Exit 3 is the watchdog; anything else (abort, OOM kill) is as bad.
        line.hang = out.status.code() == Some(3);
        if !line.hang {
            line.detail
                .push(format!("the target's process ended with {}", out.status));
            line.panics = line.panics.max(1);
        }
    }
    Ok(line)
}

fn print_summary(cli: &Cli, lines: &[Line]) {
    println!(
        "\nseed {}, inputs asked {} per target{}",
        cli.seed,
        cli.inputs,
        match (cli.max_seconds, cli.total_seconds) {
            (_, Some(t)) => format!(", {t} s shared between the targets"),
            (Some(s), None) => format!(", at most {s} s per target"),
            (None, None) => String::new(),
        }
    );
    println!("| target | inputs | panics | hangs | seconds | inputs/s | slowest input ms | max RSS MiB |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for l in lines {
        println!(
            "| {} | {} | {} | {} | {:.1} | {:.0} | {:.2} | {:.1} |",
            l.target,
            l.inputs,
            l.panics,
            l.hang as u8,
            l.seconds,
            l.inputs as f64 / l.seconds.max(1e-9),
            l.slowest_ms,
            l.rss_mib
        );
    }
    for l in lines {
        for d in &l.detail {
            println!("{}: {d}", l.target);
        }
    }
}
