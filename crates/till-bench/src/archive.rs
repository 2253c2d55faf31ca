//! `--only archive`: the auditor's verifier (`comptoir-verify`) on the year
//! 2026 of the bench's journal, once exported, against a bare SHA-256 of the
//! same `events.csv` bytes read from the same disk (issue 16 target: at
//! least 500,000 events/s).

use anyhow::{Context, Result};
use std::path::Path;
use std::time::Instant;
use till_core::records::ClosingKind;
use till_journal::{Journal, OpenOptions};

fn cpu_seconds() -> f64 {
    // utime + stime of this process, from /proc/self/stat (fields 14, 15).
    let ticks = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let rest = s.rsplit_once(')')?.1.to_string();
            let f: Vec<&str> = rest.split_whitespace().collect();
            Some(f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?)
        })
        .unwrap_or(0.0);
    ticks / 100.0
}

pub fn bench_archive(base: &Path, db: &Path) -> Result<()> {
    let ro = Journal::open_read_only(db)?;
    let opts = OpenOptions {
        terminal_id: ro.terminal_id().to_string(),
        shop_id: ro.shop_id().to_string(),
        key_path: till::simulate::key_path_for(db),
        software_version: till::VERSION.to_string(),
    };
    drop(ro);
    let j = Journal::open_without_pins(db, opts)?;
    let out = base.join("archive");
    let t = Instant::now();
    let now = chrono::DateTime::parse_from_rfc3339("2028-01-02T09:00:00+01:00")?;
    let w = j
        .export_archive(now, ClosingKind::Year, "2026", &out, till::VERSION)
        .context("exporting 2026 (the bench journal must reach 2027)")?;
    let export_s = t.elapsed().as_secs_f64();
    let events_csv = w.dir.join(comptoir_chain::archive::EVENTS);
    let bytes = std::fs::metadata(&events_csv)?.len();
    println!(
        "\narchive of 2026: {} events (seq {} to {}), events.csv {:.0} MB, exported in {:.1} s",
        w.events,
        w.first_seq,
        w.last_seq,
        bytes as f64 / 1e6,
        export_s
    );
    let rounds = 3;
    let (mut base_s, mut ver_s, mut ver_cpu) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        let t = Instant::now();
        let data = std::fs::read(&events_csv)?;
        use sha2::Digest;
        let d = sha2::Sha256::digest(&data);
        std::hint::black_box(d);
        base_s.push(t.elapsed().as_secs_f64());
        let c = cpu_seconds();
        let t = Instant::now();
        let r = comptoir_verify::verify(&w.dir, &comptoir_verify::Options::default())
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        ver_s.push(t.elapsed().as_secs_f64());
        ver_cpu.push(cpu_seconds() - c);
        anyhow::ensure!(
            r.ok,
            "the bench archive does not verify: {:?}",
            r.problems.first()
        );
    }
    let med = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (b, v, c) = (med(&mut base_s), med(&mut ver_s), med(&mut ver_cpu));
    let eps = w.events as f64 / v;
    println!(
        "  baseline: read + SHA-256 of events.csv: median {b:.3} s = {:.0} MB/s",
        bytes as f64 / 1e6 / b
    );
    println!(
        "  comptoir-verify (manifest, every hash, link, signature, payload, closing totals): median {v:.3} s wall, {c:.2} CPU-s = {eps:.0} events/s (target >= 500000)"
    );
    println!(
        "  RATIO verify / bare SHA-256 of the file: {:.2}",
        v / b.max(1e-9)
    );
    Ok(())
}
