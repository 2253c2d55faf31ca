//! Caisse-AP over TCP: the till connects to the terminal (port 8888 by
//! default), sends one request and reads the answer on the same connection.
//!
//! One connection per payment, as akretion/caisse-ap-ip's client and
//! OCA/l10n-france l10n_fr_pos_caisse_ap_ip do: the terminal is the server,
//! and a connection left open between payments is one more thing a shop's
//! network can silently break.
//!
//! The format has no length header and no end marker, so an answer is
//! complete when the bytes parse as whole fields and nothing more arrives
//! for a short drain time (the approach of l10n_fr_pos_caisse_ap_ip's
//! `DRAIN_TIMEOUT`); the terminal closing the connection after a whole
//! answer also ends it. Bytes that stop inside a field for a step timeout
//! are a garbled answer, not a wait of minutes.

use std::time::{Duration, Instant};

use super::caisse_ap_fields::{self as fields, CaisseApRequest, Parsed, MAX_AMOUNT, PRIVATE_MAX};
use super::link::{check_request, private_field, timeout};
use super::{PaymentAnswer, PaymentError, PaymentRequest, PaymentTerminal};
use crate::transport::TcpTransport;
use crate::{DeviceError, Transport};

/// Timeouts of a Caisse-AP terminal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaisseApSettings {
    /// Connecting, and finishing an answer once its first bytes arrived.
    pub step_timeout: Duration,
    /// From the request to the answer: the whole customer interaction.
    pub answer_timeout: Duration,
    /// Quiet time after a whole number of fields before the answer is
    /// taken as complete.
    pub drain: Duration,
    /// Send the till's reference in CF (private data). On by default; OCA's
    /// l10n_fr_pos_caisse_ap_ip sends none, for terminals that choke on it.
    /// Answers are matched by till number, amount and currency either way.
    pub send_cf: bool,
}

impl Default for CaisseApSettings {
    fn default() -> Self {
        Self {
            step_timeout: Duration::from_secs(3),
            answer_timeout: Duration::from_secs(120),
            drain: Duration::from_millis(300),
            send_cf: true,
        }
    }
}

/// Opens a new connection to the terminal.
pub type Connector<T> = Box<dyn FnMut() -> Result<T, DeviceError> + Send>;

/// The attempt a late answer may still belong to.
struct Pending<T> {
    request: CaisseApRequest,
    /// The till's reference (in CF when `send_cf`).
    reference: String,
    /// The connection the request went out on; `None` once it dropped.
    link: Option<T>,
    buf: Vec<u8>,
    /// When a half-received answer counts as garbled: set by the first
    /// partial read, kept across `late_answer` calls so that short waits
    /// neither cut an answer in pieces nor wait forever on a stalled one.
    partial_deadline: Option<Instant>,
}

/// A Caisse-AP terminal reached through `connect` (in practice TCP).
pub struct CaisseApTerminal<T: Transport> {
    connect: Connector<T>,
    name: String,
    settings: CaisseApSettings,
    pending: Option<Pending<T>>,
}

impl CaisseApTerminal<TcpTransport> {
    /// A terminal at `address` (`host:port`; a bare host gets port 8888).
    pub fn tcp(address: &str, settings: CaisseApSettings) -> Self {
        let address = if address.contains(':') {
            address.to_string()
        } else {
            format!("{address}:8888")
        };
        let step = settings.step_timeout;
        let a = address.clone();
        Self::with_connector(
            &format!("tcp://{address}"),
            Box::new(move || TcpTransport::connect(&a, step)),
            settings,
        )
    }
}

/// How a read of the answer ended.
enum Read {
    Answer(Vec<fields::Field>),
    NoAnswer,
    Dropped,
}

impl<T: Transport> CaisseApTerminal<T> {
    /// A terminal reached through any connector (tests use in-memory links).
    pub fn with_connector(name: &str, connect: Connector<T>, settings: CaisseApSettings) -> Self {
        Self {
            connect,
            name: name.to_string(),
            settings,
            pending: None,
        }
    }

