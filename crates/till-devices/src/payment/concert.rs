//! Concert over a serial line (RS-232, or a Telium terminal's USB CDC port).
//!
//! The exchange, as in akretion/pypostelium pypostelium/pypostelium.py
//! (`transaction_start`) and Ousret/pyTeliumManager telium/manager.py
//! (`ask`, `verify`):
//!
//! ```text
//! till  ENQ ->            terminal  <- ACK          (3 tries)
//! till  STX request ETX LRC ->      <- ACK | NAK    (NAK: resend, 3 tries)
//! till  EOT ->
//!        ... the customer inserts the card, types the PIN, the bank answers ...
//!                                   <- ENQ
//! till  ACK ->                      <- STX answer ETX LRC
//! till  ACK | NAK ->                (NAK: the terminal resends, 3 tries)
//!                                   <- EOT
//! ```
//!
//! Every wait has a timeout: each handshake step `step_timeout` (the
//! Telium documentation quoted in pypostelium asks for up to 3 s), the
//! terminal's ENQ with the answer `answer_timeout`, since it spans the
//! whole customer interaction (pyTeliumManager waits 120 s).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::concert_frame::{
    ConcertAnswer, ConcertRequest, FrameEvent, FrameReader, ACK, ENQ, EOT, MAX_AMOUNT, NAK,
    PRIVATE_LEN,
};
use super::link::{check_request, private_field, returned_reference, timeout, Rx};
use super::{PaymentAnswer, PaymentError, PaymentRequest, PaymentTerminal};
use crate::Transport;

/// How many times a frame or an ENQ is tried before giving up.
pub const TRIES: u32 = 3;

/// Timeouts and options of a Concert terminal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConcertSettings {
    /// Each handshake step: ENQ -> ACK, frame -> ACK, the terminal's frame
    /// after our ACK.
    pub step_timeout: Duration,
    /// From our EOT to the terminal's ENQ carrying the answer: the whole
    /// customer interaction.
    pub answer_timeout: Duration,
    /// Ask for the long answer (card number report). On by default: the
    /// receipt wants the masked PAN.
    pub long_answer: bool,
}

impl Default for ConcertSettings {
    fn default() -> Self {
        Self {
            step_timeout: Duration::from_secs(3),
            answer_timeout: Duration::from_secs(120),
            long_answer: true,
        }
    }
}

/// The attempt a late answer may still belong to.
#[derive(Debug, Clone)]
struct Pending {
    private: String,
    amount_cents: u64,
    pos_number: u8,
    currency: u16,
}

/// How many attempts' private fields are remembered, so that an answer
/// echoing an earlier one is not taken for the attempt pending now.
const SENT: usize = 8;

/// A Concert terminal on any [`Transport`] (in practice a serial port).
pub struct ConcertTerminal<T: Transport> {
    rx: Rx<T>,
    settings: ConcertSettings,
    pending: Option<Pending>,
    /// Private fields of the last attempts the terminal took, newest last.
    sent: VecDeque<String>,
}

impl<T: Transport> ConcertTerminal<T> {
    /// A driver on an open link.
    pub fn new(link: T, settings: ConcertSettings) -> Self {
        Self {
            rx: Rx::new(link),
            settings,
            pending: None,
            sent: VecDeque::new(),
        }
    }

    /// The settings in use.
    pub fn settings(&self) -> &ConcertSettings {
        &self.settings
    }

    /// Give the link back.
    pub fn into_inner(self) -> T {
        self.rx.link
    }

    fn step_deadline(&self) -> Instant {
        Instant::now() + self.settings.step_timeout
    }

