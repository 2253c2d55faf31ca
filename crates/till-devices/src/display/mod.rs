//! The customer display: a 2x20 vacuum fluorescent pole display, driven
//! with Epson's ESC/POS customer-display commands (DM-D series) or the
//! CD5220 set. Generic over [`Transport`]; the text goes through the
//! display's character table ([`Charset`]) and every screen is written as
//! two whole lines of 20, so what the customer sees never depends on where
//! the cursor was.
//!
//! Commands, checked against LCDproc's serialPOS driver
//! (lcdproc/lcdproc `server/drivers/serialPOS_epson.c` and
//! `serialPOS_cd5220.c`) and node-escpos's screen commands
//! (node-escpos/driver `packages/screen/src/commands.ts`):
//!
//! | what | Epson DM-D | CD5220 |
//! |---|---|---|
//! | initialise | `1B 40` | `1B 40` |
//! | character table | `1B 74 n` (19 = PC858) | (none: set on the display) |
//! | cursor off | `1F 43 00` | `1B 5F 00` |
//! | overwrite mode | `1F 01` | (the line commands overwrite) |
//! | clear | `0C` | `0C` |
//! | upper line | `1F 24 01 01` + 20 chars | `1B 51 41` + 20 chars + `0D` |
//! | lower line | `1F 24 01 02` + 20 chars | `1B 51 42` + 20 chars + `0D` |

use crate::transport::Transport;
use crate::DeviceError;

mod charset;
pub mod interp;

pub use charset::Charset;
pub use interp::Screen;

/// Characters per line.
pub const COLUMNS: usize = 20;
/// Lines.
pub const LINES: usize = 2;

/// Which command set the display speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisplayProtocol {
    /// Epson ESC/POS customer display (DM-D110, DM-D210 and clones).
    Epson,
    /// The CD5220 set (Partner Tech CD5220 and its many clones).
    Cd5220,
}

impl DisplayProtocol {
    /// The name till.toml uses.
    pub fn name(self) -> &'static str {
        match self {
            DisplayProtocol::Epson => "epson",
            DisplayProtocol::Cd5220 => "cd5220",
        }
    }

    /// The table such a display holds out of the box: Epson's can be
    /// switched to PC858 by `ESC t`; a CD5220's is usually PC437.
    pub fn default_charset(self) -> Charset {
        match self {
            DisplayProtocol::Epson => Charset::Pc858,
            DisplayProtocol::Cd5220 => Charset::Pc437,
        }
    }
}

impl std::fmt::Display for DisplayProtocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for DisplayProtocol {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "epson" | "escpos" | "esc/pos" => Ok(DisplayProtocol::Epson),
            "cd5220" => Ok(DisplayProtocol::Cd5220),
            other => Err(format!(
                "\"{other}\" n'est pas un jeu de commandes d'afficheur : \"epson\" ou \"cd5220\""
            )),
        }
    }
}

/// The exact bytes of each command.
pub mod cmd {
    use super::{DisplayProtocol, COLUMNS};

    /// Initialise: reset, character table (Epson), cursor off, overwrite.
    pub fn init(p: DisplayProtocol, code_page: Option<u8>) -> Vec<u8> {
        let mut out = vec![0x1B, 0x40];
        match p {
            DisplayProtocol::Epson => {
                if let Some(n) = code_page {
                    out.extend([0x1B, 0x74, n]);
                }
                out.extend([0x1F, 0x43, 0x00, 0x1F, 0x01]);
            }
            DisplayProtocol::Cd5220 => out.extend([0x1B, 0x5F, 0x00]),
        }
        out
    }

    /// Clear the screen (and home the cursor).
    pub fn clear() -> Vec<u8> {
        vec![0x0C]
    }

    /// Write both lines, each exactly [`COLUMNS`] bytes already encoded.
    pub fn lines(p: DisplayProtocol, upper: &[u8; COLUMNS], lower: &[u8; COLUMNS]) -> Vec<u8> {
        let mut out = Vec::with_capacity(2 * COLUMNS + 10);
        match p {
            DisplayProtocol::Epson => {
                out.extend([0x1F, 0x24, 0x01, 0x01]);
                out.extend_from_slice(upper);
                out.extend([0x1F, 0x24, 0x01, 0x02]);
                out.extend_from_slice(lower);
            }
            DisplayProtocol::Cd5220 => {
                out.extend([0x1B, 0x51, 0x41]);
                out.extend_from_slice(upper);
                out.push(0x0D);
                out.extend([0x1B, 0x51, 0x42]);
                out.extend_from_slice(lower);
                out.push(0x0D);
            }
        }
        out
    }
}

