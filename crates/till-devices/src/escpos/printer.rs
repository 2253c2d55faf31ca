//! The printer driver: sends bytes, asks for status, kicks the drawer.

use std::time::{Duration, Instant};

use super::cmd::{self, DrawerPin};
use super::status::{
    self, AutoStatus, ErrorCause, FullStatus, OfflineCause, PaperStatus, PrinterStatus,
};
use crate::transport::{read_exact, Transport};
use crate::DeviceError;

/// An ESC/POS printer on any transport.
pub struct Printer<T: Transport> {
    link: T,
    timeout: Duration,
    retries: u32,
    /// The latest automatic status back block seen while waiting for a reply.
    pub last_auto_status: Option<AutoStatus>,
    print_wait: Duration,
    /// Last GS ( H process ID used (0..=9999).
    process_id: u16,
    /// Does this printer answer GS ( H? Unknown until the first receipt.
    confirms: Option<bool>,
}

/// How often the status is polled while a receipt prints.
pub const PRINT_POLL: Duration = Duration::from_millis(150);

/// How long a printer that does not answer GS ( H is watched after a
/// receipt: about the time a 40-line receipt takes to print.
pub const UNCONFIRMED_POLL: Duration = Duration::from_millis(2000);

/// What [`Printer::wait_printed`] saw.
enum Printed {
    /// The GS ( H answer came back: every byte is on paper.
    Confirmed,
    /// The printer went offline (paper end, cover, error) before it.
    Stopped,
    /// Neither within the wait.
    NoAnswer,
}

fn process_id_digits(n: u16) -> [u8; 4] {
    let n = n % 10_000;
    [
        b'0' + (n / 1000) as u8,
        b'0' + (n / 100 % 10) as u8,
        b'0' + (n / 10 % 10) as u8,
        b'0' + (n % 10) as u8,
    ]
}

/// Spots `37 22 d1 d2 d3 d4 00` for one id in a byte stream that may also
/// carry status bytes and ASB blocks.
struct ProcessIdMatcher {
    want: [u8; 7],
    at: usize,
}

impl ProcessIdMatcher {
    fn new(id: [u8; 4]) -> Self {
        let h = cmd::PROCESS_ID_HEADER;
        Self {
            want: [h[0], h[1], id[0], id[1], id[2], id[3], 0x00],
            at: 0,
        }
    }
    /// Feed one byte; true once the whole answer has been seen.
    fn push(&mut self, b: u8) -> bool {
        if b == self.want[self.at] {
            self.at += 1;
        } else {
            // An answer for an older id, or a status byte: start over
            // (the header byte 0x37 can only begin an answer).
            self.at = usize::from(b == self.want[0]);
        }
        if self.at == self.want.len() {
            self.at = 0;
            return true;
        }
        false
    }
    /// Inside an answer (its bytes must not be read as status).
    fn in_progress(&self) -> bool {
        self.at > 0
    }
}

impl<T: Transport> Printer<T> {
    /// Wrap a transport; `timeout` bounds every status query.
    pub fn new(link: T, timeout: Duration) -> Self {
        Self {
            link,
            timeout,
            retries: 1,
            last_auto_status: None,
            print_wait: Duration::from_secs(15),
            process_id: 0,
            confirms: None,
        }
    }

    /// How many times a status query is asked again after a timeout or a
    /// garbled reply (default 1: one byte lost to line noise should not
    /// raise an alarm). Print data is never resent: that could print twice.
    pub fn with_retries(mut self, retries: u32) -> Self {
        self.retries = retries;
        self
    }

    /// The transport, e.g. to close it or read its name.
    pub fn link(&mut self) -> &mut T {
        &mut self.link
    }

    /// Send already-rendered ESC/POS bytes and flush them out.
    pub fn send(&mut self, bytes: &[u8]) -> Result<(), DeviceError> {
        self.link.write_all(bytes)?;
        self.link.flush()
    }