    /// The settings in use.
    pub fn settings(&self) -> &CaisseApSettings {
        &self.settings
    }

    /// Read on `link` until a whole answer, `deadline`, or the link drops.
    /// `buf` keeps what arrived, so a late read continues where pay stopped;
    /// the caller's deadline falling mid-answer is "no answer yet", not
    /// garbled: only `partial_deadline` passing with the answer still cut is.
    fn read_answer(
        &self,
        link: &mut T,
        buf: &mut Vec<u8>,
        partial_deadline: &mut Option<Instant>,
        deadline: Instant,
    ) -> Result<Read, PaymentError> {
        let mut chunk = [0u8; 1024];
        loop {
            let state = match fields::parse(buf) {
                // Whole fields but no status yet: the answer is still coming
                // (a pause at a field boundary longer than the drain time).
                // Taken as complete it was "garbled" and an approval that
                // followed was never recorded; it gets the stall limit of a
                // cut answer instead.
                Parsed::Complete(f) if fields::get(&f, "AE").is_none() => Parsed::Partial,
                other => other,
            };
            let now = Instant::now();
            let until = match &state {
                Parsed::Malformed(detail) => return Err(garbled(detail, buf)),
                Parsed::Empty => deadline,
                Parsed::Complete(_) => now + self.settings.drain,
                Parsed::Partial => {
                    *partial_deadline.get_or_insert(now + self.settings.step_timeout)
                }
            };
            // Whose limit this read waits for: the stall limit of a cut
            // answer (garbled when it passes) or the caller's (no answer yet).
            let stall_bound = until <= deadline;
            let wait = until.min(deadline).saturating_duration_since(now);
            let got = if wait.is_zero() {
                Err(DeviceError::Timeout {
                    what: "answer".into(),
                    after: wait,
                })
            } else {
                link.read(&mut chunk, wait)
            };
            match (got, state) {
                (Ok(n), _) => buf.extend_from_slice(&chunk[..n]),
                (Err(DeviceError::Timeout { .. }), Parsed::Complete(f)) => {
                    return Ok(Read::Answer(f))
                }
                (Err(DeviceError::Timeout { .. }), Parsed::Partial) => {
                    if stall_bound {
                        return Err(garbled("answer stops in the middle of a field", buf));
                    }
                    return Ok(Read::NoAnswer);
                }
                (Err(DeviceError::Timeout { .. }), _) => return Ok(Read::NoAnswer),
                // The terminal hangs up once it has answered.
                (Err(DeviceError::Disconnected { .. }), Parsed::Complete(f)) => {
                    return Ok(Read::Answer(f))
                }
                (Err(DeviceError::Disconnected { .. }), _) => return Ok(Read::Dropped),
                (Err(e), _) => return Err(e.into()),
            }
        }
    }

    /// Keep reading for the pending attempt until `deadline`.
    fn pending_answer(&mut self, deadline: Instant) -> Result<Option<PaymentAnswer>, PaymentError> {
        let Some(mut p) = self.pending.take() else {
            return Ok(None);
        };
        // A new connection proves nothing: only an answer carrying this
        // attempt's private field, or its till number, amount and currency,
        // may be taken from it.
        let mut fresh = false;
        loop {
            let mut link = match p.link.take() {
                Some(l) => l,
                None => {
                    let l = match (self.connect)() {
                        Ok(l) => l,
                        Err(e) => {
                            self.pending = Some(p);
                            return Err(e.into());
                        }
                    };
                    fresh = true;
                    p.buf.clear();
                    p.partial_deadline = None;
                    l
                }
            };
            let read = self.read_answer(&mut link, &mut p.buf, &mut p.partial_deadline, deadline);
            match read {
                Ok(Read::Answer(f)) => {
                    let ours = !fresh
                        || (!p.request.private.is_empty()
                            && fields::get(&f, "CF") == Some(p.request.private.as_str()))
                        || fields::same_payment(&f, &p.request);
                    if !ours {
                        p.buf.clear();
                        p.partial_deadline = None;
                        p.link = Some(link);
                        continue;
                    }
                    let mut a =
                        fields::to_answer(&f, &p.request).map_err(|d| garbled(&d, &p.buf))?;
                    if a.reference.is_none() {
                        // CF not sent: still the till's attempt, for crediting.
                        a.reference = Some(p.reference.clone()).filter(|r| !r.is_empty());
                    }
                    return Ok(Some(a));
                }
                Ok(Read::NoAnswer) => {
                    p.link = Some(link);
                    self.pending = Some(p);
                    return Ok(None);
                }
                Ok(Read::Dropped) => {
                    self.pending = Some(p);
                    return Err(PaymentError::Device(DeviceError::Disconnected {
                        detail: format!("{}: closed before answering", self.name),
                    }));
                }
                Err(e) => return Err(e),
            }
        }
    }
}

