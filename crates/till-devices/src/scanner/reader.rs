//! Scanner readers: a transport plus a framer, yielding validated scans.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::{
    validate, Frame, FrameConfig, Framer, Scan, ScanError, WedgeDecoder, INPUT_EVENT_SIZE,
};
use crate::transport::Transport;
use crate::DeviceError;

/// A serial (or pty, or TCP) scanner.
pub struct SerialScanner<T: Transport> {
    link: T,
    framer: Framer,
    ready: VecDeque<Result<Frame, ScanError>>,
}

impl<T: Transport> SerialScanner<T> {
    /// Read `link` with the framing in `cfg`.
    pub fn new(link: T, cfg: FrameConfig) -> Self {
        Self {
            link,
            framer: Framer::new(cfg),
            ready: VecDeque::new(),
        }
    }

    /// The next scan, validated, waiting at most `timeout`. A rejected scan
    /// is returned as its error; call again for the next one.
    pub fn next_scan(&mut self, timeout: Duration) -> Result<Scan, ScanError> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(r) = self.ready.pop_front() {
                return r.and_then(validate);
            }
            let now = Instant::now();
            if let Some(e) = self.framer.idle(now) {
                return Err(e);
            }
            let left = deadline.saturating_duration_since(now);
            if left.is_zero() {
                return Err(DeviceError::Timeout {
                    what: "scan".into(),
                    after: timeout,
                }
                .into());
            }
            // Wake at least every idle period to expire half frames.
            let wait = left.min(Duration::from_millis(self.framer.config().idle_ms.max(10)));
            let mut buf = [0u8; 256];
            match self.link.read(&mut buf, wait) {
                Ok(n) => self
                    .ready
                    .extend(self.framer.push(&buf[..n], Instant::now())),
                Err(DeviceError::Timeout { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
}

/// A keyboard-wedge scanner read from its evdev node.
pub struct WedgeScanner<T: Transport> {
    link: T,
    decoder: WedgeDecoder,
    partial: Vec<u8>,
    ready: VecDeque<Result<Frame, ScanError>>,
}

impl<T: Transport> WedgeScanner<T> {
    /// Read `link` (an opened `/dev/input/eventN`).
    pub fn new(link: T, max_len: usize) -> Self {
        Self {
            link,
            decoder: WedgeDecoder::new(max_len),
            partial: Vec::new(),
            ready: VecDeque::new(),
        }
    }

    /// The next scan, validated, waiting at most `timeout`.
    pub fn next_scan(&mut self, timeout: Duration) -> Result<Scan, ScanError> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(r) = self.ready.pop_front() {
                return r.and_then(validate);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(DeviceError::Timeout {
                    what: "scan".into(),
                    after: timeout,
                }
                .into());
            }
            let mut buf = [0u8; INPUT_EVENT_SIZE * 16];
            match self.link.read(&mut buf, left) {
                Ok(n) => {
                    // evdev hands out whole records, but a pipe or a capture
                    // file may not: keep the tail for the next read.
                    self.partial.extend_from_slice(&buf[..n]);
                    let whole = self.partial.len() / INPUT_EVENT_SIZE * INPUT_EVENT_SIZE;
                    let out = self.decoder.push_bytes(&self.partial[..whole]);
                    self.partial.drain(..whole);
                    self.ready.extend(out);
                }
                Err(DeviceError::Timeout { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scanner::Code;
    use crate::transport::MemoryTransport;

    #[test]
    fn serial_reader_keeps_going_after_garbage() {
        let mut m = MemoryTransport::new();
        m.push_reply(b"\xFF\xFE\r]E04006381333931\r4006381333932\r");
        let mut s = SerialScanner::new(m, FrameConfig::default());
        let t = Duration::from_millis(20);
        assert!(matches!(s.next_scan(t), Err(ScanError::Garbled { .. })));
        let ok = s.next_scan(t).unwrap();
        assert!(matches!(ok.code, Code::Retail(_)));
        assert_eq!(ok.aim.as_deref(), Some("]E0"));
        assert!(matches!(s.next_scan(t), Err(ScanError::Invalid { .. })));
        assert!(matches!(
            s.next_scan(t),
            Err(ScanError::Device(DeviceError::Timeout { .. }))
        ));
    }

    #[test]
    fn wedge_reader_handles_split_records() {
        let bytes: Vec<u8> = crate::scanner::wedge::events_for("96385074")
            .iter()
            .flat_map(|e| e.encode())
            .collect();
        let mut m = MemoryTransport::new();
        m.push_reply(&bytes);
        let mut s = WedgeScanner::new(m, 64);
        let scan = s.next_scan(Duration::from_millis(20)).unwrap();
        assert_eq!(scan.code.symbology(), "ean8");
    }
}
