//! The byte pipe every device driver is generic over.
//!
//! Deliberately as small as an embedded-hal serial trait: write everything, read
//! what is there within a timeout, flush. Drivers never see whether the bytes go
//! over RS-232, a USB printer class device, a TCP socket or a pseudo-terminal.

use std::time::{Duration, Instant};

use crate::DeviceError;

mod memory;
mod serial;
mod tcp;
mod usblp;

pub use memory::MemoryTransport;
pub use serial::{DataFormat, SerialTransport};
pub use tcp::TcpTransport;
pub use usblp::UsbLpTransport;

/// A bidirectional byte link to one device.
pub trait Transport: Send {
    /// Write all of `bytes`, or fail with a typed error. Never blocks
    /// forever: the write timeout bounds each wait for progress (not the
    /// whole write: 3 kB of receipt take 3 s at 9600 baud), so a device that
    /// stops accepting bytes fails within one timeout.
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), DeviceError>;

    /// Read at least one byte into `buf`, waiting at most `timeout` for it.
    /// Returns the count read (> 0). No byte in time is
    /// [`DeviceError::Timeout`]; a closed link is [`DeviceError::Disconnected`].
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, DeviceError>;

    /// Push buffered bytes out to the device.
    fn flush(&mut self) -> Result<(), DeviceError>;

    /// Human-readable name: device path or address.
    fn describe(&self) -> String;
}

impl<T: Transport + ?Sized> Transport for Box<T> {
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), DeviceError> {
        (**self).write_all(bytes)
    }
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, DeviceError> {
        (**self).read(buf, timeout)
    }
    fn flush(&mut self) -> Result<(), DeviceError> {
        (**self).flush()
    }
    fn describe(&self) -> String {
        (**self).describe()
    }
}

/// Read exactly `buf.len()` bytes, all within one overall `timeout` (not one
/// per byte, so a device trickling garbage cannot stretch the wait).
pub fn read_exact<T: Transport + ?Sized>(
    t: &mut T,
    buf: &mut [u8],
    timeout: Duration,
    what: &str,
) -> Result<(), DeviceError> {
    let deadline = Instant::now() + timeout;
    let mut filled = 0;
    while filled < buf.len() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(DeviceError::Timeout {
                what: what.to_string(),
                after: timeout,
            });
        }
        match t.read(&mut buf[filled..], left) {
            Ok(n) => filled += n,
            Err(DeviceError::Timeout { .. }) => {
                return Err(DeviceError::Timeout {
                    what: what.to_string(),
                    after: timeout,
                })
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Throw away whatever the device already sent (stale status bytes, a
/// half-sent scan) so the next reply is read from a clean start.
pub fn drain<T: Transport + ?Sized>(t: &mut T) -> Result<usize, DeviceError> {
    let mut buf = [0u8; 256];
    let mut total = 0;
    loop {
        match t.read(&mut buf, Duration::from_millis(1)) {
            Ok(n) => total += n,
            Err(DeviceError::Timeout { .. }) => return Ok(total),
            Err(e) => return Err(e),
        }
        // A device that never stops talking must not keep us here.
        if total > 64 * 1024 {
            return Ok(total);
        }
    }
}

/// How to reach a device, as written in `till.toml`.
///
/// Read on its own, unknown keys are refused (serde honours
/// `deny_unknown_fields` on an internally tagged enum's variants). In
/// till.toml's sections it is read through `config::keys::LinkKeys`
/// instead, since a flattened field cannot refuse anything.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(tag = "transport", rename_all = "lowercase", deny_unknown_fields)]
pub enum Link {
    /// RS-232 or USB-serial adapter (also a pseudo-terminal from a simulator).
    Serial {
        /// Device path, e.g. `/dev/ttyUSB0` or `/dev/comptoir-printer`.
        path: String,
        /// Baud rate; receipt printers and scanners commonly use 9600 or 38400.
        #[serde(default = "default_baud")]
        baud: u32,
    },
    /// USB printer class device file, `/dev/usb/lpN`.
    Usb {
        /// Device path.
        path: String,
    },
    /// Raw TCP ("JetDirect", port 9100) network printer.
    Tcp {
        /// `host:port`.
        address: String,
    },
    /// An evdev input node, `/dev/input/eventN` (keyboard-wedge scanners).
    Evdev {
        /// Device path.
        path: String,
    },
}

fn default_baud() -> u32 {
    9600
}

impl Link {
    /// Open the link with `timeout` as the write timeout.
    pub fn open(&self, timeout: Duration) -> Result<Box<dyn Transport>, DeviceError> {
        Ok(match self {
            Link::Serial { path, baud } => Box::new(SerialTransport::open(path, *baud, timeout)?),
            Link::Usb { path } => Box::new(UsbLpTransport::open(path, timeout)?),
            Link::Tcp { address } => Box::new(TcpTransport::connect(address, timeout)?),
            // An event node is read like the USB printer file: non-blocking
            // reads under poll(2).
            Link::Evdev { path } => Box::new(UsbLpTransport::open(path, timeout)?),
        })
    }

    /// Path or address, for messages.
    pub fn target(&self) -> &str {
        match self {
            Link::Serial { path, .. } | Link::Usb { path } | Link::Evdev { path } => path,
            Link::Tcp { address } => address,
        }
    }
}
