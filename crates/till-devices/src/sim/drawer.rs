//! A cash drawer with its own serial interface and open sensor.

use std::sync::{Arc, Mutex};

use super::runner::{Endpoint, Session, SimKind};
use crate::DeviceError;

#[derive(Debug, Default)]
struct State {
    open: bool,
    opened: u32,
    raw: Vec<u8>,
}

struct DrawerSession {
    state: Arc<Mutex<State>>,
    open_byte: u8,
    query_byte: u8,
}

impl Session for DrawerSession {
    fn on_bytes(&mut self, bytes: &[u8], out: &mut Vec<u8>) {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        s.raw.extend_from_slice(bytes);
        for &b in bytes {
            if b == self.open_byte {
                s.open = true;
                s.opened += 1;
            } else if b == self.query_byte {
                out.push(if s.open { b'1' } else { b'0' });
            }
        }
    }
    fn tick(&mut self, _out: &mut Vec<u8>) {}
}

/// A running serial drawer simulator: opens on `open_byte`, answers
/// `query_byte` with '1' (open) or '0' (closed).
pub struct DrawerSim {
    state: Arc<Mutex<State>>,
    /// Where it listens.
    pub endpoint: Endpoint,
}

impl DrawerSim {
    /// Start one.
    pub fn spawn(kind: SimKind, open_byte: u8, query_byte: u8) -> Result<Self, DeviceError> {
        let state = Arc::new(Mutex::new(State::default()));
        let session = DrawerSession {
            state: state.clone(),
            open_byte,
            query_byte,
        };
        Ok(Self {
            state,
            endpoint: Endpoint::spawn(kind, session, "drawer")?,
        })
    }
    /// Is it open?
    pub fn is_open(&self) -> bool {
        self.state.lock().map(|s| s.open).unwrap_or(false)
    }
    /// How many times it was opened.
    pub fn times_opened(&self) -> u32 {
        self.state.lock().map(|s| s.opened).unwrap_or(0)
    }
    /// The cashier pushes it shut.
    pub fn close(&self) {
        if let Ok(mut s) = self.state.lock() {
            s.open = false;
        }
    }
}