/// One line of the display, encoded and laid out: `left` from the left
/// edge, `right` against the right edge (a price), the left part cut
/// short when both do not fit, the right one never.
pub fn layout(charset: Charset, left: &str, right: &str) -> [u8; COLUMNS] {
    let mut line = [b' '; COLUMNS];
    let right = charset.encode(right);
    let right = &right[right.len().saturating_sub(COLUMNS)..];
    let room = COLUMNS - right.len();
    // One space between the two when both are there.
    let room = if right.is_empty() {
        room
    } else {
        room.saturating_sub(1)
    };
    let left = charset.encode(left);
    let left = &left[..left.len().min(room)];
    line[..left.len()].copy_from_slice(left);
    line[COLUMNS - right.len()..].copy_from_slice(right);
    line
}

/// A text centred on one line.
pub fn centred(charset: Charset, text: &str) -> [u8; COLUMNS] {
    let bytes = charset.encode(text.trim());
    let bytes = &bytes[..bytes.len().min(COLUMNS)];
    let mut line = [b' '; COLUMNS];
    let at = (COLUMNS - bytes.len()) / 2;
    line[at..at + bytes.len()].copy_from_slice(bytes);
    line
}

/// The customer display over any [`Transport`]. It never reads: VFDs do
/// not answer, so a write that goes through is all there is to know.
pub struct Display<T: Transport> {
    link: T,
    protocol: DisplayProtocol,
    charset: Charset,
    code_page: Option<u8>,
    ready: bool,
}

impl<T: Transport> Display<T> {
    /// A display of `protocol` on `link`, holding `charset` (Epson: selected
    /// with `ESC t code_page`).
    pub fn new(
        link: T,
        protocol: DisplayProtocol,
        charset: Charset,
        code_page: Option<u8>,
    ) -> Self {
        Self {
            link,
            protocol,
            charset,
            code_page,
            ready: false,
        }
    }

    /// Its character table.
    pub fn charset(&self) -> Charset {
        self.charset
    }

    /// The link.
    pub fn link(&mut self) -> &mut T {
        &mut self.link
    }

    /// Initialise once (again after an error, the display may have been
    /// switched off and on), then send `bytes`.
    fn send(&mut self, bytes: &[u8]) -> Result<(), DeviceError> {
        let mut out = Vec::with_capacity(bytes.len() + 8);
        if !self.ready {
            out.extend(cmd::init(self.protocol, self.code_page));
        }
        out.extend_from_slice(bytes);
        let sent = self.link.write_all(&out).and_then(|()| self.link.flush());
        self.ready = sent.is_ok();
        sent
    }

    /// Show two lines already laid out.
    pub fn show_lines(
        &mut self,
        upper: &[u8; COLUMNS],
        lower: &[u8; COLUMNS],
    ) -> Result<(), DeviceError> {
        self.send(&cmd::lines(self.protocol, upper, lower))
    }

    /// Show two texts, each from the left edge (cut at 20).
    pub fn show(&mut self, upper: &str, lower: &str) -> Result<(), DeviceError> {
        let u = layout(self.charset, upper, "");
        let l = layout(self.charset, lower, "");
        self.show_lines(&u, &l)
    }

    /// Blank the screen.
    pub fn clear(&mut self) -> Result<(), DeviceError> {
        self.send(&cmd::clear())
    }
}

/// The screens of `till diag display test`: the columns, then every French
/// letter and the euro, lower then upper case.
pub fn test_screens() -> [(String, String); 3] {
    [
        ("comptoir : test".into(), "12345678901234567890".into()),
        ("àâäçéèêëîïôöùûüÿ".into(), "Prix : 12,50 €".into()),
        ("ÀÂÇÉÈÊËÎÏÔÙÛÜ".into(), "Œuvre, cœur : 0 €".into()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_keeps_the_price_whole_and_cuts_the_name() {
        let l = layout(Charset::Pc858, "Comté AOP 18 mois affiné", "12,50 €");
        assert_eq!(l.len(), 20);
        let shown: String = l.iter().map(|b| Charset::Pc858.decode_byte(*b)).collect();
        assert_eq!(shown, "Comté AOP 18 12,50 €");
        let l = layout(Charset::Pc437, "Total", "1 234,50 €");
        let shown: String = l.iter().map(|b| Charset::Pc437.decode_byte(*b)).collect();
        assert_eq!(shown, "Total   1 234,50 EUR");
        let c = centred(Charset::Pc858, "Bienvenue");
        assert_eq!(&c[..], b"     Bienvenue      ");
    }
}
