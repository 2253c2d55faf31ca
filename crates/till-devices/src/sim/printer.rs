//! A simulated ESC/POS receipt printer with a cash drawer on its DK port.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::runner::{Endpoint, Session, SimKind};
use crate::escpos::status::{AutoStatus, FullStatus};
use crate::escpos::{DrawerPin, Event, Interpreter};
use crate::DeviceError;

/// Everything the simulated printer knows. Tests read and set it through
/// [`PrinterSim`].
#[derive(Debug)]
pub struct PrinterSimState {
    /// The paper so far, plus the event log.
    pub paper: Interpreter,
    /// Every byte received, real-time commands included.
    pub raw: Vec<u8>,
    /// Drawer kicks that reached the drawer connector (both pins).
    pub kicks: Vec<Event>,
    /// Is the drawer open (its sensor)?
    pub drawer_open: bool,
    /// Which pin the drawer's solenoid is wired to: a kick on the other pin
    /// is logged but does not open it (the classic "wrong pin" fault).
    pub drawer_pin: DrawerPin,
    /// Cover open.
    pub cover_open: bool,
    /// Paper roll ended.
    pub paper_out: bool,
    /// Paper roll nearly ended.
    pub paper_near_end: bool,
    /// Forced offline (e.g. an unrecoverable error).
    pub forced_offline: bool,
    /// Autocutter jammed.
    pub cutter_error: bool,
    /// Stop answering status requests (a printer switched off, a wrong baud).
    pub mute: bool,
    /// Answer status requests with this byte instead (garbage tests).
    pub garbage_reply: Option<u8>,
    /// Paper left on the roll, in printed lines: when it reaches 0 the
    /// paper ends mid-receipt (`paper_out` goes true, the printer goes
    /// offline and keeps the rest of the data in its buffer). None: endless.
    pub paper_lines_left: Option<usize>,
    /// Ignore GS ( H (as some clones do) instead of answering it.
    pub ignore_process_id: bool,
    /// Answers produced by processing print data (GS ( H), sent on the
    /// next poll.
    replies: Vec<u8>,
    /// Bytes received while offline, printed once back online (as a real
    /// printer's input buffer does).
    held: Vec<u8>,
    asb_mask: u8,
    asb_last: Option<[u8; 4]>,
    realtime: RealtimeScanner,
}

impl PrinterSimState {
    fn new(width: usize) -> Self {
        Self {
            paper: Interpreter::new(width),
            raw: Vec::new(),
            kicks: Vec::new(),
            drawer_open: false,
            drawer_pin: DrawerPin::Pin2,
            cover_open: false,
            paper_out: false,
            paper_near_end: false,
            forced_offline: false,
            cutter_error: false,
            mute: false,
            garbage_reply: None,
            paper_lines_left: None,
            ignore_process_id: false,
            replies: Vec::new(),
            held: Vec::new(),
            asb_mask: 0,
            asb_last: None,
            realtime: RealtimeScanner::default(),
        }
    }

    /// Offline, as the printer itself would say.
    pub fn offline(&self) -> bool {
        self.cover_open || self.paper_out || self.forced_offline || self.cutter_error
    }

    /// The status the printer reports now.
    pub fn status(&self) -> FullStatus {
        let mut s = FullStatus::default();
        s.printer.drawer_pin3_high = self.drawer_open;
        s.printer.offline = self.offline();
        s.offline.cover_open = self.cover_open;
        s.offline.paper_end_stop = self.paper_out;
        s.offline.error = self.forced_offline || self.cutter_error;
        s.error.cutter = self.cutter_error;
        s.error.unrecoverable = self.forced_offline;
        s.paper.end = self.paper_out;
        s.paper.near_end = self.paper_near_end || self.paper_out;
        s
    }

    fn kick(&mut self, e: Event, pin: DrawerPin) {
        self.kicks.push(e);
        if pin == self.drawer_pin {
            self.drawer_open = true;
        }
    }

    /// Process print-buffer bytes (not real-time ones). With a paper limit
    /// set, bytes go through one at a time so the paper can end in the
    /// middle of a receipt; what is left waits in `held`.
    fn print(&mut self, bytes: &[u8]) {
        if self.paper_lines_left.is_none() {
            let events = self.paper.feed(bytes);
            self.apply_events(events);
            return;
        }
        for (i, &b) in bytes.iter().enumerate() {
            if self.offline() {
                self.held.extend_from_slice(&bytes[i..]);
                return;
            }
            let before = self.paper.lines.len();
            let events = self.paper.feed(&[b]);
            self.apply_events(events);
            let printed = self.paper.lines.len() - before;
            if let Some(left) = self.paper_lines_left.as_mut() {
                *left = left.saturating_sub(printed);
                if *left == 0 {
                    self.paper_out = true;
                }
            }
        }
    }

    fn apply_events(&mut self, events: Vec<Event>) {
        for e in events {
            match e {
                Event::Kick { pin, .. } => self.kick(e, pin),
                Event::AutoStatusBack(mask) => {
                    self.asb_mask = mask;
                    self.asb_last = None; // send a first block at once
                }
                Event::ProcessId(id) if !self.ignore_process_id && !self.mute => {
                    // Answered only now, when the data before it is on paper.
                    self.replies.extend([0x37, 0x22]);
                    self.replies.extend(id.bytes());
                    self.replies.push(0x00);
                }
                _ => {}
            }
        }
    }

