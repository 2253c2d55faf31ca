//! What both card-terminal simulators share: the script of outcomes, the
//! card they pretend to read, the transcript, and the one entry point the
//! till's `till diag simulate terminal` calls.

use std::collections::VecDeque;
use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use super::runner::Endpoint;
use super::{CaisseApTerminalSim, ConcertTerminalSim};
use crate::payment::TerminalProtocol;
use crate::DeviceError;

/// What the simulated customer and bank do with one payment request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The bank approves.
    Approve,
    /// The bank declines.
    Decline,
    /// The customer presses the red key.
    Cancel,
    /// The terminal takes the request and never answers.
    NoAnswer,
    /// The answer arrives damaged (bad LRC / malformed fields).
    Garbled,
    /// The link closes in the middle of the exchange.
    Drop,
    /// Approve, but only after this delay (longer than the till waits).
    Late(Duration),
}

impl FromStr for Outcome {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim().to_ascii_lowercase();
        Ok(match s.as_str() {
            "approve" | "approved" | "ok" => Outcome::Approve,
            "decline" | "declined" | "refuse" => Outcome::Decline,
            "cancel" | "cancelled" | "abandon" => Outcome::Cancel,
            "no-answer" | "noanswer" | "none" => Outcome::NoAnswer,
            "garbled" | "garbage" => Outcome::Garbled,
            "drop" | "hangup" => Outcome::Drop,
            other => {
                let ms = other
                    .strip_prefix("late:")
                    .and_then(|ms| ms.parse::<u64>().ok())
                    .ok_or_else(|| {
                        format!(
                            "{other:?} is not an outcome: use approve, decline, cancel, \
                             no-answer, garbled, drop or late:MS (e.g. late:3000)"
                        )
                    })?;
                Outcome::Late(Duration::from_millis(ms))
            }
        })
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Approve => f.write_str("approve"),
            Outcome::Decline => f.write_str("decline"),
            Outcome::Cancel => f.write_str("cancel"),
            Outcome::NoAnswer => f.write_str("no-answer"),
            Outcome::Garbled => f.write_str("garbled"),
            Outcome::Drop => f.write_str("drop"),
            Outcome::Late(d) => write!(f, "late:{}", d.as_millis()),
        }
    }
}

/// Outcomes taken in order, one per payment request; once the list is
/// used up the last one repeats. An empty script approves everything.
/// Parses from a comma-separated list: `"approve,decline,late:3000"`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Script {
    queue: VecDeque<Outcome>,
    last: Option<Outcome>,
}

impl Script {
    /// A script from a list.
    pub fn new(outcomes: impl IntoIterator<Item = Outcome>) -> Self {
        Self {
            queue: outcomes.into_iter().collect(),
            last: None,
        }
    }

    /// The outcome for the next request.
    pub fn next_outcome(&mut self) -> Outcome {
        if let Some(o) = self.queue.pop_front() {
            self.last = Some(o);
            return o;
        }
        self.last.unwrap_or(Outcome::Approve)
    }
}

impl FromStr for Script {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let outcomes = s
            .split(',')
            .filter(|p| !p.trim().is_empty())
            .map(str::parse)
            .collect::<Result<Vec<Outcome>, String>>()?;
        Ok(Script::new(outcomes))
    }
}

impl fmt::Display for Script {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.queue.iter().map(ToString::to_string).collect();
        f.write_str(&parts.join(","))
    }
}

/// The card the simulated customer presents: what the terminal reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimCard {
    /// The card number as the terminal sends it. Usually already masked
    /// ("497010######1234"); a full test number shows the driver masks it.
    pub pan: String,
    /// Card application: "CB", "VISA", "MASTERCARD", "AMEX"...
    pub scheme: String,
    /// "chip", "contactless", "swipe" or "manual".
    pub read_mode: String,
    /// Authorisation number (Caisse-AP only: Concert E+ has no field).
    pub auth_code: String,
}