fn garbled(detail: &str, buf: &[u8]) -> PaymentError {
    PaymentError::Garbled {
        // Details quote the terminal's fields (AE, CD, CF...): a card
        // number sent in one must not reach the screen or the logs.
        detail: super::link::mask_all(detail),
        bytes: super::link::mask_all(&String::from_utf8_lossy(buf)).into_bytes(),
    }
}

impl<T: Transport> PaymentTerminal for CaisseApTerminal<T> {
    fn ping(&mut self) -> Result<(), PaymentError> {
        (self.connect)()?;
        Ok(())
    }

    fn pay(&mut self, req: &PaymentRequest) -> Result<PaymentAnswer, PaymentError> {
        check_request(req, MAX_AMOUNT, 99)?;
        let reference = private_field(req, PRIVATE_MAX)?;
        let request = CaisseApRequest {
            pos_number: req.pos_number,
            amount_cents: req.amount_cents,
            kind: req.kind,
            currency: req.currency,
            private: if self.settings.send_cf {
                reference.clone()
            } else {
                String::new()
            },
        };
        let bytes = request.encode().map_err(PaymentError::InvalidRequest)?;
        // A new payment means the till is done waiting for the old one.
        self.pending = None;
        let mut link = (self.connect)()?;
        let sent = link.write_all(&bytes).and_then(|()| link.flush());
        let dropped = matches!(sent, Err(DeviceError::Disconnected { .. }));
        self.pending = Some(Pending {
            request,
            reference,
            link: (!dropped).then_some(link),
            buf: Vec::new(),
            partial_deadline: None,
        });
        if let Err(e) = sent {
            return Err(e.into());
        }
        let deadline = Instant::now() + self.settings.answer_timeout;
        match self.pending_answer(deadline)? {
            Some(a) => Ok(a),
            None => Err(timeout("answer", self.settings.answer_timeout)),
        }
    }

    fn late_answer(&mut self, wait: Duration) -> Result<Option<PaymentAnswer>, PaymentError> {
        self.pending_answer(Instant::now() + wait)
    }

