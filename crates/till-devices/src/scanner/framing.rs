//! Serial scanner framing: `[prefix][AIM id]data(CR|CR LF)`.
//!
//! Pure: bytes and the current time go in, frames or typed errors come out,
//! so every corner case is a unit test and the reader never gets stuck.

use std::time::{Duration, Instant};

use super::{Frame, ScanError};

/// The terminator the scanner is programmed to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Suffix {
    /// Carriage return (0x0D), most scanners' factory default.
    #[default]
    Cr,
    /// CR LF.
    CrLf,
}

impl Suffix {
    /// The bytes of the suffix.
    pub fn bytes(self) -> &'static [u8] {
        match self {
            Suffix::Cr => b"\r",
            Suffix::CrLf => b"\r\n",
        }
    }
}

/// Whether frames carry an AIM symbology identifier (`]` + 2 characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AimMode {
    /// Never: a leading `]` is data.
    Off,
    /// Recognised when present (the default: harmless, since no retail code
    /// starts with `]`).
    #[default]
    Optional,
    /// Must be present: frames without one are rejected.
    Required,
}

/// How the scanner frames its output.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct FrameConfig {
    /// Terminator. Either CR or LF ends a frame whatever this says (a lone
    /// LF after CR is ignored), so a scanner reprogrammed from CR to CR LF
    /// keeps working; the setting is what the simulator sends.
    pub suffix: Suffix,
    /// Bytes the scanner puts before every code (often none, sometimes STX).
    pub prefix: Vec<u8>,
    /// AIM identifier handling.
    pub aim: AimMode,
    /// Longest accepted frame, terminator excluded. GS1-128 tops out at 48
    /// data characters, QR codes on receipts at a few hundred.
    pub max_len: usize,
    /// A frame with no new byte for this long is dropped as partial.
    pub idle_ms: u64,
}

impl Default for FrameConfig {
    fn default() -> Self {
        Self {
            suffix: Suffix::Cr,
            prefix: Vec::new(),
            aim: AimMode::Optional,
            max_len: 256,
            idle_ms: 300,
        }
    }
}

/// Splits a byte stream into frames.
#[derive(Debug)]
pub struct Framer {
    cfg: FrameConfig,
    buf: Vec<u8>,
    overflowed: bool,
    last_byte: Option<Instant>,
}

impl Framer {
    /// A framer for `cfg`.
    pub fn new(cfg: FrameConfig) -> Self {
        Self {
            cfg,
            buf: Vec::new(),
            overflowed: false,
            last_byte: None,
        }
    }

    /// The config in use.
    pub fn config(&self) -> &FrameConfig {
        &self.cfg
    }

    /// Feed bytes received at `now`. Returns every frame (or rejection) they
    /// complete, in order.
    pub fn push(&mut self, bytes: &[u8], now: Instant) -> Vec<Result<Frame, ScanError>> {
        let mut out = Vec::new();
        if let Some(e) = self.idle(now) {
            out.push(Err(e));
        }
        for &b in bytes {
            if b == b'\r' || b == b'\n' {
                if self.overflowed {
                    // The over-long frame ends here; it was reported already.
                    self.overflowed = false;
                    self.buf.clear();
                } else if !self.buf.is_empty() {
                    let raw = std::mem::take(&mut self.buf);
                    out.push(self.finish(raw, b));
                }
                continue;
            }
            if self.overflowed {
                continue;
            }
            self.buf.push(b);
            if self.buf.len() > self.cfg.max_len + self.cfg.prefix.len() {
                self.overflowed = true;
                out.push(Err(ScanError::TooLong {
                    max: self.cfg.max_len,
                    raw: std::mem::take(&mut self.buf),
                }));
            }
        }
        self.last_byte = Some(now);
        out
    }

    /// Call when no byte came for a while: a half frame older than the idle
    /// timeout is dropped and reported, so the next scan starts clean.
    pub fn idle(&mut self, now: Instant) -> Option<ScanError> {
        let last = self.last_byte?;
        if now.saturating_duration_since(last) < Duration::from_millis(self.cfg.idle_ms) {
            return None;
        }
        self.last_byte = None;
        if self.overflowed {
            self.overflowed = false;
            return None;
        }
        if self.buf.is_empty() {
            return None;
        }
        Some(ScanError::Partial {
            raw: std::mem::take(&mut self.buf),
        })
    }