impl Default for SimCard {
    fn default() -> Self {
        Self {
            pan: "497010######0010".into(),
            scheme: "CB".into(),
            read_mode: "chip".into(),
            auth_code: "123456".into(),
        }
    }
}

/// Who sent a chunk of the transcript.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// From the till to the terminal.
    FromTill,
    /// From the terminal to the till.
    ToTill,
}

/// The state a simulator shares with its handle.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    pub(crate) script: Script,
    pub(crate) card: SimCard,
    pub(crate) transcript: Vec<(Direction, Vec<u8>)>,
    pub(crate) requests: u32,
    pub(crate) answer_delay: Duration,
}

pub(crate) type SharedState = Arc<Mutex<Shared>>;

pub(crate) fn lock(s: &SharedState) -> MutexGuard<'_, Shared> {
    s.lock().unwrap_or_else(|p| p.into_inner())
}

/// Append to the transcript, merging with the previous chunk in the same
/// direction so it reads as exchanges, not as poll-sized pieces.
pub(crate) fn record(s: &SharedState, dir: Direction, bytes: &[u8]) {
    if bytes.is_empty() {
        return;
    }
    let mut st = lock(s);
    match st.transcript.last_mut() {
        Some((d, b)) if *d == dir => b.extend_from_slice(bytes),
        _ => st.transcript.push((dir, bytes.to_vec())),
    }
}

/// What a test or a technician can do with a running terminal simulator,
/// whichever its protocol: script it, change the card, read the transcript.
#[derive(Clone)]
pub struct SimControl {
    pub(crate) shared: SharedState,
}

impl SimControl {
    pub(crate) fn new(script: Script) -> Self {
        Self {
            shared: Arc::new(Mutex::new(Shared {
                script,
                answer_delay: Duration::from_millis(50),
                ..Shared::default()
            })),
        }
    }

    /// Change the card presented from now on.
    pub fn set_card(&self, card: SimCard) {
        lock(&self.shared).card = card;
    }

    /// Replace the remaining script.
    pub fn set_script(&self, script: Script) {
        lock(&self.shared).script = script;
    }

    /// How long the simulated customer takes before an ordinary answer
    /// (default 50 ms).
    pub fn set_answer_delay(&self, d: Duration) {
        lock(&self.shared).answer_delay = d;
    }

    /// Every byte seen so far, by direction.
    pub fn transcript(&self) -> Vec<(Direction, Vec<u8>)> {
        lock(&self.shared).transcript.clone()
    }

    /// Every byte the till sent, in order.
    pub fn from_till(&self) -> Vec<u8> {
        lock(&self.shared)
            .transcript
            .iter()
            .filter(|(d, _)| *d == Direction::FromTill)
            .flat_map(|(_, b)| b.iter().copied())
            .collect()
    }

    /// The transcript as text (see [`format_transcript`]).
    pub fn transcript_text(&self) -> String {
        format_transcript(&self.transcript())
    }

    /// Payment requests received so far.
    pub fn requests(&self) -> u32 {
        lock(&self.shared).requests
    }
}

/// The transcript as text, one line per chunk: `till> 05` or `term< 06`,
/// printable bytes shown as text after the hex. Card numbers are masked
/// here too (a simulator may have been given a full test number), so the
/// text can be pasted into a ticket.
pub fn format_transcript(t: &[(Direction, Vec<u8>)]) -> String {
    let mut out = String::new();
    for (dir, raw) in t {
        let masked;
        let bytes = if raw.is_ascii() {
            masked = crate::payment::link::mask_all(&String::from_utf8_lossy(raw)).into_bytes();
            &masked
        } else {
            raw
        };
        let who = match dir {
            Direction::FromTill => "till>",
            Direction::ToTill => "term<",
        };
        let text: String = bytes
            .iter()
            .map(|&b| {
                if (0x20..0x7F).contains(&b) {
                    b as char
                } else {
                    '.'
                }
            })
            .collect();
        out.push_str(&format!("{who} {}  |{text}|\n", crate::error::hex(bytes)));
    }
    out
}

