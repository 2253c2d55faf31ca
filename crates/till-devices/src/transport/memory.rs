//! An in-memory transport for unit tests: records writes, replays scripted replies.

use std::collections::VecDeque;
use std::time::Duration;

use super::Transport;
use crate::DeviceError;

/// Records every byte written; `read` serves queued reply bytes, then times out
/// (or reports a disconnection if [`MemoryTransport::disconnect`] was called).
#[derive(Debug, Default)]
pub struct MemoryTransport {
    /// Everything written so far.
    pub written: Vec<u8>,
    replies: VecDeque<u8>,
    disconnected: bool,
}

impl MemoryTransport {
    /// An empty transport.
    pub fn new() -> Self {
        Self::default()
    }
    /// Queue bytes the "device" will answer.
    pub fn push_reply(&mut self, bytes: &[u8]) {
        self.replies.extend(bytes);
    }
    /// Make every later call fail as if the cable was pulled.
    pub fn disconnect(&mut self) {
        self.disconnected = true;
    }
}

impl Transport for MemoryTransport {
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), DeviceError> {
        if self.disconnected {
            return Err(DeviceError::Disconnected {
                detail: "memory link closed".into(),
            });
        }
        self.written.extend_from_slice(bytes);
        Ok(())
    }
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, DeviceError> {
        if self.disconnected {
            return Err(DeviceError::Disconnected {
                detail: "memory link closed".into(),
            });
        }
        if self.replies.is_empty() || buf.is_empty() {
            return Err(DeviceError::Timeout {
                what: "memory read".into(),
                after: timeout,
            });
        }
        let n = buf.len().min(self.replies.len());
        for b in buf.iter_mut().take(n) {
            *b = self.replies.pop_front().unwrap_or_default();
        }
        Ok(n)
    }
    fn flush(&mut self) -> Result<(), DeviceError> {
        Ok(())
    }
    fn describe(&self) -> String {
        "memory".into()
    }
}