    /// ENQ until ACK. Another byte (NAK, a stray EOT) means "busy": end
    /// the session with EOT and try again.
    fn enquire(&mut self) -> Result<(), PaymentError> {
        let step = self.settings.step_timeout;
        let mut timeouts = 0;
        for _ in 0..TRIES {
            self.rx.send(&[ENQ])?;
            match self
                .rx
                .byte(self.step_deadline(), "acknowledgement of ENQ", step)
            {
                Ok(ACK) => return Ok(()),
                Ok(_) => self.rx.send(&[EOT])?,
                Err(PaymentError::Timeout { .. }) => timeouts += 1,
                Err(e) => return Err(e),
            }
        }
        if timeouts == TRIES {
            Err(timeout(
                "acknowledgement of ENQ (is the terminal on and set to \"cash connection\"?)",
                step,
            ))
        } else {
            self.rx.send(&[EOT])?;
            Err(PaymentError::Rejected {
                what: "ENQ".into(),
                tries: TRIES,
            })
        }
    }

    /// Send our frame until ACK.
    fn send_frame(&mut self, frame: &[u8]) -> Result<(), PaymentError> {
        let step = self.settings.step_timeout;
        for _ in 0..TRIES {
            self.rx.send(frame)?;
            match self.rx.byte(
                self.step_deadline(),
                "acknowledgement of the payment request",
                step,
            )? {
                ACK => return Ok(()),
                // NAK or line noise: the terminal did not take it.
                _ => continue,
            }
        }
        self.rx.send(&[EOT])?;
        Err(PaymentError::Rejected {
            what: "payment request".into(),
            tries: TRIES,
        })
    }

    /// Wait until `deadline` for the terminal's ENQ, then take its answer.
    /// `Ok(None)`: no ENQ in time.
    fn receive(&mut self, deadline: Instant) -> Result<Option<ConcertAnswer>, PaymentError> {
        loop {
            match self
                .rx
                .byte(deadline, "answer", self.settings.answer_timeout)
            {
                Ok(ENQ) => break,
                // Stray bytes between sessions (a late EOT) are not an answer.
                Ok(_) => continue,
                Err(PaymentError::Timeout { .. }) => return Ok(None),
                Err(e) => return Err(e),
            }
        }
        self.rx.send(&[ACK])?;
        let step = self.settings.step_timeout;
        let mut reader = FrameReader::new();
        let mut bad = 0;
        let mut frame_deadline = self.step_deadline();
        loop {
            let b = self.rx.byte(frame_deadline, "answer frame", step)?;
            match reader.push(b) {
                FrameEvent::More | FrameEvent::Noise(_) => {}
                FrameEvent::Bad(_) => {
                    bad += 1;
                    self.rx.send(&[NAK])?;
                    if bad >= TRIES {
                        return Err(PaymentError::Rejected {
                            what: "terminal's answer (bad LRC)".into(),
                            tries: TRIES,
                        });
                    }
                    frame_deadline = self.step_deadline();
                }
                FrameEvent::Frame(body) => {
                    // A good LRC on a body that is not Concert will not get
                    // better by resending: take it and report it.
                    self.rx.send(&[ACK])?;
                    self.await_eot();
                    return ConcertAnswer::decode_body(&body)
                        .map(Some)
                        .map_err(|detail| PaymentError::Garbled {
                            detail,
                            bytes: mask_bytes(&body),
                        });
                }
            }
        }
    }

    /// The terminal closes its session with EOT; an answer already
    /// acknowledged stands even if the EOT is lost.
    fn await_eot(&mut self) {
        let deadline = self.step_deadline();
        while let Ok(b) = self.rx.byte(deadline, "EOT", self.settings.step_timeout) {
            if b == EOT {
                return;
            }
        }
    }

