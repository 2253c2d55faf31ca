//! An ESC/POS interpreter: turns a byte stream into the text a customer would
//! read on the paper, plus the non-text events (cuts, drawer kicks, status
//! requests, codes). The printer simulator and `till diag printer render`
//! both use it, so support sees exactly what a till sent.
//!
//! It is streaming: bytes may arrive split anywhere, a command cut in two
//! waits for its tail. Unknown commands are kept as [`Event::Unknown`] rather
//! than guessed at.

use super::cmd::{Align, Cut, DrawerPin};
use super::pc858;

/// Something the stream asked for besides text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// ESC @
    Init,
    /// ESC t n
    CodePage(u8),
    /// ESC p m t1 t2, with times in ms.
    Kick {
        /// Which connector pin.
        pin: DrawerPin,
        /// ON time, ms.
        on_ms: u16,
        /// OFF time, ms.
        off_ms: u16,
    },
    /// DLE DC4 1 m t, ON time in ms.
    RealtimeKick {
        /// Which connector pin.
        pin: DrawerPin,
        /// ON time, ms.
        on_ms: u16,
    },
    /// DLE EOT n
    StatusRequest(u8),
    /// GS a n
    AutoStatusBack(u8),
    /// GS ( H fn 48: "answer this process ID once everything before has
    /// printed" (the four ASCII digits).
    ProcessId(String),
    /// GS V
    Cut(Cut),
    /// GS k
    Barcode {
        /// Symbology name.
        kind: String,
        /// Data as sent.
        data: String,
    },
    /// GS ( k store + print
    Qr(Vec<u8>),
    /// GS v 0: width in dots, height in dots.
    Raster {
        /// Width in dots.
        width: u32,
        /// Height in dots.
        height: u32,
    },
    /// A command this interpreter does not know (bytes kept).
    Unknown(Vec<u8>),
}

/// The JSON shape of an [`Event`]: `{"type": "qr", "data": "..."}` and so
/// on, so scripts reading `till diag printer render --json` match on a tag
/// and named fields instead of parsing Rust debug strings.
#[derive(serde::Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum EventJson<'a> {
    Init,
    CodePage {
        n: u8,
    },
    Kick {
        pin: DrawerPin,
        on_ms: u16,
        off_ms: u16,
    },
    RealtimeKick {
        pin: DrawerPin,
        on_ms: u16,
    },
    StatusRequest {
        n: u8,
    },
    AutoStatusBack {
        mask: u8,
    },
    ProcessId {
        id: &'a str,
    },
    Cut {
        /// "full" or "partial".
        mode: &'static str,
        /// Motion units fed before the cut (GS V 65/66 n).
        feed: Option<u8>,
    },
    Barcode {
        kind: &'a str,
        data: &'a str,
    },
    Qr {
        /// The data as text (invalid UTF-8 replaced).
        data: String,
        /// The exact bytes, hex.
        hex: String,
    },
    Raster {
        width: u32,
        height: u32,
    },
    Unknown {
        /// The command's bytes, hex.
        hex: String,
    },
}

impl serde::Serialize for Event {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let hex = crate::error::hex;
        let j = match self {
            Event::Init => EventJson::Init,
            Event::CodePage(n) => EventJson::CodePage { n: *n },
            Event::Kick { pin, on_ms, off_ms } => EventJson::Kick {
                pin: *pin,
                on_ms: *on_ms,
                off_ms: *off_ms,
            },
            Event::RealtimeKick { pin, on_ms } => EventJson::RealtimeKick {
                pin: *pin,
                on_ms: *on_ms,
            },
            Event::StatusRequest(n) => EventJson::StatusRequest { n: *n },
            Event::AutoStatusBack(mask) => EventJson::AutoStatusBack { mask: *mask },
            Event::ProcessId(id) => EventJson::ProcessId { id },
            Event::Cut(c) => {
                let (mode, feed) = match c {
                    Cut::Full => ("full", None),
                    Cut::Partial => ("partial", None),
                    Cut::FeedFull(n) => ("full", Some(*n)),
                    Cut::FeedPartial(n) => ("partial", Some(*n)),
                };
                EventJson::Cut { mode, feed }
            }
            Event::Barcode { kind, data } => EventJson::Barcode { kind, data },
            Event::Qr(d) => EventJson::Qr {
                data: String::from_utf8_lossy(d).into_owned(),
                hex: hex(d),
            },
            Event::Raster { width, height } => EventJson::Raster {
                width: *width,
                height: *height,
            },
            Event::Unknown(b) => EventJson::Unknown { hex: hex(b) },
        };
        j.serialize(s)
    }
}

