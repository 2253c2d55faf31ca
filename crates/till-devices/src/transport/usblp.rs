//! USB printer class devices: `/dev/usb/lpN`, a plain character device file.
//!
//! Opened non-blocking and driven with poll(2), because a blocking write to a
//! printer that is out of paper can wait for as long as the kernel likes; here
//! every call gives up at its timeout with a typed error.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::io::AsRawFd;
use std::time::{Duration, Instant};

use super::Transport;
use crate::DeviceError;

/// A USB printer device file opened read-write.
pub struct UsbLpTransport {
    file: File,
    path: String,
    write_timeout: Duration,
}

impl UsbLpTransport {
    /// Open `path` read-write, non-blocking.
    pub fn open(path: &str, write_timeout: Duration) -> Result<Self, DeviceError> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(path)
            .map_err(|e| DeviceError::Open {
                path: path.to_string(),
                detail: e.to_string(),
            })?;
        Ok(Self {
            file,
            path: path.to_string(),
            write_timeout,
        })
    }

    /// For an evdev node (keyboard-wedge scanner): take it exclusively
    /// (EVIOCGRAB) so scans stop typing into whatever window has focus.
    pub fn grab_input(&self) -> Result<(), DeviceError> {
        // EVIOCGRAB = _IOW('E', 0x90, int)
        const EVIOCGRAB: libc::c_ulong = 0x4004_4590;
        // SAFETY: plain ioctl on an fd we own, integer argument.
        let r = unsafe { libc::ioctl(self.file.as_raw_fd(), EVIOCGRAB as _, 1 as libc::c_int) };
        if r < 0 {
            return Err(DeviceError::Open {
                path: self.path.clone(),
                detail: format!("EVIOCGRAB: {}", std::io::Error::last_os_error()),
            });
        }
        Ok(())
    }

    /// Wait until the file is ready for `events`, at most `left`.
    fn wait(&self, events: libc::c_short, left: Duration) -> Result<bool, std::io::Error> {
        let mut pfd = libc::pollfd {
            fd: self.file.as_raw_fd(),
            events,
            revents: 0,
        };
        let ms = left.as_millis().min(i32::MAX as u128) as libc::c_int;
        // SAFETY: one valid pollfd, count 1; the fd lives as long as self.
        let r = unsafe { libc::poll(&mut pfd, 1, ms) };
        if r < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() == std::io::ErrorKind::Interrupted {
                return Ok(false);
            }
            return Err(e);
        }
        if pfd.revents & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0
            && pfd.revents & events == 0
        {
            return Err(std::io::Error::from_raw_os_error(libc::ENODEV));
        }
        Ok(r > 0)
    }
}

impl Transport for UsbLpTransport {
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), DeviceError> {
        let what = format!("write to {}", self.path);
        let deadline = Instant::now() + self.write_timeout;
        let mut rest = bytes;
        while !rest.is_empty() {
            match self.file.write(rest) {
                Ok(0) => return Err(DeviceError::Disconnected { detail: what }),
                Ok(n) => rest = &rest[n..],
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::Interrupted
                    ) =>
                {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Err(DeviceError::Timeout {
                            what,
                            after: self.write_timeout,
                        });
                    }
                    self.wait(libc::POLLOUT, left)
                        .map_err(|e| DeviceError::from_io(e, &what, self.write_timeout))?;
                }
                Err(e) => return Err(DeviceError::from_io(e, &what, self.write_timeout)),
            }
        }
        Ok(())
    }

    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, DeviceError> {
        let what = format!("read from {}", self.path);
        let deadline = Instant::now() + timeout;
        loop {
            match self.file.read(buf) {
                Ok(n) if n > 0 => return Ok(n),
                // usblp returns 0 when the printer has nothing to say: not an
                // end of file, so poll again until the deadline.
                Ok(_) => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::Interrupted
                    ) => {}
                Err(e) => return Err(DeviceError::from_io(e, &what, timeout)),
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(DeviceError::Timeout {
                    what,
                    after: timeout,
                });
            }
            // Poll for readability, but cap each nap: some usblp versions
            // report readable without data, others never wake poll for reads.
            let nap = left.min(Duration::from_millis(20));
            match self.wait(libc::POLLIN, nap) {
                Ok(true) => std::thread::sleep(Duration::from_millis(1).min(nap)),
                Ok(false) => {}
                Err(e) => return Err(DeviceError::from_io(e, &what, timeout)),
            }
        }
    }

    fn flush(&mut self) -> Result<(), DeviceError> {
        let what = format!("flush {}", self.path);
        self.file
            .flush()
            .map_err(|e| DeviceError::from_io(e, &what, self.write_timeout))
    }

    fn describe(&self) -> String {
        self.path.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_land_in_the_file_and_reads_time_out() {
        // A regular file stands in for /dev/usb/lp0: same open/write path.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lp0");
        std::fs::write(&path, b"").unwrap();
        let p = path.to_str().unwrap();
        let mut t = UsbLpTransport::open(p, Duration::from_millis(100)).unwrap();
        t.write_all(&[0x1B, 0x40]).unwrap();
        t.flush().unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), vec![0x1B, 0x40]);
        let mut buf = [0u8; 1];
        let start = Instant::now();
        let e = t.read(&mut buf, Duration::from_millis(40)).unwrap_err();
        assert!(matches!(e, DeviceError::Timeout { .. }), "{e}");
        assert!(start.elapsed() < Duration::from_millis(500));
    }

    #[test]
    fn missing_device_is_an_open_error() {
        let e = UsbLpTransport::open("/dev/usb/lp-missing", Duration::from_millis(10));
        assert!(matches!(e, Err(DeviceError::Open { .. })));
    }
}
