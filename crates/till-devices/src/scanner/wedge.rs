//! Keyboard-wedge scanners read as Linux evdev key codes.
//!
//! Reading the scanner's `/dev/input/eventN` instead of typed text makes the
//! result independent of the keyboard layout (on AZERTY, the text "112"
//! arrives as "&&é" because the scanner presses the unshifted digit-row keys)
//! and tells scans apart from a cashier typing. Each record is a
//! `struct input_event` (linux/input.h): on 64-bit Linux a 16-byte timeval,
//! then u16 type, u16 code, i32 value, native endian: 24 bytes.

use super::{Frame, ScanError};

/// Size of one `struct input_event` on 64-bit Linux.
pub const INPUT_EVENT_SIZE: usize = 24;

/// EV_KEY event type.
const EV_KEY: u16 = 1;

/// One decoded `struct input_event`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputEvent {
    /// Event type (1 = EV_KEY).
    pub kind: u16,
    /// Key code (linux/input-event-codes.h).
    pub code: u16,
    /// 1 press, 0 release, 2 autorepeat.
    pub value: i32,
}

impl InputEvent {
    /// Parse one 24-byte record.
    pub fn parse(rec: &[u8; INPUT_EVENT_SIZE]) -> Self {
        Self {
            kind: u16::from_ne_bytes([rec[16], rec[17]]),
            code: u16::from_ne_bytes([rec[18], rec[19]]),
            value: i32::from_ne_bytes([rec[20], rec[21], rec[22], rec[23]]),
        }
    }
    /// Encode (for fixtures and the simulator); the timestamp is zero.
    pub fn encode(&self) -> [u8; INPUT_EVENT_SIZE] {
        let mut r = [0u8; INPUT_EVENT_SIZE];
        r[16..18].copy_from_slice(&self.kind.to_ne_bytes());
        r[18..20].copy_from_slice(&self.code.to_ne_bytes());
        r[20..24].copy_from_slice(&self.value.to_ne_bytes());
        r
    }
    /// A key press followed by its release.
    pub fn key_stroke(code: u16) -> [Self; 2] {
        [
            Self {
                kind: EV_KEY,
                code,
                value: 1,
            },
            Self {
                kind: EV_KEY,
                code,
                value: 0,
            },
        ]
    }
}

const KEY_ENTER: u16 = 28;
const KEY_KPENTER: u16 = 96;
const KEY_LEFTSHIFT: u16 = 42;
const KEY_RIGHTSHIFT: u16 = 54;

/// The character a key code stands for, layout-independently: the digit
/// row and the keypad give digits whatever the layout; letters are taken at
/// their US positions (what scanners in "US keyboard" mode send).
fn key_char(code: u16, shift: bool) -> Option<char> {
    let c = match code {
        2..=10 => (b'1' + (code - 2) as u8) as char, // KEY_1..KEY_9
        11 => '0',                                   // KEY_0
        71 => '7',
        72 => '8',
        73 => '9', // KEY_KP7..9
        75 => '4',
        76 => '5',
        77 => '6', // KEY_KP4..6
        79 => '1',
        80 => '2',
        81 => '3',      // KEY_KP1..3
        82 => '0',      // KEY_KP0
        12 | 74 => '-', // KEY_MINUS, KEY_KPMINUS
        52 | 83 => '.', // KEY_DOT, KEY_KPDOT
        57 => ' ',      // KEY_SPACE
        _ => {
            const ROWS: [(u16, &str); 3] = [(16, "qwertyuiop"), (30, "asdfghjkl"), (44, "zxcvbnm")];
            let (start, letters) = ROWS
                .iter()
                .find(|(s, l)| code >= *s && code < s + l.len() as u16)?;
            let c = letters.as_bytes()[(code - start) as usize] as char;
            return Some(if shift { c.to_ascii_uppercase() } else { c });
        }
    };
    Some(c)
}

/// Turns key events into frames, Enter ending each one.
#[derive(Debug)]
pub struct WedgeDecoder {
    max_len: usize,
    shift: bool,
    text: String,
    raw: Vec<u8>,
    bad: bool,
    overflowed: bool,
}

impl WedgeDecoder {
    /// A decoder rejecting frames longer than `max_len` characters.
    pub fn new(max_len: usize) -> Self {
        Self {
            max_len,
            shift: false,
            text: String::new(),
            raw: Vec::new(),
            bad: false,
            overflowed: false,
        }
    }

