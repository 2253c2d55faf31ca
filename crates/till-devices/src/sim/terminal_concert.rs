//! A Concert card terminal on a pseudo-terminal: the terminal's side of the
//! exchange described in `payment::concert`, byte for byte.

use std::time::{Duration, Instant};

use super::runner::{Endpoint, Session, SimKind};
use super::terminal::{
    lock, record, Direction, Outcome, ReferenceMode, Script, SharedState, SimControl,
};
use crate::payment::concert_frame::{
    frame, ConcertAnswer, ConcertRequest, FrameEvent, FrameReader, ACK, ENQ, EOT, NAK,
};
use crate::payment::link::code_for_scheme;
use crate::DeviceError;

/// How long the terminal waits for the till's ACK to its ENQ or frame
/// before it gives the answer up (it would print it as not transmitted).
const GIVE_UP: Duration = Duration::from_secs(30);

enum State {
    /// Waiting for the till's ENQ.
    Idle,
    /// ENQ acknowledged: a request frame (or EOT, after a ping) comes next.
    Request(FrameReader),
    /// Request acknowledged: the till's EOT comes next.
    AwaitEot(ConcertRequest),
    /// The customer is at the terminal; the answer goes out at `at`.
    Scheduled {
        at: Instant,
        answer: Vec<u8>,
        garble: bool,
    },
    /// We sent ENQ, waiting for the till's ACK.
    AwaitEnqAck {
        since: Instant,
        answer: Vec<u8>,
        garble: bool,
    },
    /// We sent the answer, waiting for ACK (done) or NAK (resend).
    AwaitFrameAck {
        since: Instant,
        answer: Vec<u8>,
        garble: bool,
        tries: u32,
    },
    /// Close the line.
    HangUp,
}

struct ConcertSession {
    shared: SharedState,
    state: State,
}

impl ConcertSession {
    fn emit(&self, out: &mut Vec<u8>, bytes: &[u8]) {
        record(&self.shared, Direction::ToTill, bytes);
        out.extend_from_slice(bytes);
    }

    /// The answer frame, damaged if `garble` (LRC off by one bit).
    fn answer_frame(answer: &[u8], garble: bool) -> Vec<u8> {
        let mut f = frame(answer);
        if garble {
            if let Some(l) = f.last_mut() {
                *l ^= 0x01;
            }
        }
        f
    }

    fn plan(&mut self, req: &ConcertRequest) -> State {
        let (outcome, card, delay, mode, n) = {
            let mut st = lock(&self.shared);
            st.requests += 1;
            let n = st.requests;
            (
                st.script.next_outcome(),
                st.card.clone(),
                st.answer_delay,
                st.reference,
                n,
            )
        };
        let private = match mode {
            ReferenceMode::Echo => req.private.clone(),
            ReferenceMode::Own => format!("TX{n:08}"),
            ReferenceMode::Blank => String::new(),
        };
        let contactless = card.read_mode.eq_ignore_ascii_case("contactless");
        let status = match outcome {
            Outcome::Decline | Outcome::Cancel => b'7',
            _ => b'0',
        };
        let answer = ConcertAnswer {
            pos_number: req.pos_number,
            status,
            amount_cents: req.amount_cents,
            mode: code_for_scheme(&card.scheme, contactless) as u8,
            report: req.long_answer.then(|| card.pan.clone()),
            currency: req.currency,
            private,
        }
        .body();
        let at = Instant::now()
            + match outcome {
                Outcome::Late(d) => d,
                _ => delay,
            };
        match outcome {
            Outcome::NoAnswer => State::Idle,
            Outcome::Drop => State::HangUp,
            _ => State::Scheduled {
                at,
                answer,
                garble: outcome == Outcome::Garbled,
            },
        }
    }
}

