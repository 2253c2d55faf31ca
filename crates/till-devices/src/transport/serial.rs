//! Serial ports (RS-232, USB-serial adapters) and pseudo-terminals.

use std::io::{Read, Write};
use std::time::Duration;

use serialport::{SerialPort, TTYPort};

use super::Transport;
use crate::DeviceError;

/// Character format on the line: data bits, parity, stop bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DataFormat {
    /// 8 data bits, no parity, 1 stop bit: printers, scanners, USB CDC devices.
    #[default]
    EightNone1,
    /// 7 data bits, even parity, 1 stop bit: the Concert line setting of
    /// RS-232 card terminals.
    SevenEven1,
    /// 7 data bits, odd parity, 1 stop bit: Mettler Toledo Dialog 06
    /// scales (as Coop IT Easy's driver opens them).
    SevenOdd1,
}

impl std::str::FromStr for DataFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_uppercase().as_str() {
            "8N1" => Ok(DataFormat::EightNone1),
            "7E1" => Ok(DataFormat::SevenEven1),
            "7O1" => Ok(DataFormat::SevenOdd1),
            other => Err(format!(
                "{other:?} is not a line format: use \"7E1\", \"7O1\" or \"8N1\""
            )),
        }
    }
}

/// A serial port through the `serialport` crate. Also wraps either end of a
/// pseudo-terminal pair, which is how the simulators are reached.
pub struct SerialTransport {
    port: Box<dyn SerialPort>,
    name: String,
    write_timeout: Duration,
}

impl SerialTransport {
    /// Open `path` at `baud`, 8N1, no flow control (what receipt printers and
    /// scanners ship with).
    pub fn open(path: &str, baud: u32, write_timeout: Duration) -> Result<Self, DeviceError> {
        Self::open_with(path, baud, DataFormat::EightNone1, write_timeout)
    }

    /// Open `path` at `baud` with the given character format, no flow
    /// control. Card terminals on a real RS-232 line often want 7E1.
    pub fn open_with(
        path: &str,
        baud: u32,
        format: DataFormat,
        write_timeout: Duration,
    ) -> Result<Self, DeviceError> {
        let (bits, parity) = match format {
            DataFormat::EightNone1 => (serialport::DataBits::Eight, serialport::Parity::None),
            DataFormat::SevenEven1 => (serialport::DataBits::Seven, serialport::Parity::Even),
            DataFormat::SevenOdd1 => (serialport::DataBits::Seven, serialport::Parity::Odd),
        };
        let port = serialport::new(path, baud)
            .data_bits(bits)
            .parity(parity)
            .stop_bits(serialport::StopBits::One)
            .flow_control(serialport::FlowControl::None)
            .timeout(write_timeout)
            .open()
            .map_err(|e| DeviceError::Open {
                path: path.to_string(),
                detail: e.to_string(),
            })?;
        Ok(Self {
            port,
            name: path.to_string(),
            write_timeout,
        })
    }

    /// Wrap an already open port, e.g. one end of [`TTYPort::pair`].
    pub fn from_tty(port: TTYPort, name: &str, write_timeout: Duration) -> Self {
        Self {
            port: Box::new(port),
            name: name.to_string(),
            write_timeout,
        }
    }

    /// A connected pseudo-terminal pair: (device end, host end). The device end
    /// is the pty master, for a simulator; the host end is the slave, which
    /// has a path in /dev/pts that the till can open like a real port.
    pub fn pty_pair(timeout: Duration) -> Result<(Self, Self, String), DeviceError> {
        let (master, slave) = TTYPort::pair().map_err(|e| DeviceError::Open {
            path: "pty".into(),
            detail: e.to_string(),
        })?;
        let path = slave.name().unwrap_or_else(|| "/dev/pts/?".into());
        Ok((
            Self::from_tty(master, "pty master", timeout),
            Self::from_tty(slave, &path, timeout),
            path,
        ))
    }
}

impl Transport for SerialTransport {
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), DeviceError> {
        let what = format!("write to {}", self.name);
        self.port
            .set_timeout(self.write_timeout)
            .map_err(|e| DeviceError::Io(e.into()))?;
        let mut rest = bytes;
        while !rest.is_empty() {
            match self.port.write(rest) {
                Ok(0) => return Err(DeviceError::Disconnected { detail: what }),
                Ok(n) => rest = &rest[n..],
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(DeviceError::from_io(e, &what, self.write_timeout)),
            }
        }
        Ok(())
    }

    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, DeviceError> {
        let what = format!("read from {}", self.name);
        // A zero timeout would make poll() return at once even with data
        // pending on some kernels' ptys; 1 ms is the practical floor.
        let timeout = timeout.max(Duration::from_millis(1));
        self.port
            .set_timeout(timeout)
            .map_err(|e| DeviceError::Io(e.into()))?;
        loop {
            match self.port.read(buf) {
                // poll said readable, read says end of file: the other end closed.
                Ok(0) => return Err(DeviceError::Disconnected { detail: what }),
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(DeviceError::from_io(e, &what, timeout)),
            }
        }
    }

    fn flush(&mut self) -> Result<(), DeviceError> {
        let what = format!("flush {}", self.name);
        self.port
            .flush()
            .map_err(|e| DeviceError::from_io(e, &what, self.write_timeout))
    }

    fn describe(&self) -> String {
        self.name.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pty_pair_carries_bytes_both_ways_and_times_out() {
        let t = Duration::from_millis(200);
        let (mut dev, mut host, path) = SerialTransport::pty_pair(t).unwrap();
        assert!(path.starts_with("/dev/"));
        host.write_all(&[0x10, 0x04, 0x01]).unwrap();
        let mut buf = [0u8; 3];
        crate::transport::read_exact(&mut dev, &mut buf, t, "test").unwrap();
        assert_eq!(buf, [0x10, 0x04, 0x01]);
        dev.write_all(&[0x16]).unwrap();
        let n = host.read(&mut buf, t).unwrap();
        assert_eq!(&buf[..n], &[0x16]);
        let start = std::time::Instant::now();
        let e = host.read(&mut buf, Duration::from_millis(50)).unwrap_err();
        assert!(matches!(e, DeviceError::Timeout { .. }), "{e}");
        assert!(start.elapsed() < Duration::from_millis(500));
    }

    #[test]
    fn pty_other_end_gone_is_disconnected_not_a_hang() {
        let t = Duration::from_millis(200);
        let (dev, mut host, _) = SerialTransport::pty_pair(t).unwrap();
        drop(dev);
        let mut buf = [0u8; 1];
        let e = host.read(&mut buf, t).unwrap_err();
        assert!(matches!(e, DeviceError::Disconnected { .. }), "{e}");
        let e = host.write_all(&[0u8; 64]).unwrap_err();
        assert!(e.is_transient(), "{e}");
    }

    #[test]
    fn opening_a_missing_port_is_a_typed_error() {
        let e = SerialTransport::open(
            "/dev/does-not-exist-comptoir",
            9600,
            Duration::from_millis(10),
        );
        assert!(matches!(e, Err(DeviceError::Open { .. })));
    }
}
