//! Printer and scanner bytes (crates/till-devices): the ESC/POS interpreter
//! behind `till diag printer render`, printer status replies, serial scanner
//! framing and evdev (keyboard-wedge) records.

use std::time::{Duration, Instant};

use till_devices::escpos::status::{
    AutoStatus, ErrorCause, OfflineCause, PaperStatus, PrinterStatus,
};
use till_devices::escpos::{DrawerPin, Interpreter, Printer};
use till_devices::scanner::{
    validate, AimMode, FrameConfig, Framer, SerialScanner, Suffix, WedgeDecoder, WedgeScanner,
    INPUT_EVENT_SIZE,
};

use super::{ScriptLink, Sig};
use crate::Target;

/// Widths `till.toml` allows in practice (58 mm and 80 mm paper, fonts A/B),
/// and the degenerate ones.
const WIDTHS: [usize; 8] = [48, 42, 32, 64, 0, 1, 2, 255];

/// What the text rendering of a stream may cost, per input byte: a
/// `ESC d 255` feeds 254 blank lines from 3 bytes and `GS ! 0x77` makes
/// each character 8 columns, so the bound is generous, but it is a bound.
const MAX_LINES_PER_BYTE: usize = 90;

pub const ESCPOS_RENDER: Target = Target {
    name: "escpos-render",
    about:
        "ESC/POS interpreter (till diag printer render, printer simulator), .hex fixture parsing",
    max_len: 64 * 1024,
    seeds: || {
        let mut v: Vec<Vec<u8>> = crate::hw_fixtures("receipts", "")
            .into_iter()
            .map(|r| {
                let mut x = vec![0u8];
                x.extend(r);
                x
            })
            .collect();
        // The .hex text itself, parsed as `render FILE.hex` does.
        for (p, b) in crate::files_in(&crate::repo_dir().join("hw-fixtures/receipts")) {
            if p.extension().is_some_and(|e| e == "hex") {
                let mut x = vec![0x80u8];
                x.extend(b);
                v.push(x);
            }
        }
        v
    },
    dict: &[
        b"\x1b@",
        b"\x1bt\x13",
        b"\x1ba\x01",
        b"\x1bE\x01",
        b"\x1bd\xff",
        b"\x1bp\x00\x19\xfa",
        b"\x1b!\x30",
        b"\x1dV\x41\x03",
        b"\x1d!\x77",
        b"\x1dk\x02",
        b"\x1dk\x49\x0c{B",
        b"\x1d(k\x03\x001P0",
        b"\x1d(k\x03\x001Q0",
        b"\x1d(H\x06\x0000",
        b"\x1dv0\x00\x02\x00\x03\x00",
        b"\x1dv0\x00\xff\xff\xff\xff",
        b"\x10\x04\x01",
        b"\x10\x14\x01\x00\x02",
        b"\x1da\x0f",
        b"# comment\n",
        b"\"text\"",
    ],
    run: escpos_render,
};

fn render_all(width: usize, bytes: &[u8], chunks: &[usize]) -> Interpreter {
    let mut paper = Interpreter::new(width);
    let mut rest = bytes;
    for &c in chunks {
        let (a, b) = rest.split_at(c.min(rest.len()));
        paper.feed(a);
        rest = b;
    }
    paper.feed(rest);
    paper
}

fn escpos_render(input: &[u8]) -> u64 {
    let Some((&mode, body)) = input.split_first() else {
        return 0;
    };
    let width = WIDTHS[(mode & 7) as usize];
    let mut sig = Sig::default();
    let hexed;
    let bytes = if mode & 0x80 != 0 {
        // `render FILE.hex`: the fixture text first.
        match std::str::from_utf8(body).map(till_devices::error::parse_hex) {
            Ok(Ok(b)) => {
                hexed = b;
                sig.add(1);
                &hexed[..]
            }
            Ok(Err(e)) => return sig.err(&e).get(),
            Err(_) => return 0,
        }
    } else {
        body
    };
    let whole = render_all(width, bytes, &[]);
    // Streaming: the same bytes split anywhere render the same paper.
    let step = 1 + (mode as usize >> 3 & 0x0F);
    let chunks: Vec<usize> = (0..bytes.len() / step).map(|_| step).collect();
    let split = render_all(width, bytes, &chunks);
    assert_eq!(whole.lines, split.lines, "chunking changed the paper");
    assert_eq!(whole.events, split.events, "chunking changed the events");
    assert_eq!(
        whole.pending(),
        split.pending(),
        "chunking changed the tail"
    );
    let text = whole.text();
    let json = serde_json::to_string(&whole.events).expect("events serialise");
    assert!(
        whole.lines.len() <= MAX_LINES_PER_BYTE * bytes.len() + 1,
        "{} lines from {} bytes",
        whole.lines.len(),
        bytes.len()
    );
    sig.add(whole.events.len().min(16) as u64)
        .add(whole.lines.len().min(8) as u64)
        .add(whole.pending().len().min(4) as u64)
        .add((text.len() > 0) as u64)
        .add(json.len().min(2) as u64);
    for e in whole.events.iter().take(8) {
        sig.add(crate::engine::fnv(
            format!("{e:?}").get(..6).unwrap_or("").as_bytes(),
        ));
    }
    sig.get()
}