/// Outcome of parsing at the start of the pending bytes.
enum Step {
    /// Need more bytes.
    More,
    /// `n` bytes consumed, doing this.
    Done(usize, Action),
}

enum Action {
    Char(u8),
    Newline,
    FeedLines(u8),
    Nothing,
    Align(Align),
    Bold(bool),
    Size(u8, u8),
    QrStore(Vec<u8>),
    QrPrint,
    Event(Event),
}

/// Paper plus the event log, built up as bytes are fed.
#[derive(Debug, Clone)]
pub struct Interpreter {
    width: usize,
    pending: Vec<u8>,
    line: String,
    line_cols: usize,
    align: Align,
    bold: bool,
    size: (u8, u8),
    qr_store: Vec<u8>,
    /// The rendered paper, one entry per printed line.
    pub lines: Vec<String>,
    /// Every non-text event, in order.
    pub events: Vec<Event>,
}

impl Interpreter {
    /// A blank roll `width` columns wide (48 for 80 mm paper, font A).
    pub fn new(width: usize) -> Self {
        Self {
            width,
            pending: Vec::new(),
            line: String::new(),
            line_cols: 0,
            align: Align::Left,
            bold: false,
            size: (1, 1),
            qr_store: Vec::new(),
            lines: Vec::new(),
            events: Vec::new(),
        }
    }

    /// Is bold on (for tests of styling)?
    pub fn bold(&self) -> bool {
        self.bold
    }

    /// Feed bytes; returns the events they completed.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Event> {
        self.pending.extend_from_slice(bytes);
        let mut out = Vec::new();
        let mut pos = 0;
        while pos < self.pending.len() {
            match parse(&self.pending[pos..]) {
                Step::More => break,
                Step::Done(n, action) => {
                    pos += n;
                    if let Some(e) = self.apply(action) {
                        out.push(e);
                    }
                }
            }
        }
        self.pending.drain(..pos);
        self.events.extend(out.iter().cloned());
        out
    }

    /// The paper so far as text, including the line being built.
    pub fn text(&self) -> String {
        let mut s = self.lines.join("\n");
        if !self.line.is_empty() {
            if !s.is_empty() {
                s.push('\n');
            }
            s.push_str(&self.line);
        }
        s
    }

    /// Bytes of an unfinished command at the end of the stream.
    pub fn pending(&self) -> &[u8] {
        &self.pending
    }

    fn end_line(&mut self) {
        let text = std::mem::take(&mut self.line);
        let cols = std::mem::take(&mut self.line_cols);
        let pad = self.width.saturating_sub(cols);
        let left = match self.align {
            Align::Left => 0,
            Align::Center => pad / 2,
            Align::Right => pad,
        };
        let mut l = " ".repeat(left);
        l.push_str(&text);
        self.lines.push(l.trim_end().to_string());
    }

    fn marker(&mut self, text: String) {
        if !self.line.is_empty() {
            self.end_line();
        }
        self.lines.push(text);
    }

    fn apply(&mut self, a: Action) -> Option<Event> {
        match a {
            Action::Char(b) => {
                let c = pc858::decode_byte(b);
                let w = self.size.0 as usize;
                if self.line_cols + w > self.width {
                    self.end_line(); // the printer wraps at the paper edge
                }
                self.line.push(c);
                // Double width: one glyph taking two columns, drawn as the
                // glyph and a space so the text rendering keeps its shape.
                for _ in 1..w {
                    self.line.push(' ');
                }
                self.line_cols += w;
                None
            }
            Action::Newline => {
                self.end_line();
                None
            }
            Action::FeedLines(n) => {
                self.end_line();
                for _ in 1..n {
                    self.lines.push(String::new());
                }
                None
            }
            Action::Nothing => None,
            Action::Align(al) => {
                self.align = al;
                None
            }
            Action::Bold(b) => {
                self.bold = b;
                None
            }
            Action::Size(w, h) => {
                self.size = (w, h);
                None
            }
            Action::QrStore(d) => {
                self.qr_store = d;
                None
            }
            Action::QrPrint => {
                let stored = std::mem::take(&mut self.qr_store);
                self.marker(format!("[QR {}]", String::from_utf8_lossy(&stored)));
                Some(Event::Qr(stored))
            }
            Action::Event(e) => {
                match &e {
                    Event::Init => {
                        self.align = Align::Left;
                        self.bold = false;
                        self.size = (1, 1);
                    }
                    Event::Cut(c) => {
                        let label = format!(" {c} ");
                        self.marker(format!("{label:-^0$}", self.width))
                    }
                    Event::Barcode { kind, data } => {
                        self.marker(format!("[barcode {kind} {data}]"))
                    }
                    Event::Raster { width, height } => {
                        self.marker(format!("[image {width}x{height} dots]"))
                    }
                    Event::Kick { pin, on_ms, off_ms } => {
                        self.marker(format!("[drawer kick {pin} {on_ms}/{off_ms} ms]"))
                    }
                    _ => {}
                }
                Some(e)
            }
        }
    }
}