    /// Ask DLE EOT `n` (1..=4) and return the raw reply byte, already checked
    /// against the fixed pattern 0xx1xx10. Automatic status back blocks that
    /// arrive meanwhile are decoded into `last_auto_status` and skipped, never
    /// mistaken for the reply.
    pub fn query_raw(&mut self, n: u8) -> Result<u8, DeviceError> {
        let mut attempt = 0;
        loop {
            match self.query_once(n) {
                Err(DeviceError::Timeout { .. } | DeviceError::Garbage { .. })
                    if attempt < self.retries =>
                {
                    attempt += 1;
                    // Whatever arrived late or garbled must not be read as
                    // the answer to the next question.
                    crate::transport::drain(&mut self.link)?;
                }
                other => return other,
            }
        }
    }

    fn query_once(&mut self, n: u8) -> Result<u8, DeviceError> {
        let what = format!("printer status (DLE EOT {n})");
        self.link.write_all(&cmd::status_request(n))?;
        self.link.flush()?;
        let deadline = Instant::now() + self.timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(DeviceError::Timeout {
                    what,
                    after: self.timeout,
                });
            }
            let mut b = [0u8; 1];
            match self.link.read(&mut b, left) {
                Ok(_) => {}
                Err(DeviceError::Timeout { .. }) => {
                    return Err(DeviceError::Timeout {
                        what,
                        after: self.timeout,
                    })
                }
                Err(e) => return Err(e),
            }
            let b = b[0];
            if status::is_dle_eot_reply(b) {
                return Ok(b);
            }
            if status::is_asb_first_byte(b) {
                let mut rest = [0u8; 3];
                read_exact(&mut self.link, &mut rest, left, "automatic status back")?;
                self.last_auto_status = Some(AutoStatus::decode([b, rest[0], rest[1], rest[2]])?);
                continue;
            }
            // XON/XOFF flow-control bytes may interleave on serial links.
            if b == 0x11 || b == 0x13 {
                continue;
            }
            return Err(DeviceError::Garbage {
                detail: format!("{what}: reply is neither a status byte nor an ASB block"),
                bytes: vec![b],
            });
        }
    }

    /// DLE EOT 1.
    pub fn printer_status(&mut self) -> Result<PrinterStatus, DeviceError> {
        PrinterStatus::decode(self.query_raw(1)?)
    }
    /// DLE EOT 2.
    pub fn offline_cause(&mut self) -> Result<OfflineCause, DeviceError> {
        OfflineCause::decode(self.query_raw(2)?)
    }
    /// DLE EOT 3.
    pub fn error_cause(&mut self) -> Result<ErrorCause, DeviceError> {
        ErrorCause::decode(self.query_raw(3)?)
    }
    /// DLE EOT 4.
    pub fn paper_status(&mut self) -> Result<PaperStatus, DeviceError> {
        PaperStatus::decode(self.query_raw(4)?)
    }

    /// All four statuses.
    pub fn full_status(&mut self) -> Result<FullStatus, DeviceError> {
        Ok(FullStatus {
            printer: self.printer_status()?,
            offline: self.offline_cause()?,
            error: self.error_cause()?,
            paper: self.paper_status()?,
        })
    }

    /// Turn automatic status back on (all conditions) or off.
    pub fn set_auto_status(&mut self, on: bool) -> Result<(), DeviceError> {
        self.send(&cmd::auto_status_back(if on { 0x0F } else { 0 }))
    }

    /// Print a rendered receipt without ever holding up the sale.
    ///
    /// Asks the status first and sends nothing to a printer that cannot
    /// print (bytes sent to an offline printer wait in its buffer and come
    /// out later, unexpectedly, possibly after the till printed a duplicate).
    ///
    /// Then it waits until the printer has actually *printed* the receipt
    /// before judging: DLE EOT is answered in real time, the moment the bytes
    /// arrive, while the receipt is still in the printer's buffer, so asking
    /// it right after sending never sees the paper run out mid-receipt. The
    /// receipt is followed by GS ( H fn 48 (process ID response), which the
    /// printer answers only once everything before it has printed; while
    /// waiting for that answer DLE EOT 2 is polled, and a printer that has
    /// gone offline (paper end, cover opened, error) is reported as
    /// [`NotPrinted::Interrupted`] so the till offers a DUPLICATA.
    ///
    /// Printers that ignore GS ( H (some clones) never answer: after
    /// [`Printer::with_print_wait`] the real-time status decides, and the
    /// printer is remembered as not confirming, so later receipts only poll
    /// the status for [`UNCONFIRMED_POLL`] instead of the full wait.
    pub fn print_receipt(&mut self, bytes: &[u8]) -> Result<(), NotPrinted> {
        let before = self.full_status().map_err(NotPrinted::Unreachable)?;
        if !before.ready() {
            return Err(NotPrinted::NotReady(before));
        }
        self.process_id = (self.process_id + 1) % 10_000;
        let id = process_id_digits(self.process_id);
        let mut out = Vec::with_capacity(bytes.len() + 11);
        out.extend_from_slice(bytes);
        out.extend_from_slice(&cmd::process_id_request(id));
        self.send(&out).map_err(NotPrinted::Unreachable)?;
        let wait = match self.confirms {
            Some(false) => UNCONFIRMED_POLL,
            _ => self.print_wait,
        };
        match self.wait_printed(id, wait) {
            Ok(Printed::Confirmed) => {
                self.confirms = Some(true);
                Ok(())
            }
            Ok(Printed::Stopped) => match self.full_status() {
                Ok(s) => Err(NotPrinted::Interrupted(s)),
                // It said "offline" a moment ago; report that much.
                Err(_) => Err(NotPrinted::Interrupted(FullStatus {
                    printer: PrinterStatus {
                        offline: true,
                        ..Default::default()
                    },
                    ..Default::default()
                })),
            },
            Ok(Printed::NoAnswer) => {
                if self.confirms.is_none() {
                    self.confirms = Some(false);
                }
                match self.full_status() {
                    Ok(after) if !after.ready() => Err(NotPrinted::Interrupted(after)),
                    _ => Ok(()),
                }
            }
            // The bytes are out; a status that cannot be read now is not a
            // reason to print twice.
            Err(_) => Ok(()),
        }
    }

    /// How long [`Printer::print_receipt`] waits for the printer to confirm
    /// a receipt has printed (default 15 s: a long receipt on a slow printer
    /// takes several seconds; the wait runs on the printer's own thread, the
    /// sale is committed already).
    pub fn with_print_wait(mut self, wait: Duration) -> Self {
        self.print_wait = wait;
        self
    }

    /// Wait for the answer to GS ( H `id`, asking DLE EOT 2 at once and then
    /// every [`PRINT_POLL`] to spot a printer that stopped. Both answers
    /// travel on the same line, so they are told apart byte by byte.
    fn wait_printed(&mut self, id: [u8; 4], wait: Duration) -> Result<Printed, DeviceError> {
        let deadline = Instant::now() + wait;
        let mut reply = ProcessIdMatcher::new(id);
        let mut next_poll = Instant::now();
        // When the outstanding DLE EOT 2 was sent, if one is.
        let mut asked: Option<Instant> = None;
        loop {
            let now = Instant::now();
            if now >= deadline {
                return Ok(Printed::NoAnswer);
            }
            if asked.is_none() && now >= next_poll {
                self.link.write_all(&cmd::status_request(2))?;
                self.link.flush()?;
                asked = Some(now);
                next_poll = now + PRINT_POLL;
            }
            let wake = match asked {
                Some(at) => at + self.timeout,
                None => next_poll,
            }
            .min(deadline);
            let left = wake
                .saturating_duration_since(Instant::now())
                .max(Duration::from_millis(1));
            let mut b = [0u8; 1];
            match self.link.read(&mut b, left) {
                Ok(_) => {}
                Err(DeviceError::Timeout { .. }) => {
                    // A status question nobody answered: ask again later.
                    if asked.is_some_and(|at| at + self.timeout <= Instant::now()) {
                        asked = None;
                    }
                    continue;
                }
                Err(e) => return Err(e),
            }
            let b = b[0];
            if reply.push(b) {
                return Ok(Printed::Confirmed);
            }
            if reply.in_progress() {
                continue; // digits of the answer look like status bytes
            }
            if asked.is_some() && status::is_dle_eot_reply(b) {
                asked = None;
                let c = OfflineCause::decode(b)?;
                if c.paper_end_stop || c.cover_open || c.error {
                    return Ok(Printed::Stopped);
                }
            } else if status::is_asb_first_byte(b) {
                let mut rest = [0u8; 3];
                read_exact(
                    &mut self.link,
                    &mut rest,
                    self.timeout,
                    "automatic status back",
                )?;
                let a = AutoStatus::decode([b, rest[0], rest[1], rest[2]])?;
                self.last_auto_status = Some(a);
                if a.paper_end || a.cover_open || a.offline {
                    return Ok(Printed::Stopped);
                }
            }
            // Anything else (XON/XOFF, a late answer to an older id) is
            // not about this receipt.
        }
    }

    /// Kick the drawer with `ESC p` (queued with print data: it fires only
    /// when the printer is online).
    pub fn kick(&mut self, pin: DrawerPin, on_ms: u16, off_ms: u16) -> Result<(), DeviceError> {
        self.send(&cmd::drawer_pulse(pin, on_ms, off_ms))
    }

    /// Kick the drawer with `DLE DC4 1`, executed at once even when offline.
    pub fn kick_realtime(&mut self, pin: DrawerPin, on_ms: u16) -> Result<(), DeviceError> {
        let t = on_ms.div_ceil(100).clamp(1, 8) as u8;
        self.send(&cmd::realtime_pulse(pin, t))
    }

    /// Kick the drawer the way that will work now: ask DLE EOT 1 first, use
    /// `ESC p` when online and the real-time pulse when offline (or when the
    /// status cannot be read, since the pulse is harmless if it repeats a
    /// kick the drawer already took). Returns true if the real-time pulse was used.
    pub fn kick_best(
        &mut self,
        pin: DrawerPin,
        on_ms: u16,
        off_ms: u16,
    ) -> Result<bool, DeviceError> {
        Ok(self.kick_checked(pin, on_ms, off_ms)? != KickHow::EscP)
    }

    /// [`Printer::kick_best`], saying whether the printer answered at all:
    /// a technician must be told "nothing answered" rather than "pulse
    /// sent" when the port is dead or the baud rate is wrong.
    pub fn kick_checked(
        &mut self,
        pin: DrawerPin,
        on_ms: u16,
        off_ms: u16,
    ) -> Result<KickHow, DeviceError> {
        match self.printer_status() {
            Ok(s) if !s.offline => {
                self.kick(pin, on_ms, off_ms)?;
                Ok(KickHow::EscP)
            }
            Ok(_) => {
                self.kick_realtime(pin, on_ms)?;
                Ok(KickHow::RealtimeOffline)
            }
            Err(DeviceError::Timeout { .. }) | Err(DeviceError::Garbage { .. }) => {
                self.kick_realtime(pin, on_ms)?;
                Ok(KickHow::RealtimeUnanswered)
            }
            Err(e) => Err(e),
        }
    }
}