impl Session for ConcertSession {
    fn on_bytes(&mut self, bytes: &[u8], out: &mut Vec<u8>) {
        record(&self.shared, Direction::FromTill, bytes);
        for &b in bytes {
            let state = std::mem::replace(&mut self.state, State::Idle);
            self.state = match state {
                // A till's ENQ wins over an answer we were trying to give:
                // the till has moved on (a new payment, a ping).
                State::Idle
                | State::AwaitEot(_)
                | State::Scheduled { .. }
                | State::AwaitEnqAck { .. }
                | State::AwaitFrameAck { .. }
                    if b == ENQ =>
                {
                    self.emit(out, &[ACK]);
                    State::Request(FrameReader::new())
                }
                State::Request(mut reader) => match reader.push(b) {
                    FrameEvent::Frame(body) => match ConcertRequest::decode_body(&body) {
                        Ok(req) => {
                            self.emit(out, &[ACK]);
                            State::AwaitEot(req)
                        }
                        Err(_) => {
                            self.emit(out, &[NAK]);
                            State::Request(FrameReader::new())
                        }
                    },
                    FrameEvent::Bad(_) => {
                        self.emit(out, &[NAK]);
                        State::Request(FrameReader::new())
                    }
                    FrameEvent::Noise(EOT) => State::Idle,
                    // The till did not see our ACK and asks again.
                    FrameEvent::Noise(ENQ) => {
                        self.emit(out, &[ACK]);
                        State::Request(reader)
                    }
                    _ => State::Request(reader),
                },
                State::AwaitEot(req) if b == EOT => self.plan(&req),
                State::AwaitEnqAck { answer, garble, .. } if b == ACK => {
                    self.emit(out, &Self::answer_frame(&answer, garble));
                    State::AwaitFrameAck {
                        since: Instant::now(),
                        answer,
                        garble,
                        tries: 1,
                    }
                }
                State::AwaitFrameAck { .. } if b == ACK => {
                    self.emit(out, &[EOT]);
                    State::Idle
                }
                State::AwaitFrameAck {
                    answer,
                    garble,
                    tries,
                    ..
                } if b == NAK => {
                    if tries >= crate::payment::concert::TRIES {
                        self.emit(out, &[EOT]);
                        State::Idle
                    } else {
                        self.emit(out, &Self::answer_frame(&answer, garble));
                        State::AwaitFrameAck {
                            since: Instant::now(),
                            answer,
                            garble,
                            tries: tries + 1,
                        }
                    }
                }
                other => other,
            };
        }
    }

    fn tick(&mut self, out: &mut Vec<u8>) {
        let now = Instant::now();
        let state = std::mem::replace(&mut self.state, State::Idle);
        self.state = match state {
            State::Scheduled { at, answer, garble } if now >= at => {
                self.emit(out, &[ENQ]);
                State::AwaitEnqAck {
                    since: now,
                    answer,
                    garble,
                }
            }
            State::AwaitEnqAck { since, .. } | State::AwaitFrameAck { since, .. }
                if now.duration_since(since) > GIVE_UP =>
            {
                self.emit(out, &[EOT]);
                State::Idle
            }
            other => other,
        };
    }

    fn connected(&mut self) {
        self.state = State::Idle;
    }

    fn hang_up(&mut self) -> bool {
        matches!(self.state, State::HangUp)
    }
}

/// A running Concert terminal simulator on a pseudo-terminal.
pub struct ConcertTerminalSim {
    /// Script, card and transcript controls.
    pub control: SimControl,
    /// Where it listens: `endpoint.address` is the pty path.
    pub endpoint: Endpoint,
}

impl ConcertTerminalSim {
    /// Start one playing `script`.
    pub fn spawn(script: Script) -> Result<Self, DeviceError> {
        let control = SimControl::new(script);
        let session = ConcertSession {
            shared: control.shared.clone(),
            state: State::Idle,
        };
        let endpoint = Endpoint::spawn(SimKind::Pty, session, "terminal-concert")?;
        Ok(Self { control, endpoint })
    }
}
