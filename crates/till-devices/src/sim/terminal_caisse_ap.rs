//! A Caisse-AP card terminal on a TCP socket on localhost: one request per
//! connection, answered on the same connection, like
//! akretion/caisse-ap-ip's caisse_ap_ip_server.py. Answers go out in three
//! pieces, one cut inside a field, so the till's reassembly is exercised on
//! every payment.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::runner::{Endpoint, Session, SimKind};
use super::terminal::{
    lock, record, Direction, Outcome, ReferenceMode, Script, SharedState, SimControl,
};
use crate::payment::caisse_ap_fields::{self as fields, CaisseApRequest, Field, Parsed};
use crate::payment::link::code_for_scheme;
use crate::DeviceError;

/// Gap between the pieces of one answer.
const PIECE_GAP: Duration = Duration::from_millis(15);

enum State {
    /// Reading a request.
    Request(Vec<u8>),
    /// The customer is at the terminal; the answer goes out at `at`.
    Scheduled { at: Instant, answer: Vec<u8> },
    /// Sending the answer piece by piece.
    Sending {
        next: Instant,
        pieces: VecDeque<Vec<u8>>,
    },
    /// Answered, or decided not to: ignore the rest of the connection.
    Done,
    /// Close the connection.
    HangUp,
}

struct CaisseApSession {
    shared: SharedState,
    state: State,
}

impl CaisseApSession {
    fn answer_fields(&self, req_fields: &[Field], outcome: Outcome) -> Vec<Field> {
        let (card, mode) = {
            let st = lock(&self.shared);
            (st.card.clone(), st.reference)
        };
        // The answer echoes the request (as the reference simulator does),
        // minus what only makes sense one way.
        let mut f: Vec<Field> = req_fields
            .iter()
            .filter(|(t, _)| t != "BA")
            .filter(|(t, _)| t != "CF" || mode == ReferenceMode::Echo)
            .cloned()
            .collect();
        // Where caisse_ap_ip_server.py puts its own CF: in place of the
        // request's, or last when the request had none.
        let cf_at = req_fields
            .iter()
            .filter(|(t, _)| t != "BA")
            .position(|(t, _)| t == "CF");
        let mut push = |t: &str, v: &str| f.push((t.to_string(), v.to_string()));
        match outcome {
            Outcome::Decline => {
                push("AE", "01");
                push("AF", "04");
            }
            Outcome::Cancel => {
                push("AE", "01");
                push("AF", "11");
            }
            _ => {
                let contactless = card.read_mode.eq_ignore_ascii_case("contactless");
                push("AE", "10");
                push("AA", &card.pan);
                push("AC", &card.auth_code);
                push(
                    "CC",
                    &format!("00{}", code_for_scheme(&card.scheme, contactless)),
                );
                let ci = match card.read_mode.to_ascii_lowercase().as_str() {
                    "contactless" => "2",
                    "swipe" => "3",
                    "manual" => "4",
                    _ => "1",
                };
                push("CI", ci);
            }
        }
        if mode == ReferenceMode::Own {
            let own = ("CF".to_string(), "1010000000".to_string());
            match cf_at {
                Some(at) => f.insert(at, own),
                None => f.push(own),
            }
        }
        f
    }

    fn plan(&mut self, req_fields: &[Field]) -> State {
        let (outcome, delay) = {
            let mut st = lock(&self.shared);
            st.requests += 1;
            (st.script.next_outcome(), st.answer_delay)
        };
        let answer = match outcome {
            Outcome::NoAnswer => return State::Done,
            Outcome::Drop => return State::HangUp,
            // A length that is not digits: no reader can make sense of it.
            Outcome::Garbled => b"CZ0040300AE0x210".to_vec(),
            o => fields::encode(&self.answer_fields(req_fields, o)).unwrap_or_default(),
        };
        let at = Instant::now()
            + match outcome {
                Outcome::Late(d) => d,
                _ => delay,
            };
        State::Scheduled { at, answer }
    }
}

/// Three pieces: the first ends inside the first field's length, the
/// second in the middle of the message.
fn pieces(answer: Vec<u8>) -> VecDeque<Vec<u8>> {
    let n = answer.len();
    if n < 8 {
        return VecDeque::from([answer]);
    }
    let (a, b) = (3, n / 2);
    VecDeque::from([
        answer[..a].to_vec(),
        answer[a..b].to_vec(),
        answer[b..].to_vec(),
    ])
}

impl Session for CaisseApSession {
    fn on_bytes(&mut self, bytes: &[u8], _out: &mut Vec<u8>) {
        record(&self.shared, Direction::FromTill, bytes);
        let State::Request(buf) = &mut self.state else {
            return;
        };
        buf.extend_from_slice(bytes);
        let parsed = fields::parse(buf);
        self.state = match parsed {
            Parsed::Complete(f) if CaisseApRequest::from_fields(&f).is_ok() => self.plan(&f),
            // A whole but incomplete request: more fields may follow.
            Parsed::Complete(_) | Parsed::Partial | Parsed::Empty => return,
            Parsed::Malformed(_) => {
                // AE 01 AF 09: "format error", as the reference simulator.
                let answer = b"CZ0040300AE00201AF00209".to_vec();
                State::Scheduled {
                    at: Instant::now(),
                    answer,
                }
            }
        };
    }

    fn tick(&mut self, out: &mut Vec<u8>) {
        let now = Instant::now();
        let state = std::mem::replace(&mut self.state, State::Done);
        self.state = match state {
            State::Scheduled { at, answer } if now >= at => State::Sending {
                next: now,
                pieces: pieces(answer),
            },
            State::Sending { next, mut pieces } if now >= next => {
                if let Some(p) = pieces.pop_front() {
                    record(&self.shared, Direction::ToTill, &p);
                    out.extend_from_slice(&p);
                }
                if pieces.is_empty() {
                    State::Done
                } else {
                    State::Sending {
                        next: now + PIECE_GAP,
                        pieces,
                    }
                }
            }
            other => other,
        };
    }

    fn connected(&mut self) {
        self.state = State::Request(Vec::new());
    }

    fn hang_up(&mut self) -> bool {
        if matches!(self.state, State::HangUp) {
            // Only this connection: the terminal takes the next one.
            self.state = State::Done;
            return true;
        }
        false
    }
}

/// A running Caisse-AP terminal simulator on 127.0.0.1.
pub struct CaisseApTerminalSim {
    /// Script, card and transcript controls.
    pub control: SimControl,
    /// Where it listens: `endpoint.address` is `127.0.0.1:port`.
    pub endpoint: Endpoint,
}

impl CaisseApTerminalSim {
    /// Start one playing `script`.
    pub fn spawn(script: Script) -> Result<Self, DeviceError> {
        let control = SimControl::new(script);
        let session = CaisseApSession {
            shared: control.shared.clone(),
            state: State::Done,
        };
        let endpoint = Endpoint::spawn(SimKind::Tcp, session, "terminal-caisse-ap")?;
        Ok(Self { control, endpoint })
    }
}