    fn describe(&self) -> String {
        format!("Caisse-AP terminal at {}", self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payment::PaymentKind;
    use std::collections::VecDeque;
    use std::sync::{Arc, Mutex};

    /// Serves the answer in the given pieces, one per read; then times out.
    struct Pieces {
        pieces: VecDeque<Vec<u8>>,
        written: Arc<Mutex<Vec<u8>>>,
    }

    impl Transport for Pieces {
        fn write_all(&mut self, bytes: &[u8]) -> Result<(), DeviceError> {
            self.written.lock().unwrap().extend_from_slice(bytes);
            Ok(())
        }
        fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, DeviceError> {
            match self.pieces.pop_front() {
                Some(p) => {
                    let n = p.len().min(buf.len());
                    buf[..n].copy_from_slice(&p[..n]);
                    Ok(n)
                }
                None => Err(DeviceError::Timeout {
                    what: "pieces".into(),
                    after: timeout,
                }),
            }
        }
        fn flush(&mut self) -> Result<(), DeviceError> {
            Ok(())
        }
        fn describe(&self) -> String {
            "pieces".into()
        }
    }

    fn terminal(pieces: Vec<Vec<u8>>) -> CaisseApTerminal<Pieces> {
        let mut once = Some(pieces);
        let settings = CaisseApSettings {
            step_timeout: Duration::from_millis(50),
            answer_timeout: Duration::from_millis(200),
            drain: Duration::from_millis(20),
            send_cf: true,
        };
        CaisseApTerminal::with_connector(
            "pieces",
            Box::new(move || {
                Ok(Pieces {
                    pieces: once.take().unwrap_or_default().into(),
                    written: Arc::default(),
                })
            }),
            settings,
        )
    }

    fn req() -> PaymentRequest {
        PaymentRequest {
            amount_cents: 1250,
            kind: PaymentKind::Debit,
            currency: 978,
            pos_number: 1,
            reference: "S1-1".into(),
        }
    }

    const ANSWER: &[u8] = b"CZ0040300CA00201CB0041250CD0010CE003978CF004S1-1AE00210AC006A1B2C3";

    #[test]
    fn answers_split_anywhere_are_reassembled() {
        for cut in 1..ANSWER.len() {
            let mut t = terminal(vec![ANSWER[..cut].to_vec(), ANSWER[cut..].to_vec()]);
            let a = t.pay(&req()).unwrap_or_else(|e| panic!("cut {cut}: {e}"));
            assert!(a.approved && a.auth_code.as_deref() == Some("A1B2C3"));
        }
        let bytes: Vec<Vec<u8>> = ANSWER.iter().map(|&b| vec![b]).collect();
        assert!(terminal(bytes).pay(&req()).unwrap().approved);
    }

    #[test]
    fn an_answer_that_stops_inside_a_field_is_garbled_not_a_long_wait() {
        let start = Instant::now();
        let e = terminal(vec![ANSWER[..20].to_vec()])
            .pay(&req())
            .unwrap_err();
        assert!(matches!(e, PaymentError::Garbled { .. }), "{e}");
        assert!(start.elapsed() < Duration::from_millis(150));
    }

    #[test]
    fn a_late_wait_ending_mid_answer_keeps_the_bytes_for_the_next_wait() {
        // The first 20 bytes arrive in `pay`'s wait; its deadline (2 ms)
        // ends before the stall limit (50 ms): no answer yet, not garbled.
        let mut t = terminal(vec![ANSWER[..20].to_vec()]);
        t.settings.answer_timeout = Duration::from_millis(2);
        t.settings.step_timeout = Duration::from_secs(5);
        let e = t.pay(&req()).unwrap_err();
        assert!(matches!(e, PaymentError::Timeout { .. }), "{e}");
        // The rest comes on the same connection during a later wait.
        if let Some(p) = t.pending.as_mut() {
            if let Some(l) = p.link.as_mut() {
                l.pieces.push_back(ANSWER[20..].to_vec());
            }
        }
        let a = t.late_answer(Duration::from_millis(100)).unwrap();
        assert_eq!(a.and_then(|a| a.auth_code).as_deref(), Some("A1B2C3"));
    }

    #[test]
    fn an_answer_for_another_amount_is_refused_one_with_another_cf_taken() {
        let other = String::from_utf8(ANSWER.to_vec())
            .unwrap()
            .replace("CB0041250", "CB0041350");
        let e = terminal(vec![other.into_bytes()]).pay(&req()).unwrap_err();
        assert!(matches!(e, PaymentError::Garbled { .. }), "{e}");
        // akretion/caisse-ap-ip's server answers CF = 1010000000: same
        // connection, same till number, amount and currency, so ours.
        let other = String::from_utf8(ANSWER.to_vec())
            .unwrap()
            .replace("CF004S1-1", "CF0101010000000");
        let a = terminal(vec![other.into_bytes()]).pay(&req()).unwrap();
        assert!(a.approved);
        assert_eq!(a.reference.as_deref(), Some("S1-1"));
        assert_eq!(a.terminal_reference.as_deref(), Some("1010000000"));
    }
}