    fn release_held(&mut self) {
        if !self.offline() && !self.held.is_empty() {
            let held = std::mem::take(&mut self.held);
            self.print(&held);
        }
    }
}

/// Spots DLE EOT n and DLE DC4 1 m t in the raw stream, which a printer
/// executes on arrival even while offline.
#[derive(Debug, Default)]
struct RealtimeScanner {
    seq: Vec<u8>,
}

enum Realtime {
    Status(u8),
    Pulse(DrawerPin, u8),
}

impl RealtimeScanner {
    fn push(&mut self, b: u8) -> Option<Realtime> {
        if self.seq.is_empty() {
            if b == 0x10 {
                self.seq.push(b);
            }
            return None;
        }
        self.seq.push(b);
        match self.seq.as_slice() {
            [0x10, 0x04] | [0x10, 0x14] | [0x10, 0x14, _] | [0x10, 0x14, _, _] => None,
            [0x10, 0x04, n] => {
                let n = *n;
                self.seq.clear();
                Some(Realtime::Status(n))
            }
            [0x10, 0x14, 1, m, t] => {
                let r = Realtime::Pulse(
                    if *m == 1 {
                        DrawerPin::Pin5
                    } else {
                        DrawerPin::Pin2
                    },
                    *t,
                );
                self.seq.clear();
                Some(r)
            }
            _ => {
                self.seq.clear();
                if b == 0x10 {
                    self.seq.push(b);
                }
                None
            }
        }
    }
}

struct PrinterSession(Arc<Mutex<PrinterSimState>>);

fn lock(m: &Mutex<PrinterSimState>) -> MutexGuard<'_, PrinterSimState> {
    // A panicking test thread must not take the simulator down with it.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Session for PrinterSession {
    fn on_bytes(&mut self, bytes: &[u8], out: &mut Vec<u8>) {
        let mut s = lock(&self.0);
        s.raw.extend_from_slice(bytes);
        for &b in bytes {
            match s.realtime.push(b) {
                Some(Realtime::Status(n)) => {
                    if s.mute {
                        continue;
                    }
                    if let Some(g) = s.garbage_reply {
                        out.push(g);
                        continue;
                    }
                    let st = s.status();
                    match n {
                        1 => out.push(st.printer.encode()),
                        2 => out.push(st.offline.encode()),
                        3 => out.push(st.error.encode()),
                        4 => out.push(st.paper.encode()),
                        _ => {} // undefined n: a printer ignores it
                    }
                }
                Some(Realtime::Pulse(pin, t)) => {
                    s.kick(
                        Event::RealtimeKick {
                            pin,
                            on_ms: t as u16 * 100,
                        },
                        pin,
                    );
                }
                None => {}
            }
        }
        if s.offline() {
            s.held.extend_from_slice(bytes);
        } else {
            s.release_held();
            if s.offline() {
                s.held.extend_from_slice(bytes);
            } else {
                s.print(bytes);
            }
        }
        let replies = std::mem::take(&mut s.replies);
        out.extend(replies);
    }

    fn tick(&mut self, out: &mut Vec<u8>) {
        let mut s = lock(&self.0);
        s.release_held();
        let replies = std::mem::take(&mut s.replies);
        out.extend(replies);
        if s.asb_mask != 0 && !s.mute {
            let block = AutoStatus::encode(&s.status());
            if s.asb_last != Some(block) {
                s.asb_last = Some(block);
                out.extend_from_slice(&block);
            }
        }
    }
}

/// A running printer simulator.
pub struct PrinterSim {
    state: Arc<Mutex<PrinterSimState>>,
    /// Where it listens.
    pub endpoint: Endpoint,
}

impl PrinterSim {
    /// Start a printer `width` columns wide (48 = 80 mm paper).
    pub fn spawn(kind: SimKind, width: usize) -> Result<Self, DeviceError> {
        let state = Arc::new(Mutex::new(PrinterSimState::new(width)));
        let endpoint = Endpoint::spawn(kind, PrinterSession(state.clone()), "printer")?;
        Ok(Self { state, endpoint })
    }

    /// Lock the state to read or change it.
    pub fn state(&self) -> MutexGuard<'_, PrinterSimState> {
        lock(&self.state)
    }

    /// The paper as text.
    pub fn text(&self) -> String {
        self.state().paper.text()
    }

    /// Wait until `pred` holds on the state, at most `timeout` (bytes travel
    /// through a thread, so tests wait instead of sleeping a fixed time).
    pub fn wait_for(&self, timeout: Duration, pred: impl Fn(&PrinterSimState) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if pred(&self.state()) {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn realtime_scanner_finds_commands_split_anywhere() {
        let mut r = RealtimeScanner::default();
        let bytes = [b'a', 0x10, 0x04, 0x02, 0x10, 0x10, 0x14, 0x01, 0x01, 0x03];
        let found: Vec<_> = bytes.iter().filter_map(|&b| r.push(b)).collect();
        assert!(matches!(found[0], Realtime::Status(2)));
        assert!(matches!(found[1], Realtime::Pulse(DrawerPin::Pin5, 3)));
        assert_eq!(found.len(), 2);
    }
}