    /// Wait until `deadline` for an answer to the pending attempt, skipping
    /// answers to other attempts.
    ///
    /// An answer is the pending attempt's when it echoes its private field,
    /// or, when the field is blank or the terminal's own (many terminals
    /// put their transaction id there), when its till number, amount and
    /// currency are the attempt's. An answer echoing an earlier attempt's
    /// field is skipped: that attempt is closed (answered, or replaced by a
    /// session the terminal took), and one answer is never taken for two
    /// attempts. The answer carries the pending attempt's reference, which
    /// the till's late-answer rules credit it by.
    fn answer_for_pending(
        &mut self,
        deadline: Instant,
    ) -> Result<Option<PaymentAnswer>, PaymentError> {
        let Some(p) = self.pending.clone() else {
            return Ok(None);
        };
        while let Some(ans) = self.receive(deadline)? {
            let returned = ans.reference();
            if returned != p.private.trim_end() {
                if !returned.is_empty() && self.sent.iter().any(|e| e.trim_end() == returned) {
                    tracing::warn!(
                        returned,
                        pending = p.private.as_str(),
                        "Concert answer to an earlier attempt while another is pending: skipped"
                    );
                    continue;
                }
                let same = (ans.pos_number, ans.amount_cents, ans.currency)
                    == (p.pos_number % 100, p.amount_cents, p.currency % 1000);
                if !same {
                    tracing::warn!(
                        returned,
                        pending = p.private.as_str(),
                        pos_number = ans.pos_number,
                        amount_cents = ans.amount_cents,
                        currency = ans.currency,
                        "Concert answer for another till number, amount or currency: skipped"
                    );
                    continue;
                }
            }
            self.pending = None;
            if ans.amount_cents != p.amount_cents {
                return Err(PaymentError::Garbled {
                    detail: format!(
                        "the terminal answered for {} cents, {} were asked: check the terminal's journal",
                        ans.amount_cents, p.amount_cents
                    ),
                    bytes: mask_bytes(&ans.body()),
                });
            }
            let mut a = ans.to_answer();
            a.reference = Some(p.private.trim_end().to_string()).filter(|r| !r.is_empty());
            a.terminal_reference = returned_reference(&p.private, Some(returned));
            return Ok(Some(a));
        }
        Ok(None)
    }
}

/// Garbled bytes are kept for the technician; mask any card number first.
fn mask_bytes(body: &[u8]) -> Vec<u8> {
    super::link::mask_all(&String::from_utf8_lossy(body)).into_bytes()
}

impl<T: Transport> PaymentTerminal for ConcertTerminal<T> {
    fn ping(&mut self) -> Result<(), PaymentError> {
        self.rx.drain()?;
        self.enquire()?;
        self.rx.send(&[EOT])
    }

    fn pay(&mut self, req: &PaymentRequest) -> Result<PaymentAnswer, PaymentError> {
        check_request(req, MAX_AMOUNT, 99)?;
        let private = private_field(req, PRIVATE_LEN)?;
        let request = ConcertRequest {
            pos_number: req.pos_number,
            amount_cents: req.amount_cents,
            long_answer: self.settings.long_answer,
            mode: b'1',
            kind: req.kind,
            currency: req.currency,
            private: private.clone(),
            immediate: false,
            forced_auth: false,
        };
        // A new payment means the till is done waiting for the old one,
        // but only once the terminal takes the new session: a terminal still
        // busy with the earlier attempt ignores our ENQ, and its answer to
        // that attempt (maybe an approval) must still be listened for.
        let earlier = self.pending.take();
        self.rx.drain()?;
        if let Err(e) = self.enquire() {
            self.pending = earlier;
            return Err(e);
        }
        // Answered or not, an earlier attempt's answer (a repeat, a late
        // one) must never pass for this one's.
        self.sent.push_back(private.clone());
        if self.sent.len() > SENT {
            self.sent.pop_front();
        }
        // From here the terminal may hold the request even if we see no
        // ACK: an answer can follow.
        self.pending = Some(Pending {
            private,
            amount_cents: req.amount_cents,
            pos_number: req.pos_number,
            currency: req.currency,
        });
        if let Err(e) = self.send_frame(&request.encode()) {
            // Refused three times: the terminal does not hold the request.
            if matches!(e, PaymentError::Rejected { .. }) {
                self.pending = None;
            }
            return Err(e);
        }
        self.rx.send(&[EOT])?;
        let deadline = Instant::now() + self.settings.answer_timeout;
        match self.answer_for_pending(deadline)? {
            Some(a) => Ok(a),
            None => Err(timeout("answer", self.settings.answer_timeout)),
        }
    }

