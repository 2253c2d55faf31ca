//! `till diag printer render FILE`: a captured ESC/POS stream back to
//! paper text, reading a bounded amount of whatever FILE is.

use anyhow::Context;
use serde_json::json;
use till_devices::escpos::Interpreter;

use super::common::print_json;
use super::RenderArgs;

/// At most `max` bytes of `path`, or an error saying the file is larger:
/// never the whole of whatever the path names (`/dev/zero` has no end).
fn read_bounded(path: &str, max: u64) -> anyhow::Result<Vec<u8>> {
    use std::io::Read;
    let file = std::fs::File::open(path).with_context(|| format!("reading {path}"))?;
    let mut bytes = Vec::new();
    file.take(max.saturating_add(1))
        .read_to_end(&mut bytes)
        .with_context(|| format!("reading {path}"))?;
    if bytes.len() as u64 > max {
        anyhow::bail!(
            "{path} is larger than {max} bytes, the most `printer render` reads: a capture \
             is a few KiB per receipt. Render a smaller capture, or raise the limit with \
             --max-bytes if this one is genuine"
        );
    }
    Ok(bytes)
}

/// `till diag printer render FILE`
pub fn printer_render(a: &RenderArgs) -> anyhow::Result<i32> {
    let bytes = read_bounded(&a.file, a.max_bytes)?;
    let bytes = if a.file.ends_with(".hex") {
        let text = String::from_utf8(bytes).context("hex file is not text")?;
        till_devices::error::parse_hex(&text).map_err(|e| anyhow::anyhow!("{}: {e}", a.file))?
    } else {
        bytes
    };
    let mut paper = Interpreter::new(a.width);
    paper.feed(&bytes);
    if a.json {
        print_json(&json!({
            "bytes": bytes.len(),
            "lines": paper.lines,
            "events": paper.events,
            "incomplete_tail": till_devices::error::hex(paper.pending()),
        }));
    } else {
        println!("{}", paper.text());
        if !paper.pending().is_empty() {
            println!(
                "(stream ends inside a command: {})",
                till_devices::error::hex(paper.pending())
            );
        }
        let unknown = paper
            .events
            .iter()
            .filter(|e| matches!(e, till_devices::escpos::Event::Unknown(_)))
            .count();
        eprintln!(
            "{} bytes, {} lines, {} events ({unknown} unknown commands)",
            bytes.len(),
            paper.lines.len(),
            paper.events.len()
        );
    }
    Ok(0)
}
