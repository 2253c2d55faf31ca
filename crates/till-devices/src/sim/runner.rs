//! The thread and endpoint plumbing shared by all simulators.

use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use crate::transport::{SerialTransport, TcpTransport, Transport};
use crate::DeviceError;

/// Where a simulator listens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimKind {
    /// A pseudo-terminal: the device path is the pty slave.
    Pty,
    /// A TCP socket on 127.0.0.1, any free port.
    Tcp,
}

/// A device's behaviour: bytes in, bytes out.
pub(crate) trait Session: Send + 'static {
    /// Bytes arrived from the host; push any answer onto `out`.
    fn on_bytes(&mut self, bytes: &[u8], out: &mut Vec<u8>);
    /// Called every poll period (~10 ms) for unsolicited output.
    fn tick(&mut self, out: &mut Vec<u8>);
    /// A new connection (TCP) or the first poll (pty): reset per-link state.
    fn connected(&mut self) {}
    /// True to close the link now, as a device that loses power or drops
    /// the connection mid-exchange. A closed pty stays closed.
    fn hang_up(&mut self) -> bool {
        false
    }
}

/// A running simulator's endpoint: its address and its thread.
pub struct Endpoint {
    /// The path (pty) or `host:port` (TCP) to point the till at.
    pub address: String,
    /// Which kind of endpoint.
    pub kind: SimKind,
    host: Option<SerialTransport>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

const POLL: Duration = Duration::from_millis(10);

impl Endpoint {
    pub(crate) fn spawn<S: Session>(
        kind: SimKind,
        mut session: S,
        name: &str,
    ) -> Result<Self, DeviceError> {
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = stop.clone();
        let thread_name = format!("sim-{name}");
        let spawn_err = |e: std::io::Error| DeviceError::Open {
            path: thread_name.clone(),
            detail: e.to_string(),
        };
        match kind {
            SimKind::Pty => {
                let (dev, host, path) = SerialTransport::pty_pair(Duration::from_secs(2))?;
                let thread = std::thread::Builder::new()
                    .name(thread_name.clone())
                    .spawn(move || pump(dev, &mut session, &stop2))
                    .map_err(spawn_err)?;
                Ok(Self {
                    address: path,
                    kind,
                    host: Some(host),
                    stop,
                    thread: Some(thread),
                })
            }
            SimKind::Tcp => {
                let listener = TcpListener::bind("127.0.0.1:0").map_err(DeviceError::Io)?;
                let address = listener.local_addr().map_err(DeviceError::Io)?.to_string();
                listener.set_nonblocking(true).map_err(DeviceError::Io)?;
                let thread = std::thread::Builder::new()
                    .name(thread_name.clone())
                    .spawn(move || {
                        while !stop2.load(Ordering::Relaxed) {
                            match listener.accept() {
                                Ok((s, peer)) => {
                                    let _ = s.set_nonblocking(false);
                                    if let Ok(t) = TcpTransport::from_stream(
                                        s,
                                        &peer.to_string(),
                                        Duration::from_secs(2),
                                    ) {
                                        pump(t, &mut session, &stop2);
                                    }
                                }
                                Err(_) => std::thread::sleep(POLL),
                            }
                        }
                    })
                    .map_err(spawn_err)?;
                Ok(Self {
                    address,
                    kind,
                    host: None,
                    stop,
                    thread: Some(thread),
                })
            }
        }
    }

    /// The host end of a pty simulator, already open: what a test hands to a
    /// driver. (The path in `address` can also be opened, by this process or
    /// another.) None for TCP or if already taken.
    pub fn take_host(&mut self) -> Option<SerialTransport> {
        self.host.take()
    }

    /// Stop the simulator thread and wait for it.
    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Endpoint {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Move bytes between one connection and the session until stopped or the
/// connection drops (TCP) . A pty whose host end is closed reads as
/// disconnected; it is polled gently until someone opens it again.
fn pump<T: Transport, S: Session>(mut link: T, session: &mut S, stop: &AtomicBool) {
    let mut buf = [0u8; 4096];
    let mut out = Vec::new();
    session.connected();
    while !stop.load(Ordering::Relaxed) {
        match link.read(&mut buf, POLL) {
            Ok(n) => session.on_bytes(&buf[..n], &mut out),
            Err(DeviceError::Timeout { .. }) => {}
            Err(DeviceError::Disconnected { .. }) if link.describe().starts_with("tcp://") => {
                return
            }
            Err(_) => std::thread::sleep(POLL),
        }
        session.tick(&mut out);
        if !out.is_empty() {
            // A host that stopped reading must not wedge the simulator.
            let _ = link.write_all(&out);
            out.clear();
        }
        if session.hang_up() {
            return;
        }
    }
}