/// A running terminal simulator of either protocol: what
/// `till diag simulate terminal --protocol concert|caisse-ap --script ...`
/// starts. Concert listens on a pseudo-terminal (its `address` is a
/// `/dev/pts/N` path to put in `[devices.terminal] path`), Caisse-AP on a
/// TCP socket on 127.0.0.1 (its `address` is `host:port` for
/// `[devices.terminal] address`).
///
/// ```no_run
/// use till_devices::payment::TerminalProtocol;
/// use till_devices::sim::TerminalSim;
/// let sim = TerminalSim::start(TerminalProtocol::Concert, "approve,decline,late:3000".parse()?)?;
/// println!("terminal simulator on {}", sim.address());
/// // ... later, for the technician:
/// print!("{}", sim.control().transcript_text());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub enum TerminalSim {
    /// Concert on a pty.
    Concert(ConcertTerminalSim),
    /// Caisse-AP on TCP.
    CaisseAp(CaisseApTerminalSim),
}

impl TerminalSim {
    /// Start a simulator of `protocol` playing `script`.
    pub fn start(protocol: TerminalProtocol, script: Script) -> Result<Self, DeviceError> {
        Ok(match protocol {
            TerminalProtocol::Concert => TerminalSim::Concert(ConcertTerminalSim::spawn(script)?),
            TerminalProtocol::CaisseAp => {
                TerminalSim::CaisseAp(CaisseApTerminalSim::spawn(script)?)
            }
        })
    }

    /// Script, card and transcript controls.
    pub fn control(&self) -> &SimControl {
        match self {
            TerminalSim::Concert(s) => &s.control,
            TerminalSim::CaisseAp(s) => &s.control,
        }
    }

    /// The endpoint (address, kind; stop).
    pub fn endpoint(&mut self) -> &mut Endpoint {
        match self {
            TerminalSim::Concert(s) => &mut s.endpoint,
            TerminalSim::CaisseAp(s) => &mut s.endpoint,
        }
    }

    /// The pty path or `host:port` to point the till at.
    pub fn address(&self) -> &str {
        match self {
            TerminalSim::Concert(s) => &s.endpoint.address,
            TerminalSim::CaisseAp(s) => &s.endpoint.address,
        }
    }

    /// Which protocol it speaks.
    pub fn protocol(&self) -> TerminalProtocol {
        match self {
            TerminalSim::Concert(_) => TerminalProtocol::Concert,
            TerminalSim::CaisseAp(_) => TerminalProtocol::CaisseAp,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_parse_play_in_order_then_repeat_the_last() {
        let mut s: Script = "approve, decline,late:3000".parse().unwrap();
        assert_eq!(s.to_string(), "approve,decline,late:3000");
        assert_eq!(s.next_outcome(), Outcome::Approve);
        assert_eq!(s.next_outcome(), Outcome::Decline);
        let late = Outcome::Late(Duration::from_secs(3));
        assert_eq!(s.next_outcome(), late);
        assert_eq!(s.next_outcome(), late);
        assert_eq!(Script::default().next_outcome(), Outcome::Approve);
        let e = "approve,maybe".parse::<Script>().unwrap_err();
        assert!(e.contains("late:MS"), "{e}");
        assert!("late:soon".parse::<Outcome>().is_err());
        let t = vec![
            (Direction::FromTill, vec![0x05]),
            (Direction::ToTill, b"AA0164970101234567890".to_vec()),
        ];
        let text = format_transcript(&t);
        assert!(text.starts_with("till> 05  |.|\n"), "{text}");
        assert!(
            text.contains("************7890") && !text.contains("49701012"),
            "{text}"
        );
        for o in ["cancel", "no-answer", "garbled", "drop"] {
            assert_eq!(o.parse::<Outcome>().unwrap().to_string(), o);
        }
    }
}