pub const PRINTER_STATUS: Target = Target {
    name: "printer-status",
    about: "printer status replies: DLE EOT bytes, ASB blocks, GS ( H answers, through the Printer driver",
    max_len: 4 * 1024,
    seeds: || twice(crate::hw_fixtures("status", ""), 0x41),
    dict: &[
        b"\x12",
        b"\x16",
        b"\x1a",
        b"\x32",
        b"\x72",
        b"\x10\x00\x00\x00",
        b"\x14\x00\x0c\x00",
        b"\x37\x22\x30\x30\x30\x31\x00",
        b"\x11",
        b"\x13",
    ],
    run: printer_status,
};

fn printer_status(input: &[u8]) -> u64 {
    let Some((&mode, replies)) = input.split_first() else {
        return 0;
    };
    let mut sig = Sig::default();
    // The decoders over every byte they can meet.
    for &b in replies.iter().take(16) {
        sig.add(PrinterStatus::decode(b).is_ok() as u64)
            .add(OfflineCause::decode(b).is_ok() as u64)
            .add(ErrorCause::decode(b).is_ok() as u64)
            .add(PaperStatus::decode(b).is_ok() as u64);
    }
    if let Some(block) = replies.get(..4) {
        let block: [u8; 4] = block.try_into().expect("4 bytes");
        if let Ok(a) = AutoStatus::decode(block) {
            sig.add(a.paper_end as u64 + 2);
        }
    }
    // The driver, reading the replies as they come off the wire.
    let chunk = 1 + (mode as usize & 3) * 7;
    let link = ScriptLink::new(replies, chunk, u32::from(mode >> 4 & 3));
    let mut p = Printer::new(link, Duration::from_secs(5))
        .with_retries(u32::from(mode >> 2 & 1))
        .with_print_wait(Duration::from_secs(30));
    match mode >> 6 {
        0 => match p.full_status() {
            Ok(s) => {
                sig.add(s.ready() as u64).add(s.problems().len() as u64);
            }
            Err(e) => {
                sig.err(&e);
            }
        },
        1 => match p.print_receipt(b"hello\n") {
            Ok(()) => {
                sig.add(3);
            }
            Err(e) => {
                sig.add(e.partly_printed() as u64).err(&e);
            }
        },
        _ => match p.kick_checked(DrawerPin::Pin2, 100, 200) {
            Ok(how) => {
                sig.str(&format!("{how:?}"));
            }
            Err(e) => {
                sig.err(&e);
            }
        },
    }
    sig.add(p.last_auto_status.is_some() as u64);
    sig.get()
}

pub const SCANNER_SERIAL: Target = Target {
    name: "scanner-serial",
    about: "serial scanner framing (prefix, AIM, CR/LF, idle, overflow) and barcode validation",
    max_len: 2 * 1024,
    seeds: || twice(crate::hw_fixtures("scanner", "serial"), 0x13),
    dict: &[
        b"\r",
        b"\r\n",
        b"]E0",
        b"]E4",
        b"]C1",
        b"]e0",
        b"]Q3",
        b"\x1d",
        b"\x02",
        b"4006381333931",
        b"96385074",
        b"0103012345678900",
        b"(01)",
        b"17261231",
        b"3103000123",
    ],
    run: scanner_serial,
};

fn frame_config(mode: u8) -> FrameConfig {
    FrameConfig {
        suffix: if mode & 1 == 0 {
            Suffix::Cr
        } else {
            Suffix::CrLf
        },
        prefix: if mode & 2 == 0 {
            Vec::new()
        } else {
            vec![0x02]
        },
        aim: match mode >> 2 & 3 {
            0 => AimMode::Optional,
            1 => AimMode::Off,
            _ => AimMode::Required,
        },
        max_len: [256, 1, 0, 48][(mode >> 4 & 3) as usize],
        idle_ms: 300,
    }
}

