//! Raw TCP printers ("port 9100", JetDirect) and the simulators' sockets.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use super::Transport;
use crate::DeviceError;

/// A TCP connection with connect, read and write timeouts.
pub struct TcpTransport {
    stream: TcpStream,
    name: String,
    write_timeout: Duration,
}

impl TcpTransport {
    /// Connect to `address` (`host:port`; a bare host gets port 9100).
    pub fn connect(address: &str, timeout: Duration) -> Result<Self, DeviceError> {
        let with_port = if address.contains(':') {
            address.to_string()
        } else {
            format!("{address}:9100")
        };
        let open_err = |detail: String| DeviceError::Open {
            path: with_port.clone(),
            detail,
        };
        let addrs = with_port
            .to_socket_addrs()
            .map_err(|e| open_err(e.to_string()))?;
        let mut last = String::from("no address");
        for addr in addrs {
            // connect_timeout: a printer that is switched off must not hold
            // the till for the OS's 2-minute SYN retry.
            match TcpStream::connect_timeout(&addr, timeout) {
                Ok(stream) => return Self::from_stream(stream, &with_port, timeout),
                Err(e) => last = e.to_string(),
            }
        }
        Err(open_err(last))
    }

    /// Wrap an accepted or connected stream.
    pub fn from_stream(
        stream: TcpStream,
        name: &str,
        write_timeout: Duration,
    ) -> Result<Self, DeviceError> {
        stream.set_nodelay(true).map_err(DeviceError::Io)?;
        stream
            .set_write_timeout(Some(write_timeout))
            .map_err(DeviceError::Io)?;
        Ok(Self {
            stream,
            name: name.to_string(),
            write_timeout,
        })
    }
}

impl Transport for TcpTransport {
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), DeviceError> {
        let what = format!("write to {}", self.name);
        self.stream
            .write_all(bytes)
            .map_err(|e| DeviceError::from_io(e, &what, self.write_timeout))
    }

    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, DeviceError> {
        let what = format!("read from {}", self.name);
        // set_read_timeout rejects a zero duration.
        let timeout = timeout.max(Duration::from_millis(1));
        self.stream
            .set_read_timeout(Some(timeout))
            .map_err(DeviceError::Io)?;
        loop {
            match self.stream.read(buf) {
                Ok(0) if !buf.is_empty() => {
                    return Err(DeviceError::Disconnected {
                        detail: format!("{what}: closed"),
                    })
                }
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(DeviceError::from_io(e, &what, timeout)),
            }
        }
    }

    fn flush(&mut self) -> Result<(), DeviceError> {
        let what = format!("flush {}", self.name);
        self.stream
            .flush()
            .map_err(|e| DeviceError::from_io(e, &what, self.write_timeout))
    }

    fn describe(&self) -> String {
        format!("tcp://{}", self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn tcp_round_trip_timeout_and_close() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let t = Duration::from_millis(300);
        let mut client = TcpTransport::connect(&addr, t).unwrap();
        let (server, _) = listener.accept().unwrap();
        let mut server = TcpTransport::from_stream(server, "peer", t).unwrap();
        client.write_all(b"\x1b@").unwrap();
        let mut buf = [0u8; 2];
        crate::transport::read_exact(&mut server, &mut buf, t, "t").unwrap();
        assert_eq!(&buf, b"\x1b@");
        let e = client
            .read(&mut buf, Duration::from_millis(20))
            .unwrap_err();
        assert!(matches!(e, DeviceError::Timeout { .. }));
        drop(server);
        let e = client.read(&mut buf, t).unwrap_err();
        assert!(matches!(e, DeviceError::Disconnected { .. }), "{e}");
    }

    #[test]
    fn refused_connection_is_an_open_error() {
        // Bind then drop to get a port that is (almost certainly) closed.
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let e = TcpTransport::connect(&format!("127.0.0.1:{port}"), Duration::from_millis(200));
        assert!(matches!(e, Err(DeviceError::Open { .. })));
    }
}
