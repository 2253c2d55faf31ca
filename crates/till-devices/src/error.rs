//! Typed device errors: what went wrong, in words a technician can act on.

use std::time::Duration;

/// Everything a device operation can fail with. No variant is ever a panic.
#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    /// The device did not answer (or did not accept bytes) within the timeout.
    #[error("{what}: no answer within {} ms", after.as_millis())]
    Timeout {
        /// What we were waiting for, e.g. "printer status (DLE EOT 2)".
        what: String,
        /// The configured timeout that elapsed.
        after: Duration,
    },
    /// The port went away: cable pulled, USB device unplugged, socket reset.
    #[error("device disconnected ({detail}); check the cable and power")]
    Disconnected {
        /// The underlying cause, for logs.
        detail: String,
    },
    /// The device answered something that does not fit the protocol.
    #[error("unexpected reply from device: {detail} (bytes {})", hex(bytes))]
    Garbage {
        /// Why the reply was rejected.
        detail: String,
        /// The offending bytes, kept for the technician.
        bytes: Vec<u8>,
    },
    /// The device could not be opened at all.
    #[error("cannot open {path}: {detail}")]
    Open {
        /// Device path or address.
        path: String,
        /// The OS's reason.
        detail: String,
    },
    /// A command could not be built from its arguments (e.g. QR data too long).
    #[error("invalid command: {0}")]
    InvalidCommand(String),
    /// A retail barcode (EAN-13, EAN-8, UPC-A) whose check digit or digits
    /// are wrong: refused before sending, since the printer would print a
    /// code no scanner reads back (or silently print nothing).
    #[error("barcode {data:?} not printed: {source}")]
    Barcode {
        /// The data as given.
        data: String,
        /// Why, from `till_core::barcode`.
        source: till_core::barcode::BarcodeError,
    },
    /// Some other I/O failure, kept with its OS error.
    #[error("I/O error: {0}")]
    Io(std::io::Error),
}

impl DeviceError {
    /// Classify an OS error raised while doing `what`.
    ///
    /// EIO is what a pseudo-terminal or a USB serial adapter returns once its
    /// other end is gone, EPIPE/ECONNRESET what a socket returns, ENODEV/ENXIO
    /// what `/dev/usb/lpN` returns after an unplug: all mean "disconnected".
    pub fn from_io(e: std::io::Error, what: &str, timeout: Duration) -> Self {
        use std::io::ErrorKind as K;
        match e.kind() {
            K::TimedOut | K::WouldBlock => {
                return DeviceError::Timeout {
                    what: what.to_string(),
                    after: timeout,
                }
            }
            K::BrokenPipe
            | K::ConnectionReset
            | K::ConnectionAborted
            | K::NotConnected
            | K::UnexpectedEof => {
                return DeviceError::Disconnected {
                    detail: format!("{what}: {e}"),
                }
            }
            _ => {}
        }
        match e.raw_os_error() {
            Some(libc::EIO)
            | Some(libc::ENODEV)
            | Some(libc::ENXIO)
            | Some(libc::EPIPE)
            | Some(libc::ESHUTDOWN) => DeviceError::Disconnected {
                detail: format!("{what}: {e}"),
            },
            _ => DeviceError::Io(e),
        }
    }

    /// True if retrying the same operation later may succeed (timeouts and
    /// disconnections), false for protocol or configuration errors.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            DeviceError::Timeout { .. } | DeviceError::Disconnected { .. }
        )
    }
}

/// Bytes as space-separated upper-case hex, the way manuals print them.
pub fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(&format!("{b:02X}"));
    }
    s
}

/// Parse hex text as found in `hw-fixtures/`: `#` starts a comment that runs to
/// the end of the line; whitespace separates bytes; `"text"` is taken as ASCII
/// bytes so fixtures stay readable.
pub fn parse_hex(text: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    for (lineno, line) in text.lines().enumerate() {
        let mut rest = line;
        while !rest.is_empty() {
            rest = rest.trim_start();
            if rest.is_empty() || rest.starts_with('#') {
                break;
            }
            if let Some(after) = rest.strip_prefix('"') {
                let end = after
                    .find('"')
                    .ok_or_else(|| format!("line {}: unterminated string", lineno + 1))?;
                out.extend_from_slice(&after.as_bytes()[..end]);
                rest = &after[end + 1..];
                continue;
            }
            let end = rest.find(|c: char| c.is_whitespace()).unwrap_or(rest.len());
            let tok = &rest[..end];
            // Hex digits only, checked first: slicing a token holding "é"
            // two bytes at a time panicked, and from_str_radix took "+1".
            if !tok.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(format!("line {}: bad hex {tok:?}", lineno + 1));
            }
            if tok.len() % 2 != 0 {
                return Err(format!("line {}: odd hex token {tok:?}", lineno + 1));
            }
            for pair in tok.as_bytes().chunks(2) {
                let digit = |c: u8| (c as char).to_digit(16).unwrap_or(0) as u8;
                out.push(digit(pair[0]) << 4 | digit(pair[1]));
            }
            rest = &rest[end..];
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_with_comments_and_strings() {
        let bytes = parse_hex("# header\n1B 40 \"Ab\" # tail\n0a0D").unwrap();
        assert_eq!(bytes, vec![0x1B, 0x40, b'A', b'b', 0x0A, 0x0D]);
        assert_eq!(hex(&bytes[..2]), "1B 40");
        assert!(parse_hex("1B4").is_err());
        assert!(parse_hex("ZZ").is_err());
    }

    /// Found by the fuzz target `escpos-render` (`render FILE.hex`).
    #[test]
    fn tokens_with_non_ascii_or_signs_are_refused_not_a_panic() {
        for bad in ["5é2", "(€k", "+1", "1B +1", "42949é67295"] {
            assert!(parse_hex(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_hex("aBcD").unwrap(), vec![0xAB, 0xCD]);
    }

    #[test]
    fn eio_and_epipe_mean_disconnected() {
        let t = Duration::from_millis(5);
        let e = DeviceError::from_io(std::io::Error::from_raw_os_error(libc::EIO), "w", t);
        assert!(matches!(e, DeviceError::Disconnected { .. }));
        let e = DeviceError::from_io(std::io::ErrorKind::BrokenPipe.into(), "w", t);
        assert!(matches!(e, DeviceError::Disconnected { .. }));
        let e = DeviceError::from_io(std::io::ErrorKind::TimedOut.into(), "r", t);
        assert!(matches!(e, DeviceError::Timeout { .. }));
    }
}