fn need(buf: &[u8], n: usize) -> bool {
    buf.len() >= n
}

fn parse(b: &[u8]) -> Step {
    use Action as A;
    let first = b[0];
    match first {
        0x0A => Step::Done(1, A::Newline),
        0x0D | 0x09 | 0x00 => Step::Done(1, A::Nothing),
        0x1B => parse_esc(b),
        0x1D => parse_gs(b),
        0x10 => {
            if !need(b, 2) {
                return Step::More;
            }
            match b[1] {
                0x04 if need(b, 3) => Step::Done(3, A::Event(Event::StatusRequest(b[2]))),
                0x14 if need(b, 5) => {
                    if b[2] == 1 {
                        let pin = if b[3] == 1 {
                            DrawerPin::Pin5
                        } else {
                            DrawerPin::Pin2
                        };
                        Step::Done(
                            5,
                            A::Event(Event::RealtimeKick {
                                pin,
                                on_ms: b[4] as u16 * 100,
                            }),
                        )
                    } else {
                        Step::Done(5, A::Event(Event::Unknown(b[..5].to_vec())))
                    }
                }
                0x04 | 0x14 => Step::More,
                _ => Step::Done(2, A::Event(Event::Unknown(b[..2].to_vec()))),
            }
        }
        c if c < 0x20 => Step::Done(1, A::Event(Event::Unknown(vec![c]))),
        c => Step::Done(1, A::Char(c)),
    }
}

fn parse_esc(b: &[u8]) -> Step {
    use Action as A;
    if !need(b, 2) {
        return Step::More;
    }
    let three = |f: fn(u8) -> Action| {
        if need(b, 3) {
            Step::Done(3, f(b[2]))
        } else {
            Step::More
        }
    };
    match b[1] {
        b'@' => Step::Done(2, A::Event(Event::Init)),
        b't' => three(|n| A::Event(Event::CodePage(n))),
        b'a' => three(|n| {
            A::Align(match n {
                1 | 49 => Align::Center,
                2 | 50 => Align::Right,
                _ => Align::Left,
            })
        }),
        b'E' => three(|n| A::Bold(n & 1 == 1)),
        b'd' => three(A::FeedLines),
        b'p' => {
            if !need(b, 5) {
                return Step::More;
            }
            let pin = if b[2] == 1 || b[2] == 49 {
                DrawerPin::Pin5
            } else {
                DrawerPin::Pin2
            };
            let on_ms = b[3] as u16 * 2;
            let off_ms = b[4] as u16 * 2;
            Step::Done(5, A::Event(Event::Kick { pin, on_ms, off_ms }))
        }
        // ESC ! n: print mode; bit 3 emphasized, bit 4 double height,
        // bit 5 double width.
        b'!' => three(|n| {
            A::Size(
                if n & 0x20 != 0 { 2 } else { 1 },
                if n & 0x10 != 0 { 2 } else { 1 },
            )
        }),
        // One-parameter commands that change nothing in a text rendering:
        // underline, double-strike, font, feed dots, charset, line spacing,
        // upside-down, rotation.
        b'-' | b'G' | b'M' | b'J' | b'R' | b'3' | b'{' | b'V' | b'r' => three(|_| A::Nothing),
        b'2' => Step::Done(2, A::Nothing),
        _ => Step::Done(2, A::Event(Event::Unknown(b[..2].to_vec()))),
    }
}

