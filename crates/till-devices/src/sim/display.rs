//! A customer display on a pseudo-terminal: it takes Epson DM-D or CD5220
//! bytes and keeps what the customer would see, two lines of 20.

use std::sync::{Arc, Mutex, MutexGuard};

use super::runner::{Endpoint, Session, SimKind};
use crate::display::{Charset, Screen};
use crate::DeviceError;

#[derive(Debug)]
struct Shared {
    screen: Screen,
    /// Every distinct screen shown, in order.
    history: Vec<[String; 2]>,
    raw: Vec<u8>,
}

/// What a test or technician can read from a running display simulator.
#[derive(Clone)]
pub struct DisplayControl {
    shared: Arc<Mutex<Shared>>,
}

impl DisplayControl {
    fn lock(&self) -> MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(|p| p.into_inner())
    }
    /// The two lines shown now.
    pub fn lines(&self) -> [String; 2] {
        self.lock().screen.lines()
    }
    /// Every screen shown so far, in order (repeats of the same screen
    /// once).
    pub fn history(&self) -> Vec<[String; 2]> {
        self.lock().history.clone()
    }
    /// Every byte received.
    pub fn raw(&self) -> Vec<u8> {
        self.lock().raw.clone()
    }
    /// The code page last selected with `ESC t` (Epson).
    pub fn code_page(&self) -> Option<u8> {
        self.lock().screen.code_page
    }
}

struct DisplaySession {
    control: DisplayControl,
}

impl Session for DisplaySession {
    fn on_bytes(&mut self, bytes: &[u8], _out: &mut Vec<u8>) {
        let mut s = self.control.lock();
        s.raw.extend_from_slice(bytes);
        s.screen.feed(bytes);
    }

    fn tick(&mut self, _out: &mut Vec<u8>) {
        // A screen is recorded once the bytes stop arriving, not half
        // written: ticks come between reads.
        let mut s = self.control.lock();
        let now = s.screen.lines();
        if s.history.last() != Some(&now) {
            s.history.push(now);
        }
    }
}

/// A running customer display simulator on a pseudo-terminal.
pub struct DisplaySim {
    /// What it shows.
    pub control: DisplayControl,
    /// Where it listens: `endpoint.address` is the pty path.
    pub endpoint: Endpoint,
}

impl DisplaySim {
    /// Start one holding `charset`.
    pub fn spawn(charset: Charset) -> Result<Self, DeviceError> {
        let control = DisplayControl {
            shared: Arc::new(Mutex::new(Shared {
                screen: Screen::new(charset),
                history: Vec::new(),
                raw: Vec::new(),
            })),
        };
        let session = DisplaySession {
            control: control.clone(),
        };
        let endpoint = Endpoint::spawn(SimKind::Pty, session, "display")?;
        Ok(Self { control, endpoint })
    }
}
