//! The building blocks of receipt rendering: the paper [`Layout`], the
//! [`Logo`] raster image, and the style-tracking writer that
//! `core_receipt` renders `till_core::receipt::Receipt` with. Rendering is a
//! single pass into one buffer with style commands sent only when the style
//! changes, so a text receipt stays close to the minimal encoding.
//!
//! (A second, print-side receipt model used to live here; it was dropped so
//! that there is one renderer, fed by the domain's receipt: the French golden
//! fixture is now rendered through `core_receipt::french_example`.)

use super::cmd::{self, Align, Cut};
use super::pc858;
use crate::DeviceError;

/// A monochrome logo, 1 bit per dot, MSB leftmost, rows top to bottom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logo {
    /// Bytes per row (8 dots each).
    pub width_bytes: u16,
    /// Rows (dots).
    pub rows: u16,
    /// The bits.
    pub bits: Vec<u8>,
}

impl Logo {
    /// Read a binary PBM (P4) image: the format's bit layout (1 = black,
    /// MSB leftmost, rows padded to a byte) is exactly the printer's raster
    /// layout, so any image tool can produce a logo (`convert logo.png -monochrome logo.pbm`).
    pub fn from_pbm(bytes: &[u8]) -> Result<Logo, DeviceError> {
        let bad = |why: &str| DeviceError::InvalidCommand(format!("logo: {why}"));
        let mut pos = 0;
        let mut fields = Vec::new();
        while fields.len() < 3 {
            while pos < bytes.len() && (bytes[pos].is_ascii_whitespace() || bytes[pos] == b'#') {
                if bytes[pos] == b'#' {
                    while pos < bytes.len() && bytes[pos] != b'\n' {
                        pos += 1;
                    }
                } else {
                    pos += 1;
                }
            }
            let start = pos;
            while pos < bytes.len() && !bytes[pos].is_ascii_whitespace() {
                pos += 1;
            }
            if start == pos {
                return Err(bad("truncated PBM header"));
            }
            fields.push(String::from_utf8_lossy(&bytes[start..pos]).into_owned());
        }
        if fields[0] != "P4" {
            return Err(bad("not a binary PBM (P4) file"));
        }
        let w: u16 = fields[1].parse().map_err(|_| bad("bad width"))?;
        let h: u16 = fields[2].parse().map_err(|_| bad("bad height"))?;
        pos += 1; // the single whitespace byte before the raster
        let width_bytes = w.div_ceil(8);
        let len = width_bytes as usize * h as usize;
        let bits = bytes
            .get(pos..pos + len)
            .ok_or_else(|| bad("truncated PBM data"))?
            .to_vec();
        if len == 0 {
            return Err(bad("empty image"));
        }
        Ok(Logo {
            width_bytes,
            rows: h,
            bits,
        })
    }
}

/// Layout settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// Characters per line, font A.
    pub width: usize,
    /// `ESC t` code page (19 = PC858).
    pub code_page: u8,
}

impl Default for Layout {
    fn default() -> Self {
        Self {
            width: 48,
            code_page: cmd::CODE_PAGE_PC858,
        }
    }
}

/// Writes text with styles, emitting a style command only on change.
pub(crate) struct Writer {
    pub(crate) out: Vec<u8>,
    width: usize,
    align: Align,
    bold: bool,
    size: (u8, u8),
}

impl Writer {
    /// A writer that has sent ESC @ and ESC t.
    pub(crate) fn start(layout: Layout, capacity: usize) -> Self {
        let mut w = Writer {
            out: Vec::with_capacity(capacity),
            width: layout.width,
            align: Align::Left,
            bold: false,
            size: (1, 1),
        };
        w.out.extend_from_slice(&cmd::INIT);
        w.out.extend_from_slice(&cmd::code_page(layout.code_page));
        w
    }
    /// A centred line in the current style.
    pub(crate) fn center(&mut self, text: &str) {
        self.align(Align::Center);
        self.line(text);
    }
    /// A left-aligned line cut to the paper width.
    pub(crate) fn left(&mut self, text: &str) {
        self.align(Align::Left);
        let cols = self.cols();
        let mut cut = String::new();
        let mut w = 0;
        for c in text.chars() {
            let cw = pc858::printed_width(c.encode_utf8(&mut [0u8; 4]));
            if w + cw > cols {
                break;
            }
            cut.push(c);
            w += cw;
        }
        self.line(&cut);
    }
    /// Feed and partial cut: the end of every receipt.
    pub(crate) fn finish(mut self) -> Vec<u8> {
        self.align(Align::Left);
        self.out.extend(cmd::cut(Cut::FeedPartial(3)));
        self.out
    }
    pub(crate) fn align(&mut self, a: Align) {
        if self.align != a {
            self.align = a;
            self.out.extend_from_slice(&cmd::align(a));
        }
    }
    pub(crate) fn bold(&mut self, b: bool) {
        if self.bold != b {
            self.bold = b;
            self.out.extend_from_slice(&cmd::bold(b));
        }
    }
    pub(crate) fn size(&mut self, w: u8, h: u8) {
        if self.size != (w, h) {
            self.size = (w, h);
            self.out.extend_from_slice(&cmd::size(w, h));
        }
    }
    fn cols(&self) -> usize {
        self.width / self.size.0 as usize
    }
    pub(crate) fn line(&mut self, text: &str) {
        pc858::encode_into(text, &mut self.out);
        self.out.push(b'\n');
    }
    /// `left` then `right` flush to the right edge; the left side is cut
    /// short (never wrapped) so amounts stay in their column.
    pub(crate) fn two_cols(&mut self, left: &str, right: &str) {
        let cols = self.cols();
        let rw = pc858::printed_width(right);
        let room = cols.saturating_sub(rw + 1);
        let mut l = String::new();
        let mut lw = 0;
        for c in left.chars() {
            let w = pc858::printed_width(c.encode_utf8(&mut [0u8; 4]));
            if lw + w > room {
                break;
            }
            l.push(c);
            lw += w;
        }
        let pad = cols.saturating_sub(lw + rw);
        pc858::encode_into(&l, &mut self.out);
        self.out.extend(std::iter::repeat_n(b' ', pad));
        pc858::encode_into(right, &mut self.out);
        self.out.push(b'\n');
    }
    pub(crate) fn rule(&mut self) {
        let n = self.cols();
        self.out.extend(std::iter::repeat_n(b'-', n));
        self.out.push(b'\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pbm_logo_becomes_a_raster_image() {
        let mut pbm = b"P4\n# comptoir\n10 2\n".to_vec();
        pbm.extend([0xFF, 0xC0, 0x80, 0x40]);
        let logo = Logo::from_pbm(&pbm).unwrap();
        assert_eq!((logo.width_bytes, logo.rows), (2, 2));
        let r = super::super::core_receipt::sample_receipt(1);
        let b = super::super::core_receipt::render_receipt_with_logo(
            &r,
            Layout::default(),
            Some(&logo),
        )
        .unwrap();
        let raster = [
            0x1D, 0x76, 0x30, 0x00, 0x02, 0x00, 0x02, 0x00, 0xFF, 0xC0, 0x80, 0x40,
        ];
        assert!(b.windows(raster.len()).any(|w| w == raster));
        assert!(Logo::from_pbm(b"P1\n1 1\n1").is_err());
        assert!(Logo::from_pbm(b"P4\n16 16\n\x00").is_err());
        assert!(Logo::from_pbm(b"P4\n").is_err());
    }
}