fn parse_gs(b: &[u8]) -> Step {
    use Action as A;
    if !need(b, 2) {
        return Step::More;
    }
    let three = |f: fn(u8) -> Action| {
        if need(b, 3) {
            Step::Done(3, f(b[2]))
        } else {
            Step::More
        }
    };
    match b[1] {
        b'!' => three(|n| A::Size((n >> 4 & 7) + 1, (n & 7) + 1)),
        b'V' => {
            if !need(b, 3) {
                return Step::More;
            }
            match b[2] {
                0 | 48 => Step::Done(3, A::Event(Event::Cut(Cut::Full))),
                1 | 49 => Step::Done(3, A::Event(Event::Cut(Cut::Partial))),
                65 | 66 if !need(b, 4) => Step::More,
                65 => Step::Done(4, A::Event(Event::Cut(Cut::FeedFull(b[3])))),
                66 => Step::Done(4, A::Event(Event::Cut(Cut::FeedPartial(b[3])))),
                _ => Step::Done(3, A::Event(Event::Unknown(b[..3].to_vec()))),
            }
        }
        b'a' => three(|n| A::Event(Event::AutoStatusBack(n))),
        b'h' | b'w' | b'H' | b'f' | b'B' | b'b' => three(|_| A::Nothing),
        b'L' | b'W' => {
            if need(b, 4) {
                Step::Done(4, A::Nothing)
            } else {
                Step::More
            }
        }
        b'k' => parse_barcode(b),
        b'(' => {
            if !need(b, 5) {
                return Step::More;
            }
            let len = b[3] as usize | (b[4] as usize) << 8;
            if !need(b, 5 + len) {
                return Step::More;
            }
            let body = &b[5..5 + len];
            // GS ( k: cn = 49 (QR); fn 80 stores, fn 81 prints.
            let action = match (b[2], body) {
                (b'k', [0x31, 0x50, 0x30, data @ ..]) => A::QrStore(data.to_vec()),
                (b'k', [0x31, 0x51, 0x30]) => A::QrPrint,
                (b'k', [0x31, 0x41 | 0x43 | 0x45, ..]) => A::Nothing,
                (b'H', [0x30, 0x30, id @ ..]) if id.len() == 4 => {
                    A::Event(Event::ProcessId(String::from_utf8_lossy(id).into_owned()))
                }
                _ => A::Event(Event::Unknown(b[..5 + len].to_vec())),
            };
            Step::Done(5 + len, action)
        }
        b'v' => {
            if !need(b, 8) {
                return Step::More;
            }
            let xb = b[4] as usize | (b[5] as usize) << 8;
            let y = b[6] as usize | (b[7] as usize) << 8;
            let total = 8 + xb * y;
            if !need(b, total) {
                return Step::More;
            }
            Step::Done(
                total,
                A::Event(Event::Raster {
                    width: (xb * 8) as u32,
                    height: y as u32,
                }),
            )
        }
        _ => Step::Done(2, A::Event(Event::Unknown(b[..2].to_vec()))),
    }
}