    /// Feed one event; returns a frame or a rejection when Enter ends one.
    pub fn push(&mut self, ev: InputEvent) -> Option<Result<Frame, ScanError>> {
        if ev.kind != EV_KEY {
            return None; // EV_SYN, EV_MSC scan codes: framing noise
        }
        if ev.code == KEY_LEFTSHIFT || ev.code == KEY_RIGHTSHIFT {
            self.shift = ev.value != 0;
            return None;
        }
        if ev.value != 1 {
            return None; // releases and autorepeat
        }
        self.raw.extend_from_slice(&ev.code.to_le_bytes());
        if ev.code == KEY_ENTER || ev.code == KEY_KPENTER {
            let text = std::mem::take(&mut self.text);
            let raw = std::mem::take(&mut self.raw);
            let (bad, over) = (self.bad, self.overflowed);
            self.bad = false;
            self.overflowed = false;
            if over {
                return Some(Err(ScanError::TooLong {
                    max: self.max_len,
                    raw,
                }));
            }
            if bad {
                return Some(Err(ScanError::Garbled { raw }));
            }
            if text.is_empty() {
                return None; // a stray Enter
            }
            return Some(Ok(Frame {
                raw,
                aim: None,
                data: text,
            }));
        }
        match key_char(ev.code, self.shift) {
            Some(c) if !self.overflowed => {
                if self.text.len() >= self.max_len {
                    self.overflowed = true;
                    self.text.clear();
                } else {
                    self.text.push(c);
                }
            }
            Some(_) => {}
            None => self.bad = true,
        }
        None
    }

    /// Feed raw bytes holding whole records (as read from the device).
    pub fn push_bytes(&mut self, bytes: &[u8]) -> Vec<Result<Frame, ScanError>> {
        bytes
            .chunks_exact(INPUT_EVENT_SIZE)
            .filter_map(|c| {
                let rec: &[u8; INPUT_EVENT_SIZE] = c.try_into().ok()?;
                self.push(InputEvent::parse(rec))
            })
            .collect()
    }
}

/// The key events a scanner sends for `text` then Enter (for the simulator
/// and fixtures). Characters with no key are skipped.
pub fn events_for(text: &str) -> Vec<InputEvent> {
    let mut out = Vec::new();
    for ch in text.chars() {
        let lower = ch.to_ascii_lowercase();
        let code = (1u16..=83).find(|&k| key_char(k, false) == Some(lower));
        if let Some(code) = code {
            let shift = ch.is_ascii_uppercase();
            if shift {
                out.push(InputEvent {
                    kind: EV_KEY,
                    code: KEY_LEFTSHIFT,
                    value: 1,
                });
            }
            out.extend(InputEvent::key_stroke(code));
            if shift {
                out.push(InputEvent {
                    kind: EV_KEY,
                    code: KEY_LEFTSHIFT,
                    value: 0,
                });
            }
        }
    }
    out.extend(InputEvent::key_stroke(KEY_ENTER));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(evs: &[InputEvent]) -> Vec<u8> {
        evs.iter().flat_map(|e| e.encode()).collect()
    }

    #[test]
    fn digits_come_out_as_digits_whatever_the_layout() {
        let mut d = WedgeDecoder::new(64);
        let out = d.push_bytes(&bytes(&events_for("3017620422003")));
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].as_ref().unwrap().data, "3017620422003");
    }

    #[test]
    fn keypad_digits_and_kp_enter() {
        let mut d = WedgeDecoder::new(64);
        let mut evs = Vec::new();
        for k in [79, 80, 81, 82] {
            evs.extend(InputEvent::key_stroke(k));
        }
        evs.extend(InputEvent::key_stroke(KEY_KPENTER));
        let out = d.push_bytes(&bytes(&evs));
        assert_eq!(out[0].as_ref().unwrap().data, "1230");
    }

    #[test]
    fn shifted_letters() {
        let mut d = WedgeDecoder::new(64);
        let out = d.push_bytes(&bytes(&events_for("Ab-1")));
        assert_eq!(out[0].as_ref().unwrap().data, "Ab-1");
    }

    #[test]
    fn unknown_keys_and_over_long_are_rejected_then_recover() {
        let mut d = WedgeDecoder::new(4);
        let mut evs = InputEvent::key_stroke(59).to_vec(); // KEY_F1
        evs.extend(InputEvent::key_stroke(KEY_ENTER));
        evs.extend(events_for("123456"));
        evs.extend(events_for("12"));
        let out = d.push_bytes(&bytes(&evs));
        assert!(matches!(out[0], Err(ScanError::Garbled { .. })));
        assert!(matches!(out[1], Err(ScanError::TooLong { max: 4, .. })));
        assert_eq!(out[2].as_ref().unwrap().data, "12");
    }

    #[test]
    fn record_layout_is_24_bytes() {
        let e = InputEvent {
            kind: 1,
            code: 2,
            value: 1,
        };
        let r = e.encode();
        assert_eq!(r.len(), 24);
        assert_eq!(InputEvent::parse(&r), e);
    }
}
