//! Real-time status (`DLE EOT n`) replies and automatic status back (`GS a`).
//!
//! Reference: Epson ESC/POS Application Programming Guide, "DLE EOT" and
//! "GS a" (TM-T20/TM-T88 columns). A DLE EOT reply is one byte whose fixed
//! bits read 0xx1xx10; the first byte of an automatic status back block reads
//! 0xx1xx00. That difference in bits 0-1 is how the two are told apart on the
//! same wire.

use crate::DeviceError;

/// True if `b` fits the DLE EOT reply pattern 0xx1xx10.
pub fn is_dle_eot_reply(b: u8) -> bool {
    b & 0b1001_0011 == 0b0001_0010
}

/// True if `b` fits the first byte of an automatic status back block, 0xx1xx00.
pub fn is_asb_first_byte(b: u8) -> bool {
    b & 0b1001_0011 == 0b0001_0000
}

/// DLE EOT 1: printer status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct PrinterStatus {
    /// Bit 2: drawer kick-out connector pin 3 is HIGH. Whether HIGH means
    /// "open" depends on the drawer's switch; see the drawer config.
    pub drawer_pin3_high: bool,
    /// Bit 3: the printer is offline.
    pub offline: bool,
    /// Bit 5: waiting for online recovery.
    pub waiting_recovery: bool,
    /// Bit 6: the paper feed button is being pressed.
    pub feed_button: bool,
}

/// DLE EOT 2: offline cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct OfflineCause {
    /// Bit 2: cover open.
    pub cover_open: bool,
    /// Bit 3: paper is being fed with the feed button.
    pub feeding: bool,
    /// Bit 5: printing stopped because the paper ran out.
    pub paper_end_stop: bool,
    /// Bit 6: an error occurred.
    pub error: bool,
}

/// DLE EOT 3: error cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct ErrorCause {
    /// Bit 2: mechanical (recoverable) error, e.g. head lifted.
    pub mechanical: bool,
    /// Bit 3: autocutter error (paper jam at the cutter).
    pub cutter: bool,
    /// Bit 5: unrecoverable error: power cycle and call for service.
    pub unrecoverable: bool,
    /// Bit 6: automatically recoverable error (e.g. head overheated).
    pub auto_recoverable: bool,
}

/// DLE EOT 4: roll paper sensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct PaperStatus {
    /// Bits 2-3: paper roll near its end.
    pub near_end: bool,
    /// Bits 5-6: paper end detected.
    pub end: bool,
}

fn checked(n: u8, b: u8) -> Result<u8, DeviceError> {
    if is_dle_eot_reply(b) {
        Ok(b)
    } else {
        Err(DeviceError::Garbage {
            detail: format!("DLE EOT {n} reply breaks the fixed bit pattern 0xx1xx10"),
            bytes: vec![b],
        })
    }
}

const fn bit(b: u8, n: u8) -> bool {
    b & (1 << n) != 0
}

impl PrinterStatus {
    /// Decode a DLE EOT 1 reply.
    pub fn decode(b: u8) -> Result<Self, DeviceError> {
        let b = checked(1, b)?;
        Ok(Self {
            drawer_pin3_high: bit(b, 2),
            offline: bit(b, 3),
            waiting_recovery: bit(b, 5),
            feed_button: bit(b, 6),
        })
    }
    /// Encode (for the simulator).
    pub fn encode(&self) -> u8 {
        0x12 | (self.drawer_pin3_high as u8) << 2
            | (self.offline as u8) << 3
            | (self.waiting_recovery as u8) << 5
            | (self.feed_button as u8) << 6
    }
}

impl OfflineCause {
    /// Decode a DLE EOT 2 reply.
    pub fn decode(b: u8) -> Result<Self, DeviceError> {
        let b = checked(2, b)?;
        Ok(Self {
            cover_open: bit(b, 2),
            feeding: bit(b, 3),
            paper_end_stop: bit(b, 5),
            error: bit(b, 6),
        })
    }
    /// Encode (for the simulator).
    pub fn encode(&self) -> u8 {
        0x12 | (self.cover_open as u8) << 2
            | (self.feeding as u8) << 3
            | (self.paper_end_stop as u8) << 5
            | (self.error as u8) << 6
    }
}

