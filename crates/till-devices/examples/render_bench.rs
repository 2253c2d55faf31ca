//! Benchmark: render a 40-line receipt to ESC/POS (target: at most 1 ms) and
//! measure the bytes sent against the minimal encoding (target: at most 1.2x).
//!
//!     cargo run --release -p till-devices --example render_bench

use std::time::{Duration, Instant};

use till_devices::escpos::core_receipt::{render_receipt, sample_receipt};
use till_devices::escpos::receipt::{render, sample, Layout};

/// Bytes spent on style commands (ESC a, ESC E, GS !): everything a plain
/// text encoding of the same content would not need. Text bytes never hold
/// 1B or 1D (the encoder turns control characters into spaces), so counting
/// these 3-byte commands is exact.
fn style_bytes(b: &[u8]) -> usize {
    let mut n = 0;
    let mut i = 0;
    while i + 2 < b.len() {
        if matches!((b[i], b[i + 1]), (0x1B, b'a') | (0x1B, b'E') | (0x1D, b'!')) {
            n += 3;
            i += 3;
        } else {
            i += 1;
        }
    }
    n
}

fn measure(name: &str, mut f: impl FnMut() -> Vec<u8>) {
    let bytes = f();
    for _ in 0..200 {
        std::hint::black_box(f());
    }
    let mut times: Vec<Duration> = (0..2000)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(f());
            t.elapsed()
        })
        .collect();
    times.sort();
    let median = times[times.len() / 2];
    let p99 = times[times.len() * 99 / 100];
    let minimal = bytes.len() - style_bytes(&bytes);
    println!(
        "{name}: {} bytes, minimal {minimal}, ratio {:.3}; render median {:?}, p99 {:?} (target <= 1 ms, <= 1.2x)",
        bytes.len(),
        bytes.len() as f64 / minimal as f64,
        median,
        p99
    );
}

fn main() {
    let domain = sample_receipt(40);
    measure("till_core Receipt, 40 lines", || {
        render_receipt(&domain, Layout::default()).unwrap_or_default()
    });
    let doc = sample(40);
    measure("ReceiptDoc, 40 lines", || {
        render(&doc, Layout::default()).unwrap_or_default()
    });
}