    fn late_answer(&mut self, wait: Duration) -> Result<Option<PaymentAnswer>, PaymentError> {
        match self.answer_for_pending(Instant::now() + wait) {
            // A step timeout inside a half-received answer: nothing usable.
            Err(PaymentError::Timeout { .. }) => Ok(None),
            other => other,
        }
    }

    fn describe(&self) -> String {
        format!("Concert terminal on {}", self.rx.link.describe())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payment::concert_frame::frame;
    use crate::payment::PaymentKind;
    use crate::DeviceError;
    use std::collections::VecDeque;

    /// A terminal that answers the n-th write of the till with the n-th
    /// scripted reply (after `drain`, so stale-byte draining cannot eat it).
    #[derive(Default)]
    struct OnWrite {
        replies: VecDeque<Vec<u8>>,
        ready: VecDeque<u8>,
        written: Vec<u8>,
    }

    impl Transport for OnWrite {
        fn write_all(&mut self, bytes: &[u8]) -> Result<(), DeviceError> {
            self.written.extend_from_slice(bytes);
            if let Some(r) = self.replies.pop_front() {
                self.ready.extend(r);
            }
            Ok(())
        }
        fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, DeviceError> {
            if self.ready.is_empty() || buf.is_empty() {
                return Err(DeviceError::Timeout {
                    what: "on-write".into(),
                    after: timeout,
                });
            }
            let n = buf.len().min(self.ready.len());
            for b in buf.iter_mut().take(n) {
                *b = self.ready.pop_front().unwrap_or_default();
            }
            Ok(n)
        }
        fn flush(&mut self) -> Result<(), DeviceError> {
            Ok(())
        }
        fn describe(&self) -> String {
            "on-write".into()
        }
    }

    fn link(replies: &[&[u8]]) -> OnWrite {
        OnWrite {
            replies: replies.iter().map(|r| r.to_vec()).collect(),
            ..OnWrite::default()
        }
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

    fn settings() -> ConcertSettings {
        ConcertSettings {
            step_timeout: Duration::from_millis(30),
            answer_timeout: Duration::from_millis(60),
            long_answer: false,
        }
    }

    #[test]
    fn a_bad_lrc_is_naked_and_the_resent_frame_taken() {
        let good = frame(b"010000012501978S1-1      ");
        let mut bad = good.clone();
        if let Some(l) = bad.last_mut() {
            *l ^= 0x20;
        }
        // Replies to: ENQ, request, EOT, ACK (to its ENQ), NAK, ACK.
        let l = link(&[&[ACK], &[ACK], &[ENQ], &bad, &good, &[EOT]]);
        let mut t = ConcertTerminal::new(l, settings());
        let a = t.pay(&req()).unwrap();
        assert!(a.approved && a.amount_cents == 1250);
        let w = t.into_inner().written;
        assert_eq!(&w[w.len() - 3..], &[ACK, NAK, ACK]);
    }

    #[test]
    fn a_retry_the_busy_terminal_does_not_take_keeps_listening_for_the_first() {
        // Attempt 1 goes out and gets no answer in time; the terminal is
        // still busy with it, so it ignores the ENQ of attempt 2. Its answer
        // to attempt 1 then comes: it was approved, and must not be lost.
        let answer = frame(b"010000012501978S1-1      ");
        // Replies to: ENQ, request, EOT (none), three ENQs of the retry
        // (none), our ACK to its ENQ (the answer), our ACK (EOT).
        let l = link(&[&[ACK], &[ACK], &[], &[], &[], &[], &answer, &[EOT]]);
        let mut t = ConcertTerminal::new(l, settings());
        let e = t.pay(&req()).unwrap_err();
        assert!(matches!(e, PaymentError::Timeout { .. }), "{e}");
        let retry = PaymentRequest {
            reference: "S1-2".into(),
            ..req()
        };
        let e = t.pay(&retry).unwrap_err();
        assert!(matches!(e, PaymentError::Timeout { .. }), "{e}");
        t.rx.link.ready.push_back(ENQ);
        let late = t.late_answer(Duration::from_millis(200)).unwrap();
        let late = late.expect("the approval of attempt 1");
        assert!(late.approved);
        assert_eq!(late.reference.as_deref(), Some("S1-1"));
    }

    #[test]
    fn a_blank_answer_to_the_attempt_the_busy_terminal_kept_is_credited_to_it() {
        // As above, but the terminal does not echo: its answer, with attempt
        // 1's amount, is attempt 1's (the one still pending), and says so.
        let answer = frame(b"010000012501978          ");
        let l = link(&[&[ACK], &[ACK], &[], &[], &[], &[], &answer, &[EOT]]);
        let mut t = ConcertTerminal::new(l, settings());
        assert!(t.pay(&req()).is_err());
        let retry = PaymentRequest {
            reference: "S1-2".into(),
            ..req()
        };
        assert!(t.pay(&retry).is_err());
        t.rx.link.ready.push_back(ENQ);
        let late = t.late_answer(Duration::from_millis(200)).unwrap();
        let late = late.expect("the approval of attempt 1");
        assert_eq!(late.reference.as_deref(), Some("S1-1"));
        assert_eq!(late.terminal_reference.as_deref(), Some(""));
    }

    #[test]
    fn an_earlier_attempts_answer_or_another_amount_is_not_taken_for_the_pending_one() {
        let first = frame(b"010000012501978S1-1      ");
        // Attempt 1 answered at once: ENQ, request, EOT (its ENQ), ACK (the
        // answer), ACK (EOT).
        let mut replies: Vec<Vec<u8>> =
            vec![vec![ACK], vec![ACK], vec![ENQ], first.clone(), vec![EOT]];
        // Attempt 2, same amount: the terminal repeats attempt 1's answer,
        // then sends a blank one for another amount, then the right one.
        replies.extend([
            vec![ACK],
            vec![ACK],
            vec![ENQ],
            first,
            vec![EOT, ENQ],
            frame(b"010000009991978          "),
            vec![EOT, ENQ],
            frame(b"010000012501978TX0000042 "),
            vec![EOT],
        ]);
        let l = OnWrite {
            replies: replies.into(),
            ..OnWrite::default()
        };
        let mut t = ConcertTerminal::new(l, settings());
        let a = t.pay(&req()).unwrap();
        assert_eq!(a.terminal_reference, None);
        let second = PaymentRequest {
            reference: "S1-2".into(),
            ..req()
        };
        let b = t.pay(&second).unwrap();
        assert!(b.approved);
        assert_eq!(b.reference.as_deref(), Some("S1-2"));
        assert_eq!(b.terminal_reference.as_deref(), Some("TX0000042"));
    }

    #[test]
    fn enq_unanswered_three_times_is_a_timeout_and_nak_is_a_rejection() {
        let mut t = ConcertTerminal::new(link(&[]), settings());
        let e = t.pay(&req()).unwrap_err();
        assert!(matches!(e, PaymentError::Timeout { .. }), "{e}");
        assert_eq!(t.into_inner().written, vec![ENQ, ENQ, ENQ]);
        let l = link(&[&[ACK], &[NAK], &[NAK], &[NAK]]);
        let mut t = ConcertTerminal::new(l, settings());
        let e = t.pay(&req()).unwrap_err();
        assert!(matches!(e, PaymentError::Rejected { tries: 3, .. }), "{e}");
    }
}