impl ErrorCause {
    /// Decode a DLE EOT 3 reply.
    pub fn decode(b: u8) -> Result<Self, DeviceError> {
        let b = checked(3, b)?;
        Ok(Self {
            mechanical: bit(b, 2),
            cutter: bit(b, 3),
            unrecoverable: bit(b, 5),
            auto_recoverable: bit(b, 6),
        })
    }
    /// Encode (for the simulator).
    pub fn encode(&self) -> u8 {
        0x12 | (self.mechanical as u8) << 2
            | (self.cutter as u8) << 3
            | (self.unrecoverable as u8) << 5
            | (self.auto_recoverable as u8) << 6
    }
}

impl PaperStatus {
    /// Decode a DLE EOT 4 reply. Either bit of a pair counts: models differ
    /// in whether they set one or both.
    pub fn decode(b: u8) -> Result<Self, DeviceError> {
        let b = checked(4, b)?;
        Ok(Self {
            near_end: b & 0b0000_1100 != 0,
            end: b & 0b0110_0000 != 0,
        })
    }
    /// Encode (for the simulator): both bits of each pair, as TM-T88 does.
    pub fn encode(&self) -> u8 {
        0x12 | if self.near_end { 0x0C } else { 0 } | if self.end { 0x60 } else { 0 }
    }
}

/// The four DLE EOT replies together: everything the printer can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct FullStatus {
    /// DLE EOT 1
    pub printer: PrinterStatus,
    /// DLE EOT 2
    pub offline: OfflineCause,
    /// DLE EOT 3
    pub error: ErrorCause,
    /// DLE EOT 4
    pub paper: PaperStatus,
}

impl FullStatus {
    /// True if a receipt sent now would print.
    pub fn ready(&self) -> bool {
        !self.printer.offline
            && !self.offline.cover_open
            && !self.offline.paper_end_stop
            && !self.offline.error
            && !self.paper.end
            && !self.error.cutter
            && !self.error.unrecoverable
    }

    /// Plain-words problems, most urgent first; empty when all is well.
    /// Written for the cashier's screen and the technician alike.
    pub fn problems(&self) -> Vec<&'static str> {
        let mut p = Vec::new();
        if self.error.unrecoverable {
            p.push("printer has an unrecoverable error: switch it off and on, then call service");
        }
        if self.error.cutter {
            p.push("paper jammed in the cutter: open the cover and clear it");
        }
        if self.offline.cover_open {
            p.push("printer cover is open: close it");
        }
        if self.paper.end || self.offline.paper_end_stop {
            p.push("printer is out of paper: load a new roll");
        }
        if self.error.mechanical {
            p.push("printer mechanism error: check the print head lever");
        }
        if self.error.auto_recoverable {
            p.push("print head overheated: wait a minute");
        }
        if self.printer.offline && p.is_empty() {
            p.push("printer is offline");
        }
        if self.paper.near_end && !self.paper.end {
            p.push("paper roll nearly finished: have a new roll ready");
        }
        p
    }
}

/// A 4-byte automatic status back block (`GS a`), decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct AutoStatus {
    /// Byte 1 bit 2: drawer connector pin 3 HIGH.
    pub drawer_pin3_high: bool,
    /// Byte 1 bit 3: offline.
    pub offline: bool,
    /// Byte 1 bit 5: cover open.
    pub cover_open: bool,
    /// Byte 2 bit 3: autocutter error.
    pub cutter_error: bool,
    /// Byte 2 bit 5: unrecoverable error.
    pub unrecoverable: bool,
    /// Byte 2 bit 6: auto-recoverable error.
    pub auto_recoverable: bool,
    /// Byte 3 bits 0-1: paper near end.
    pub paper_near_end: bool,
    /// Byte 3 bits 2-3: paper end.
    pub paper_end: bool,
}

impl AutoStatus {
    /// Decode a 4-byte block; checks the fixed bits of every byte (byte 1
    /// 0xx1xx00, bytes 2-4 0xx0xxxx).
    pub fn decode(b: [u8; 4]) -> Result<Self, DeviceError> {
        let ok = is_asb_first_byte(b[0]) && b[1..].iter().all(|x| x & 0b1001_0000 == 0);
        if !ok {
            return Err(DeviceError::Garbage {
                detail: "automatic status back block breaks its fixed bit pattern".into(),
                bytes: b.to_vec(),
            });
        }
        Ok(Self {
            drawer_pin3_high: bit(b[0], 2),
            offline: bit(b[0], 3),
            cover_open: bit(b[0], 5),
            cutter_error: bit(b[1], 3),
            unrecoverable: bit(b[1], 5),
            auto_recoverable: bit(b[1], 6),
            paper_near_end: b[2] & 0x03 != 0,
            paper_end: b[2] & 0x0C != 0,
        })
    }

