//! What the customer sees: bytes for an Epson DM-D or CD5220 display back
//! to two lines of 20 characters. The simulator's screen and the golden
//! fixtures' check; it knows both command sets at once (they do not
//! collide) and skips what it does not know, byte by byte, never panics.

use super::{Charset, COLUMNS, LINES};

/// The two lines as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Screen {
    cells: [[char; COLUMNS]; LINES],
    x: usize,
    y: usize,
    charset: Charset,
    /// The last `ESC t n` received (Epson), if any.
    pub code_page: Option<u8>,
    /// Commands seen but not understood, counted.
    pub unknown: usize,
    /// Bytes still waiting for the end of a command.
    pending: Vec<u8>,
}

impl Screen {
    /// A blank screen holding `charset`.
    pub fn new(charset: Charset) -> Self {
        Self {
            cells: [[' '; COLUMNS]; LINES],
            x: 0,
            y: 0,
            charset,
            code_page: None,
            unknown: 0,
            pending: Vec::new(),
        }
    }

    /// The lines as text, 20 characters each.
    pub fn lines(&self) -> [String; LINES] {
        [
            self.cells[0].iter().collect(),
            self.cells[1].iter().collect(),
        ]
    }

    fn clear(&mut self) {
        self.cells = [[' '; COLUMNS]; LINES];
        self.x = 0;
        self.y = 0;
    }

    fn put(&mut self, b: u8) {
        if self.x >= COLUMNS {
            // Overwrite mode: past the end of a line, on to the next one.
            self.x = 0;
            self.y = (self.y + 1) % LINES;
        }
        self.cells[self.y][self.x] = self.charset.decode_byte(b);
        self.x += 1;
    }

    /// Feed bytes as the display receives them (in any chunks).
    pub fn feed(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.pending.push(b);
            if let Some(used) = self.step() {
                self.pending.drain(..used);
            }
            // A command never needs more than a line's worth: anything
            // longer is a broken one, dropped.
            if self.pending.len() > COLUMNS + 8 {
                self.unknown += 1;
                self.pending.clear();
            }
        }
    }

    /// Act on the start of `pending` if it is a whole command or a
    /// character; the bytes used, or None to wait for more.
    fn step(&mut self) -> Option<usize> {
        let p = self.pending.clone();
        match p.as_slice() {
            [0x1B] | [0x1F] | [0x1B, 0x51] => None,
            [0x1B, 0x40, ..] => {
                self.clear();
                self.code_page = None;
                Some(2)
            }
            [0x1B, 0x74] | [0x1F, 0x24] | [0x1F, 0x24, _] | [0x1B, 0x6C] | [0x1B, 0x6C, _] => None,
            [0x1B, 0x74, n, ..] => {
                self.code_page = Some(*n);
                Some(3)
            }
            // Cursor position, 1-based: Epson US $ x y, CD5220 ESC l x y.
            [0x1F, 0x24, x, y, ..] | [0x1B, 0x6C, x, y, ..] => {
                self.x = usize::from(x.saturating_sub(1)).min(COLUMNS - 1);
                self.y = usize::from(y.saturating_sub(1)).min(LINES - 1);
                Some(4)
            }
            // One-parameter settings: cursor, brightness, blink, custom chars.
            [0x1F, 0x43 | 0x58 | 0x45] | [0x1B, 0x5F | 0x2A | 0x25] => None,
            [0x1F, 0x43 | 0x58 | 0x45, _, ..] | [0x1B, 0x5F | 0x2A | 0x25, _, ..] => Some(3),
            // Display modes: Epson US MD1..3, CD5220 ESC DC1..DC3.
            [0x1F, 0x01..=0x03, ..] | [0x1B, 0x11..=0x13, ..] => Some(2),
            // CD5220 line messages: ESC Q A|B text CR.
            [0x1B, 0x51, line @ (0x41 | 0x42), rest @ ..] => {
                let end = rest.iter().position(|b| *b == 0x0D)?;
                let y = usize::from(*line == 0x42);
                self.cells[y] = [' '; COLUMNS];
                for (i, b) in rest[..end].iter().take(COLUMNS).enumerate() {
                    self.cells[y][i] = self.charset.decode_byte(*b);
                }
                Some(3 + end + 1)
            }
            [0x1B, ..] | [0x1F, ..] => {
                self.unknown += 1;
                Some(1)
            }
            [0x0C, ..] => {
                self.clear();
                Some(1)
            }
            [0x0B, ..] => {
                self.x = 0;
                self.y = 0;
                Some(1)
            }
            [0x0A, ..] => {
                self.y = (self.y + 1).min(LINES - 1);
                Some(1)
            }
            [0x0D, ..] => {
                self.x = 0;
                Some(1)
            }
            [0x18, ..] => {
                self.cells[self.y] = [' '; COLUMNS];
                self.x = 0;
                Some(1)
            }
            [b, ..] if *b >= 0x20 => {
                self.put(*b);
                Some(1)
            }
            [_, ..] => {
                self.unknown += 1;
                Some(1)
            }
            [] => Some(0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{cmd, layout, DisplayProtocol};
    use super::*;

    #[test]
    fn both_command_sets_show_the_same_two_lines() {
        for p in [DisplayProtocol::Epson, DisplayProtocol::Cd5220] {
            let cs = p.default_charset();
            let mut s = Screen::new(cs);
            let mut bytes = cmd::init(p, Some(19));
            bytes.extend(cmd::lines(
                p,
                &layout(cs, "Pommes", "2,40 €"),
                &layout(cs, "Total", "9,90 €"),
            ));
            // Byte by byte: the display gets them in any chunks.
            for b in bytes {
                s.feed(&[b]);
            }
            let euro = if cs == Charset::Pc858 { "€" } else { "EUR" };
            let [a, b] = s.lines();
            assert!(
                a.starts_with("Pommes") && a.ends_with(&format!("2,40 {euro}")),
                "{a}"
            );
            assert!(
                b.starts_with("Total") && b.ends_with(&format!("9,90 {euro}")),
                "{b}"
            );
            assert_eq!(s.unknown, 0);
        }
    }
}