/// How [`Printer::kick_checked`] fired the drawer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KickHow {
    /// Online: `ESC p`.
    EscP,
    /// The printer said it is offline: real-time `DLE DC4 1`.
    RealtimeOffline,
    /// The printer did not answer DLE EOT 1 (or answered garbage): the
    /// real-time pulse was sent blind.
    RealtimeUnanswered,
}

/// Why a receipt did not (fully) print. The sale is committed already;
/// these only decide what the till tells the cashier and whether it offers
/// to print later.
#[derive(Debug, thiserror::Error)]
pub enum NotPrinted {
    /// The printer answered that it cannot print: nothing was sent.
    #[error("receipt not printed: {}", plain(.0))]
    NotReady(FullStatus),
    /// The printer stopped during the receipt: print it again as DUPLICATA.
    #[error("receipt interrupted: {}", plain(.0))]
    Interrupted(FullStatus),
    /// The printer could not be reached.
    #[error("receipt not printed: {0}")]
    Unreachable(DeviceError),
}

fn plain(s: &FullStatus) -> String {
    s.problems().join("; ")
}

impl NotPrinted {
    /// True if any byte of the receipt may have reached paper, so printing
    /// it again must be marked DUPLICATA.
    pub fn partly_printed(&self) -> bool {
        matches!(self, NotPrinted::Interrupted(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::MemoryTransport;

    fn printer(reply: &[u8]) -> Printer<MemoryTransport> {
        let mut m = MemoryTransport::new();
        m.push_reply(reply);
        Printer::new(m, Duration::from_millis(20))
    }

    #[test]
    fn status_query_sends_three_bytes_and_decodes() {
        let mut p = printer(&[0x16]);
        let s = p.printer_status().unwrap();
        assert!(s.drawer_pin3_high);
        assert_eq!(p.link().written, vec![0x10, 0x04, 0x01]);
    }

    #[test]
    fn asb_block_before_the_reply_is_skipped_and_kept() {
        // ASB block saying "cover open", then the DLE EOT 2 reply.
        let mut p = printer(&[0x30, 0x00, 0x00, 0x00, 0x16]);
        let c = p.offline_cause().unwrap();
        assert!(c.cover_open);
        assert!(p.last_auto_status.unwrap().cover_open);
    }

    #[test]
    fn no_reply_is_a_timeout_garbage_is_garbage() {
        let mut p = printer(&[]);
        assert!(matches!(
            p.printer_status(),
            Err(DeviceError::Timeout { .. })
        ));
        // Asked twice (one retry), then given up.
        assert_eq!(p.link().written, vec![0x10, 0x04, 0x01, 0x10, 0x04, 0x01]);
        let mut p = printer(&[0xFF]).with_retries(0);
        assert!(matches!(
            p.printer_status(),
            Err(DeviceError::Garbage { .. })
        ));
    }

    #[test]
    fn print_receipt_checks_before_and_after() {
        // Ready before, still fine at the first poll, then the GS ( H
        // answer for id 0001: printed.
        let mut replies = vec![0x12; 5];
        replies.extend([0x37, 0x22, b'0', b'0', b'0', b'1', 0x00]);
        let mut p = printer(&replies);
        p.print_receipt(b"x\n").unwrap();
        let w = &p.link().written;
        assert!(w.windows(2).any(|w| w == b"x\n"));
        // The receipt is followed by GS ( H fn 48 with id 0001.
        let gs_h = cmd::process_id_request(*b"0001");
        assert!(w.windows(gs_h.len()).any(|x| x == gs_h));
        // Cover open: nothing sent.
        let mut p = printer(&[0x1A, 0x16, 0x12, 0x12]);
        let e = p.print_receipt(b"x\n").unwrap_err();
        assert!(matches!(e, NotPrinted::NotReady(_)));
        assert!(!e.partly_printed());
        assert!(!p.link().written.contains(&b'x'));
        assert_eq!(
            e.to_string(),
            "receipt not printed: printer cover is open: close it"
        );
        // Paper ran out during the receipt (DLE EOT 2 says paper end stop
        // before the GS ( H answer came): a duplicate is due.
        let mut replies = vec![0x12; 4];
        replies.push(0x32);
        replies.extend([0x1A, 0x32, 0x12, 0x7E]);
        let mut p = printer(&replies);
        let e = p.print_receipt(b"x\n").unwrap_err();
        assert!(e.partly_printed());
    }

    #[test]
    fn process_id_matcher_ignores_status_bytes_and_old_ids() {
        let mut m = ProcessIdMatcher::new(*b"0002");
        let stream = [
            0x12, 0x37, 0x22, b'0', b'0', b'0', b'1', 0x00, 0x37, 0x37, 0x22,
        ];
        assert!(!stream.iter().any(|&b| m.push(b)));
        assert!(m.in_progress());
        assert!(![b'0', b'0', b'0', b'2'].iter().any(|&b| m.push(b)));
        assert!(m.push(0x00));
        assert_eq!(process_id_digits(10_001), *b"0001");
        assert_eq!(process_id_digits(9042), *b"9042");
    }

    #[test]
    fn kick_best_uses_realtime_pulse_when_offline() {
        let mut p = printer(&[0x1A]); // offline
        assert!(p.kick_best(DrawerPin::Pin2, 100, 200).unwrap());
        assert_eq!(
            p.link().written,
            vec![0x10, 0x04, 0x01, 0x10, 0x14, 0x01, 0x00, 0x01]
        );
        let mut p = printer(&[0x12]); // online
        assert!(!p.kick_best(DrawerPin::Pin5, 100, 200).unwrap());
        assert_eq!(&p.link().written[3..], &[0x1B, 0x70, 0x01, 0x32, 0x64]);
    }

    #[test]
    fn disconnected_link_is_reported() {
        let mut m = MemoryTransport::new();
        m.disconnect();
        let mut p = Printer::new(m, Duration::from_millis(20));
        assert!(matches!(
            p.send(b"x"),
            Err(DeviceError::Disconnected { .. })
        ));
    }
}