fn scanner_serial(input: &[u8]) -> u64 {
    let Some((&mode, stream)) = input.split_first() else {
        return 0;
    };
    let mut sig = Sig::default();
    let cfg = frame_config(mode);
    let t0 = Instant::now();
    // Whole, then byte by byte at the same instant: the same frames.
    let whole = Framer::new(cfg.clone()).push(stream, t0);
    let mut f = Framer::new(cfg.clone());
    let bytewise: Vec<_> = stream.iter().flat_map(|b| f.push(&[*b], t0)).collect();
    assert_eq!(
        format!("{whole:?}"),
        format!("{bytewise:?}"),
        "chunking changed the frames"
    );
    // Chunks with pauses: a byte >= 0xF0 ends a chunk and the next one
    // arrives (byte - 0xF0) * 50 ms later, past the idle time from 7.
    let mut f = Framer::new(cfg.clone());
    let mut now = t0;
    for chunk in stream.split_inclusive(|&b| b >= 0xF0) {
        for r in f.push(chunk, now) {
            match r.map(validate) {
                Ok(Ok(scan)) => {
                    sig.add(1)
                        .str(&scan.code.symbology())
                        .add(scan.warnings.len() as u64);
                }
                Ok(Err(e)) | Err(e) => {
                    sig.err(&e);
                }
            }
        }
        let pause = chunk
            .last()
            .map_or(0, |&b| b.saturating_sub(0xF0) as u64 * 50);
        now += Duration::from_millis(pause);
        if let Some(e) = f.idle(now) {
            sig.err(&e);
        }
    }
    // The reader the till runs, over a link playing the stream back.
    let mut reader = SerialScanner::new(
        ScriptLink::new(stream, 1 + (mode >> 6) as usize * 20, 2),
        cfg,
    );
    for _ in 0..stream.len() + 4 {
        match reader.next_scan(Duration::from_secs(5)) {
            Ok(s) => {
                sig.add(s.raw.len().min(2) as u64);
            }
            Err(till_devices::scanner::ScanError::Device(_)) => break,
            Err(e) => {
                sig.err(&e);
            }
        }
    }
    sig.get()
}

pub const SCANNER_EVDEV: Target = Target {
    name: "scanner-evdev",
    about: "keyboard-wedge scanner: evdev input_event records, key codes to text, Enter framing",
    max_len: 4 * 1024,
    seeds: || twice(crate::hw_fixtures("scanner", "wedge"), 0x07),
    dict: &[
        &[1, 0, 28, 0, 1, 0, 0, 0],
        &[1, 0, 42, 0, 1, 0, 0, 0],
        &[1, 0, 42, 0, 0, 0, 0, 0],
        &[1, 0, 2, 0, 1, 0, 0, 0],
        &[1, 0, 96, 0, 1, 0, 0, 0],
        &[0; 24],
    ],
    run: scanner_evdev,
};

fn scanner_evdev(input: &[u8]) -> u64 {
    let Some((&mode, stream)) = input.split_first() else {
        return 0;
    };
    let mut sig = Sig::default();
    let max_len = [256usize, 0, 1, 13][(mode & 3) as usize];
    let whole = WedgeDecoder::new(max_len).push_bytes(stream);
    for r in &whole {
        match r {
            Ok(f) => {
                assert!(f.data.chars().count() <= max_len, "frame over max_len");
                sig.add(1).add(f.data.len().min(16) as u64);
            }
            Err(e) => {
                sig.err(e);
            }
        }
    }
    for r in whole {
        if let Ok(f) = r {
            match validate(f) {
                Ok(s) => sig.str(&s.code.symbology()),
                Err(e) => sig.err(&e),
            };
        }
    }
    // The reader, fed in pieces that split records anywhere.
    let chunk = 1 + (mode as usize >> 2) % (INPUT_EVENT_SIZE * 2);
    let mut reader = WedgeScanner::new(ScriptLink::new(stream, chunk, 1), max_len);
    for _ in 0..stream.len() / INPUT_EVENT_SIZE + 4 {
        match reader.next_scan(Duration::from_secs(5)) {
            Ok(s) => {
                sig.add(s.raw.len().min(2) as u64);
            }
            Err(till_devices::scanner::ScanError::Device(_)) => break,
            Err(e) => {
                sig.err(&e);
            }
        }
    }
    sig.get()
}

/// Each fixture twice: behind a first byte of 0 (the target's default
/// settings) and behind `mode`, a first byte that picks other settings.
fn twice(fixtures: Vec<Vec<u8>>, mode: u8) -> Vec<Vec<u8>> {
    fixtures
        .into_iter()
        .flat_map(|s| [[vec![0u8], s.clone()].concat(), [vec![mode], s].concat()])
        .collect()
}
