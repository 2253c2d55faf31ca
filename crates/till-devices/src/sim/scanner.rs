//! A serial barcode scanner that sends the codes it is given.

use std::sync::mpsc::{channel, Receiver, Sender};

use super::runner::{Endpoint, Session, SimKind};
use crate::scanner::Suffix;
use crate::DeviceError;

struct ScannerSession {
    rx: Receiver<Vec<u8>>,
}

impl Session for ScannerSession {
    fn on_bytes(&mut self, _bytes: &[u8], _out: &mut Vec<u8>) {
        // Real scanners accept configuration commands here; nothing needed.
    }
    fn tick(&mut self, out: &mut Vec<u8>) {
        while let Ok(frame) = self.rx.try_recv() {
            out.extend_from_slice(&frame);
        }
    }
}

/// A running scanner simulator. Each [`ScannerSim::scan`] emits one framed
/// code: `prefix + AIM id + data + suffix`.
pub struct ScannerSim {
    tx: Sender<Vec<u8>>,
    /// Prefix bytes before every code.
    pub prefix: Vec<u8>,
    /// Terminator.
    pub suffix: Suffix,
    /// Where it listens.
    pub endpoint: Endpoint,
}

impl ScannerSim {
    /// Start one with the given framing.
    pub fn spawn(kind: SimKind, prefix: Vec<u8>, suffix: Suffix) -> Result<Self, DeviceError> {
        let (tx, rx) = channel();
        let endpoint = Endpoint::spawn(kind, ScannerSession { rx }, "scanner")?;
        Ok(Self {
            tx,
            prefix,
            suffix,
            endpoint,
        })
    }

    /// Emit `data` with an optional AIM identifier (e.g. "]E0").
    pub fn scan(&self, aim: Option<&str>, data: &str) {
        let mut f = self.prefix.clone();
        if let Some(a) = aim {
            f.extend_from_slice(a.as_bytes());
        }
        f.extend_from_slice(data.as_bytes());
        f.extend_from_slice(self.suffix.bytes());
        self.send_raw(&f);
    }

    /// Emit `text` as a keyboard-wedge scanner would: `struct input_event`
    /// records (key press/release, then Enter), for readers of evdev nodes.
    pub fn scan_keys(&self, text: &str) {
        let bytes: Vec<u8> = crate::scanner::wedge::events_for(text)
            .iter()
            .flat_map(|e| e.encode())
            .collect();
        self.send_raw(&bytes);
    }

    /// Emit arbitrary bytes (noise, half frames).
    pub fn send_raw(&self, bytes: &[u8]) {
        // The receiver lives as long as the thread; a send after stop is moot.
        let _ = self.tx.send(bytes.to_vec());
    }
}
