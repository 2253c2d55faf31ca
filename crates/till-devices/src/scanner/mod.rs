//! Barcode scanners: serial framing, keyboard-wedge (evdev) key codes, and the
//! validation that turns a frame into a checked barcode.
//!
//! Both front ends produce a [`Frame`] (the scanned text plus its raw bytes);
//! [`validate`] is the single place a frame becomes a [`Code`], and it defers
//! to `till_core::barcode` so the till has one definition of "a valid code".

mod framing;
mod reader;
mod validate;
pub mod wedge;

pub use framing::{AimMode, FrameConfig, Framer, Suffix};
pub use reader::{SerialScanner, WedgeScanner};
pub use validate::{validate, Code, Scan};
pub use wedge::{InputEvent, WedgeDecoder, INPUT_EVENT_SIZE};

/// A scanned frame before validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The bytes as they came off the wire (prefix and suffix included).
    pub raw: Vec<u8>,
    /// The AIM symbology identifier (`]E0`, `]C1`...), if the scanner sent one.
    pub aim: Option<String>,
    /// The barcode data (FNC1 kept as GS, 0x1D).
    pub data: String,
}

/// Why a scan was rejected. The reader stays usable after every one of these.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// Bytes that no scanner sends inside a code (line noise, wrong baud rate).
    #[error("garbled scan (wrong baud rate or line noise?): {}", crate::error::hex(.raw))]
    Garbled {
        /// What was received.
        raw: Vec<u8>,
    },
    /// More bytes than any barcode without a terminator.
    #[error("scan longer than {max} bytes without a terminator; discarded")]
    TooLong {
        /// The configured maximum.
        max: usize,
        /// The bytes received before giving up (at most `max` + prefix).
        raw: Vec<u8>,
    },
    /// A frame started but its terminator never came (cable pulled mid-scan,
    /// or the scanner is set to a different suffix).
    #[error("partial scan without terminator: {}", crate::error::hex(.raw))]
    Partial {
        /// What was received.
        raw: Vec<u8>,
    },
    /// The configured prefix is missing.
    #[error("scan does not start with the configured prefix: {}", crate::error::hex(.raw))]
    MissingPrefix {
        /// What was received.
        raw: Vec<u8>,
    },
    /// An AIM identifier is required by the config but absent or malformed.
    #[error("scan has no valid AIM symbology identifier: {}", crate::error::hex(.raw))]
    MissingAim {
        /// What was received.
        raw: Vec<u8>,
    },
    /// A retail code whose check digit or length is wrong.
    #[error("invalid retail barcode {data:?}: {source}")]
    Invalid {
        /// The data.
        data: String,
        /// Why, from till-core.
        source: till_core::barcode::BarcodeError,
        /// The bytes as received (prefix, AIM id and suffix included).
        raw: Vec<u8>,
    },
    /// GS1 data whose application identifiers do not parse.
    #[error("invalid GS1 data {data:?}: {source}")]
    Gs1 {
        /// The data.
        data: String,
        /// Why, from till-core.
        source: till_core::barcode::Gs1Error,
        /// The bytes as received.
        raw: Vec<u8>,
    },
    /// The link itself failed (timeout, disconnection).
    #[error(transparent)]
    Device(#[from] crate::DeviceError),
}

impl ScanError {
    /// The bytes that were rejected, for the technician (None for link
    /// failures, which carry no scan).
    pub fn raw(&self) -> Option<&[u8]> {
        match self {
            ScanError::Garbled { raw }
            | ScanError::TooLong { raw, .. }
            | ScanError::Partial { raw }
            | ScanError::MissingPrefix { raw }
            | ScanError::MissingAim { raw }
            | ScanError::Invalid { raw, .. }
            | ScanError::Gs1 { raw, .. } => Some(raw),
            ScanError::Device(_) => None,
        }
    }
}