    /// Encode (for the simulator).
    pub fn encode(s: &FullStatus) -> [u8; 4] {
        [
            0x10 | (s.printer.drawer_pin3_high as u8) << 2
                | (s.printer.offline as u8) << 3
                | (s.offline.cover_open as u8) << 5,
            (s.error.cutter as u8) << 3
                | (s.error.unrecoverable as u8) << 5
                | (s.error.auto_recoverable as u8) << 6,
            if s.paper.near_end { 0x03 } else { 0 } | if s.paper.end { 0x0C } else { 0 },
            0,
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_bit_patterns() {
        assert!(is_dle_eot_reply(0x12));
        assert!(is_dle_eot_reply(0x16));
        assert!(!is_dle_eot_reply(0x10)); // ASB first byte
        assert!(is_asb_first_byte(0x10));
        assert!(!is_dle_eot_reply(0x92)); // bit 7 set
        assert!(!is_dle_eot_reply(0x02)); // bit 4 clear
        assert!(!is_dle_eot_reply(0x13)); // bit 0 set (XOFF)
    }

    #[test]
    fn decode_each_condition() {
        assert_eq!(
            PrinterStatus::decode(0x12).unwrap(),
            PrinterStatus::default()
        );
        let s = PrinterStatus::decode(0x16).unwrap();
        assert!(s.drawer_pin3_high && !s.offline);
        let s = PrinterStatus::decode(0x1A).unwrap();
        assert!(s.offline);
        assert!(OfflineCause::decode(0x16).unwrap().cover_open);
        let c = OfflineCause::decode(0x72).unwrap();
        assert!(c.paper_end_stop && c.error && !c.cover_open);
        let e = ErrorCause::decode(0x1A).unwrap();
        assert!(e.cutter && !e.unrecoverable);
        let e = ErrorCause::decode(0x32).unwrap();
        assert!(e.unrecoverable);
        let e = ErrorCause::decode(0x52).unwrap();
        assert!(e.auto_recoverable);
        assert_eq!(
            PaperStatus::decode(0x1E).unwrap(),
            PaperStatus {
                near_end: true,
                end: false
            }
        );
        assert_eq!(
            PaperStatus::decode(0x7E).unwrap(),
            PaperStatus {
                near_end: true,
                end: true
            }
        );
        assert_eq!(PaperStatus::decode(0x12).unwrap(), PaperStatus::default());
    }

    #[test]
    fn garbage_is_a_typed_error() {
        for b in [0x00, 0xFF, 0x10, 0x93] {
            assert!(
                matches!(PrinterStatus::decode(b), Err(DeviceError::Garbage { .. })),
                "{b:02X}"
            );
        }
    }

    #[test]
    fn encode_decode_round_trip() {
        let p = PrinterStatus {
            drawer_pin3_high: true,
            offline: true,
            ..Default::default()
        };
        assert_eq!(PrinterStatus::decode(p.encode()).unwrap(), p);
        let o = OfflineCause {
            cover_open: true,
            paper_end_stop: true,
            ..Default::default()
        };
        assert_eq!(OfflineCause::decode(o.encode()).unwrap(), o);
        let e = ErrorCause {
            cutter: true,
            unrecoverable: true,
            ..Default::default()
        };
        assert_eq!(ErrorCause::decode(e.encode()).unwrap(), e);
        let pa = PaperStatus {
            near_end: true,
            end: true,
        };
        assert_eq!(PaperStatus::decode(pa.encode()).unwrap(), pa);
    }

    #[test]
    fn asb_block() {
        let mut s = FullStatus::default();
        s.offline.cover_open = true;
        s.printer.offline = true;
        s.paper.end = true;
        let b = AutoStatus::encode(&s);
        assert!(is_asb_first_byte(b[0]));
        let a = AutoStatus::decode(b).unwrap();
        assert!(a.cover_open && a.offline && a.paper_end && !a.paper_near_end);
        assert!(AutoStatus::decode([0x12, 0, 0, 0]).is_err());
        assert!(AutoStatus::decode([0x10, 0x80, 0, 0]).is_err());
    }

    #[test]
    fn problems_in_plain_words() {
        let mut s = FullStatus::default();
        assert!(s.ready());
        assert!(s.problems().is_empty());
        s.paper.end = true;
        s.printer.offline = true;
        assert!(!s.ready());
        assert_eq!(
            s.problems(),
            vec!["printer is out of paper: load a new roll"]
        );
    }
}