fn parse_barcode(b: &[u8]) -> Step {
    if !need(b, 4) {
        return Step::More;
    }
    let m = b[2];
    let name = |m: u8| -> String {
        match m {
            0 | 65 => "UPC-A",
            1 | 66 => "UPC-E",
            2 | 67 => "EAN-13",
            3 | 68 => "EAN-8",
            4 | 69 => "CODE39",
            5 | 70 => "ITF",
            6 | 71 => "CODABAR",
            72 => "CODE93",
            73 => "CODE128",
            _ => "?",
        }
        .to_string()
    };
    let text = |d: &[u8]| String::from_utf8_lossy(d).into_owned();
    if m <= 6 {
        // Function A: NUL-terminated data, at most 255 bytes. Without a NUL
        // in that reach the command is cut at its longest possible end, never
        // at however much happens to be buffered: the rest of the stream
        // must render the same whatever the chunking.
        const LONGEST: usize = 3 + 255 + 1;
        let reach = &b[3..b.len().min(LONGEST)];
        match reach.iter().position(|&x| x == 0) {
            Some(end) => Step::Done(
                3 + end + 1,
                Action::Event(Event::Barcode {
                    kind: name(m),
                    data: text(&b[3..3 + end]),
                }),
            ),
            None if b.len() >= LONGEST => Step::Done(
                LONGEST,
                Action::Event(Event::Unknown(b[..LONGEST].to_vec())),
            ),
            None => Step::More,
        }
    } else {
        let n = b[3] as usize;
        if !need(b, 4 + n) {
            return Step::More;
        }
        let mut d = &b[4..4 + n];
        if m == 73 && d.len() >= 2 && d[0] == b'{' {
            d = &d[2..]; // drop the code set selector
        }
        let data = text(d).replace("{{", "{");
        Step::Done(
            4 + n,
            Action::Event(Event::Barcode {
                kind: name(m),
                data,
            }),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::escpos::cmd;

    #[test]
    fn text_alignment_and_sizes() {
        let mut i = Interpreter::new(20);
        let mut b = cmd::INIT.to_vec();
        b.extend(cmd::code_page(19));
        b.extend(cmd::align(Align::Center));
        b.extend(b"Caf\x82\n");
        b.extend(cmd::align(Align::Right));
        b.extend(b"12,00 \xD5\n");
        b.extend(cmd::align(Align::Left));
        b.extend(cmd::size(2, 2));
        b.extend(b"TOTAL\n");
        b.extend(cmd::feed(2));
        i.feed(&b);
        assert_eq!(
            i.lines,
            vec![
                "        Caf\u{e9}",
                "             12,00 \u{20ac}",
                "T O T A L",
                "",
                ""
            ]
        );
        assert_eq!(i.events, vec![Event::Init, Event::CodePage(19)]);
    }

    #[test]
    fn esc_bang_sets_double_width() {
        let mut i = Interpreter::new(20);
        i.feed(&[
            0x1B, b'!', 0x20, b'A', b'B', b'\n', 0x1B, b'!', 0x00, b'C', b'\n',
        ]);
        assert_eq!(i.lines, vec!["A B", "C"]);
    }

    #[test]
    fn split_commands_wait_for_their_tail() {
        let mut i = Interpreter::new(48);
        let bytes = cmd::drawer_pulse(DrawerPin::Pin5, 100, 200);
        assert!(i.feed(&bytes[..2]).is_empty());
        assert!(i.feed(&bytes[2..4]).is_empty());
        let ev = i.feed(&bytes[4..]);
        assert_eq!(
            ev,
            vec![Event::Kick {
                pin: DrawerPin::Pin5,
                on_ms: 100,
                off_ms: 200
            }]
        );
    }

    #[test]
    fn codes_cut_status_and_raster() {
        let mut i = Interpreter::new(32);
        let mut b = cmd::barcode(cmd::BarcodeKind::Ean13, "4006381333931").unwrap();
        b.extend(cmd::qr(b"T1-42 sig:AbCd", 4, cmd::QrEc::M).unwrap());
        b.extend(cmd::raster(2, 3, &[0; 6]).unwrap());
        b.extend(cmd::status_request(4));
        b.extend(cmd::realtime_pulse(DrawerPin::Pin2, 2));
        b.extend(cmd::cut(Cut::FeedPartial(3)));
        let ev = i.feed(&b);
        assert_eq!(
            ev,
            vec![
                Event::Barcode {
                    kind: "EAN-13".into(),
                    data: "4006381333931".into()
                },
                Event::Qr(b"T1-42 sig:AbCd".to_vec()),
                Event::Raster {
                    width: 16,
                    height: 3
                },
                Event::StatusRequest(4),
                Event::RealtimeKick {
                    pin: DrawerPin::Pin2,
                    on_ms: 200
                },
                Event::Cut(Cut::FeedPartial(3)),
            ]
        );
        assert!(i.text().contains("[QR T1-42 sig:AbCd]"));
        assert!(i.text().contains(" partial cut, feed 3 "), "{}", i.text());
    }

    /// Found by the fuzz target `escpos-render`: a GS k function A with no
    /// NUL swallowed every byte buffered after it, so the same stream fed
    /// whole or in pieces rendered different paper.
    #[test]
    fn unterminated_barcode_does_not_swallow_the_stream() {
        let mut b = vec![0x1D, b'k', 2];
        b.extend([b'1'; 300]);
        b.extend(b"\nTOTAL\n");
        let mut whole = Interpreter::new(48);
        whole.feed(&b);
        let mut split = Interpreter::new(48);
        for c in b.chunks(7) {
            split.feed(c);
        }
        assert_eq!(whole.lines, split.lines);
        assert_eq!(whole.events, split.events);
        assert!(whole.text().contains("TOTAL"), "{:?}", whole.lines);
        assert!(matches!(&whole.events[0], Event::Unknown(u) if u.len() == 3 + 255 + 1));
    }

    #[test]
    fn unknown_commands_are_kept_not_printed() {
        let mut i = Interpreter::new(32);
        let ev = i.feed(&[0x1B, 0x7E, b'o', b'k', b'\n']);
        assert_eq!(ev, vec![Event::Unknown(vec![0x1B, 0x7E])]);
        assert_eq!(i.lines, vec!["ok"]);
    }
}
