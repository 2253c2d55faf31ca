//! The targets, one per parser of outside bytes, and what they share.

use std::collections::VecDeque;
use std::time::Duration;

use till_devices::{DeviceError, Transport};

use crate::Target;

mod catalog;
mod config;
mod devices;
mod fastpay;
mod ingest;
mod payment;
mod proto;

/// Every target, in the order `--target all` runs them.
pub static ALL: &[Target] = &[
    proto::SYNC_BATCH,
    proto::WIRE_EVENT,
    proto::SYNC_ANSWERS,
    ingest::INGEST,
    fastpay::FASTPAY,
    devices::ESCPOS_RENDER,
    devices::PRINTER_STATUS,
    devices::SCANNER_SERIAL,
    devices::SCANNER_EVDEV,
    payment::CONCERT,
    payment::CAISSE_AP,
    catalog::CATALOG_CSV,
    catalog::CATALOG_JSON,
    config::CONFIG_TILL,
    config::CONFIG_SYNC,
    config::CONFIG_HEADOFFICE,
];

/// A behaviour signature built from a few cheap observations.
#[derive(Default)]
pub(crate) struct Sig(u64);

impl Sig {
    pub(crate) fn add(&mut self, v: u64) -> &mut Self {
        self.0 = (self.0 ^ v).wrapping_mul(0x0100_0000_01b3).rotate_left(5);
        self
    }
    pub(crate) fn str(&mut self, s: &str) -> &mut Self {
        self.add(crate::engine::fnv(s.as_bytes()))
    }
    /// An error message without its numbers (positions, lengths), so that
    /// the same error at another column is not a new behaviour.
    pub(crate) fn err(&mut self, e: &dyn std::fmt::Display) -> &mut Self {
        let s: String = e
            .to_string()
            .chars()
            .filter(|c| !c.is_ascii_digit())
            .take(60)
            .collect();
        self.str(&s)
    }
    pub(crate) fn get(&self) -> u64 {
        self.0
    }
}

/// A device link that plays back the input: each read gets `chunk` bytes
/// (1 = byte by byte); a `pause` byte in the script is one read that times
/// out (a quiet line: ends a drain, a drain time, a step); once the input is
/// used up it answers `Timeout` `timeouts` times, then reports the cable
/// pulled, so that every driver loop ends at once whatever the clock says.
pub(crate) struct ScriptLink {
    rx: VecDeque<Option<u8>>,
    chunk: usize,
    timeouts: u32,
    pub(crate) written: Vec<u8>,
}

impl ScriptLink {
    pub(crate) fn new(bytes: &[u8], chunk: usize, timeouts: u32) -> ScriptLink {
        Self::with_pause(bytes, chunk, timeouts, None)
    }

    pub(crate) fn with_pause(
        bytes: &[u8],
        chunk: usize,
        timeouts: u32,
        pause: Option<u8>,
    ) -> ScriptLink {
        ScriptLink {
            rx: bytes
                .iter()
                .map(|&b| (Some(b) != pause).then_some(b))
                .collect(),
            chunk: chunk.max(1),
            timeouts,
            written: Vec::new(),
        }
    }
}

impl Transport for ScriptLink {
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), DeviceError> {
        // Bounded: a driver that kept writing would show up as memory.
        if self.written.len() < 1 << 20 {
            self.written.extend_from_slice(bytes);
        }
        Ok(())
    }
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, DeviceError> {
        if self.rx.is_empty() || buf.is_empty() {
            if self.timeouts > 0 {
                self.timeouts -= 1;
                return Err(DeviceError::Timeout {
                    what: "script".into(),
                    after: timeout,
                });
            }
            return Err(DeviceError::Disconnected {
                detail: "script ended".into(),
            });
        }
        if self.rx.front() == Some(&None) {
            self.rx.pop_front();
            return Err(DeviceError::Timeout {
                what: "script pause".into(),
                after: timeout,
            });
        }
        let mut n = 0;
        while n < buf.len().min(self.chunk) {
            match self.rx.front() {
                Some(Some(b)) => {
                    buf[n] = *b;
                    self.rx.pop_front();
                    n += 1;
                }
                _ => break,
            }
        }
        Ok(n)
    }
    fn flush(&mut self) -> Result<(), DeviceError> {
        Ok(())
    }
    fn describe(&self) -> String {
        "script".into()
    }
}

/// A run of 13 or more digits (spaces allowed between them): what a full
/// card number looks like. Nothing the till keeps or shows may hold one.
pub(crate) fn has_full_pan(s: &str) -> bool {
    let mut run = 0;
    for c in s.chars() {
        if c.is_ascii_digit() {
            run += 1;
            if run >= 13 {
                return true;
            }
        } else if c != ' ' {
            run = 0;
        }
    }
    false
}

/// Splits an input in parts at `sep` bytes (at most `max` parts).
pub(crate) fn parts(input: &[u8], sep: u8, max: usize) -> Vec<&[u8]> {
    input.splitn(max, |&b| b == sep).collect()
}