    fn finish(&self, mut raw: Vec<u8>, terminator: u8) -> Result<Frame, ScanError> {
        let body_start = self.cfg.prefix.len();
        let keep_raw = |raw: &Vec<u8>| {
            let mut r = raw.clone();
            r.push(terminator);
            r
        };
        if !raw.starts_with(&self.cfg.prefix) {
            return Err(ScanError::MissingPrefix {
                raw: keep_raw(&raw),
            });
        }
        let body = &raw[body_start..];
        // Printable ASCII plus GS (FNC1 in GS1 data); anything else is noise.
        if body
            .iter()
            .any(|&b| !(0x20..0x7F).contains(&b) && b != 0x1D)
        {
            return Err(ScanError::Garbled {
                raw: keep_raw(&raw),
            });
        }
        let has_aim = body.len() >= 3 && body[0] == b']' && body[1].is_ascii_alphabetic();
        let (aim, data) = match (self.cfg.aim, has_aim) {
            (AimMode::Off, _) | (AimMode::Optional, false) => (None, body),
            (_, true) => (
                Some(String::from_utf8_lossy(&body[..3]).into_owned()),
                &body[3..],
            ),
            (AimMode::Required, false) => {
                return Err(ScanError::MissingAim {
                    raw: keep_raw(&raw),
                })
            }
        };
        if data.is_empty() {
            return Err(ScanError::Partial {
                raw: keep_raw(&raw),
            });
        }
        let data = String::from_utf8_lossy(data).into_owned();
        raw.push(terminator);
        Ok(Frame { raw, aim, data })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn framer(cfg: FrameConfig) -> (Framer, Instant) {
        (Framer::new(cfg), Instant::now())
    }

    fn ok(r: &Result<Frame, ScanError>) -> &Frame {
        match r {
            Ok(f) => f,
            Err(e) => panic!("unexpected {e}"),
        }
    }

    #[test]
    fn cr_and_crlf_both_end_a_frame() {
        let (mut f, t) = framer(FrameConfig::default());
        let out = f.push(b"4006381333931\r3017620422003\r\n96385074\r", t);
        assert_eq!(out.len(), 3);
        assert_eq!(ok(&out[0]).data, "4006381333931");
        assert_eq!(ok(&out[1]).data, "3017620422003");
        assert_eq!(ok(&out[2]).raw, b"96385074\r");
    }

    #[test]
    fn aim_identifier_and_prefix() {
        let cfg = FrameConfig {
            prefix: vec![0x02],
            ..Default::default()
        };
        let (mut f, t) = framer(cfg);
        let out = f.push(b"\x02]E04006381333931\r", t);
        let fr = ok(&out[0]);
        assert_eq!(fr.aim.as_deref(), Some("]E0"));
        assert_eq!(fr.data, "4006381333931");
        let out = f.push(b"4006381333931\r", t);
        assert!(matches!(out[0], Err(ScanError::MissingPrefix { .. })));
    }

    #[test]
    fn required_aim_rejects_bare_codes() {
        let cfg = FrameConfig {
            aim: AimMode::Required,
            ..Default::default()
        };
        let (mut f, t) = framer(cfg);
        assert!(matches!(
            f.push(b"123\r", t)[0],
            Err(ScanError::MissingAim { .. })
        ));
        assert_eq!(ok(&f.push(b"]C0ABC\r", t)[0]).data, "ABC");
    }

    #[test]
    fn split_across_reads() {
        let (mut f, t) = framer(FrameConfig::default());
        assert!(f.push(b"40063", t).is_empty());
        let out = f.push(b"81333931\r", t + Duration::from_millis(10));
        assert_eq!(ok(&out[0]).data, "4006381333931");
    }

    #[test]
    fn garbage_is_rejected_and_the_next_scan_works() {
        let (mut f, t) = framer(FrameConfig::default());
        let out = f.push(b"40\xFF\x0063\r96385074\r", t);
        assert!(matches!(out[0], Err(ScanError::Garbled { .. })));
        assert_eq!(ok(&out[1]).data, "96385074");
    }

    #[test]
    fn over_long_is_rejected_once_then_recovers() {
        let cfg = FrameConfig {
            max_len: 8,
            ..Default::default()
        };
        let (mut f, t) = framer(cfg);
        let out = f.push(b"0123456789012345678\r96385074\r", t);
        assert_eq!(out.len(), 2, "{out:?}");
        assert!(matches!(out[0], Err(ScanError::TooLong { max: 8, .. })));
        assert_eq!(ok(&out[1]).data, "96385074");
    }

    #[test]
    fn partial_frame_expires_after_idle() {
        let (mut f, t) = framer(FrameConfig::default());
        assert!(f.push(b"400638", t).is_empty());
        assert!(f.idle(t + Duration::from_millis(100)).is_none());
        let e = f.idle(t + Duration::from_millis(400));
        assert!(matches!(e, Some(ScanError::Partial { .. })));
        let out = f.push(b"96385074\r", t + Duration::from_millis(500));
        assert_eq!(ok(&out[0]).data, "96385074");
        // The expiry is also noticed when the next bytes arrive late.
        f.push(b"123", t + Duration::from_millis(600));
        let out = f.push(b"96385074\r", t + Duration::from_millis(2000));
        assert!(matches!(out[0], Err(ScanError::Partial { .. })));
        assert_eq!(ok(&out[1]).data, "96385074");
    }
}
