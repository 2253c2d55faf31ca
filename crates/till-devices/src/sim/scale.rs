//! A counter scale on a pseudo-terminal, speaking 8217, continuous output
//! or Dialog 06 byte for byte, playing a script of weights and states.

use std::collections::VecDeque;
use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rust_decimal::Decimal;

use super::runner::{Endpoint, Session, SimKind};
use crate::scale::{continuous, dialog06, to_units, toledo8217, ScaleProtocol};
use crate::DeviceError;

/// What the scale shows for one weighing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScaleStep {
    /// A stable weight, kg (gross: a tare is taken off by the scale).
    Weight(Decimal),
    /// The load moves.
    Motion,
    /// Below zero.
    Underload,
    /// Over capacity.
    Overload,
    /// Empty plate.
    Zero,
    /// Dialog 06: same load as last time (status 21).
    NotRemoved,
    /// No answer at all.
    Silent,
    /// A damaged answer.
    Garbled,
    /// The line closes.
    Drop,
}

impl FromStr for ScaleStep {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim().to_ascii_lowercase();
        Ok(match s.as_str() {
            "motion" | "moving" => ScaleStep::Motion,
            "underload" | "negative" => ScaleStep::Underload,
            "overload" => ScaleStep::Overload,
            "zero" | "empty" => ScaleStep::Zero,
            "not-removed" => ScaleStep::NotRemoved,
            "silent" | "no-answer" => ScaleStep::Silent,
            "garbled" => ScaleStep::Garbled,
            "drop" => ScaleStep::Drop,
            other => {
                let kg: Decimal = other.replace(',', ".").parse().map_err(|_| {
                    format!(
                        "{other:?} is not a weight or a state: use a weight in kg (1.234), \
                         motion, underload, overload, zero, not-removed, silent, garbled or drop"
                    )
                })?;
                if kg.is_sign_negative() || kg > toledo8217::MAX_KG {
                    return Err(format!("{other}: a weight from 0 to 99.999 kg"));
                }
                ScaleStep::Weight(kg)
            }
        })
    }
}

impl fmt::Display for ScaleStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScaleStep::Weight(kg) => write!(f, "{kg}"),
            ScaleStep::Motion => f.write_str("motion"),
            ScaleStep::Underload => f.write_str("underload"),
            ScaleStep::Overload => f.write_str("overload"),
            ScaleStep::Zero => f.write_str("zero"),
            ScaleStep::NotRemoved => f.write_str("not-removed"),
            ScaleStep::Silent => f.write_str("silent"),
            ScaleStep::Garbled => f.write_str("garbled"),
            ScaleStep::Drop => f.write_str("drop"),
        }
    }
}

/// Steps taken in order, one per weighing request (continuous output: one
/// per [`CONTINUOUS_HOLD`] frames); the last repeats. Empty: 1.234 kg.
/// Parses from `"motion,1.234,overload"`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScaleScript {
    queue: VecDeque<ScaleStep>,
    last: Option<ScaleStep>,
}

impl ScaleScript {
    /// The next step.
    pub fn next_step(&mut self) -> ScaleStep {
        if let Some(s) = self.queue.pop_front() {
            self.last = Some(s);
            return s;
        }
        self.last
            .unwrap_or(ScaleStep::Weight(Decimal::new(1234, 3)))
    }
}

impl FromStr for ScaleScript {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let queue = s
            .split(',')
            .filter(|p| !p.trim().is_empty())
            .map(str::parse)
            .collect::<Result<VecDeque<ScaleStep>, String>>()?;
        Ok(Self { queue, last: None })
    }
}

/// Frames each continuous-output step lasts (0.1 s apart).
pub const CONTINUOUS_HOLD: u32 = 5;

#[derive(Debug, Default)]
struct Shared {
    script: ScaleScript,
    requests: u32,
    zeroed: u32,
    from_till: Vec<u8>,
    to_till: Vec<u8>,
    /// Dialog 06: the unit price and tare of the last record, cents, grams.
    last_price: Option<(u32, u32)>,
}

/// What a test or technician can do with a running scale simulator.
#[derive(Clone)]
pub struct ScaleControl {
    shared: Arc<Mutex<Shared>>,
}

impl ScaleControl {
    fn lock(&self) -> MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(|p| p.into_inner())
    }
    /// Replace the remaining script.
    pub fn set_script(&self, script: ScaleScript) {
        self.lock().script = script;
    }
    /// Weighing requests so far (8217 `W`, Dialog 06 price records).
    pub fn requests(&self) -> u32 {
        self.lock().requests
    }
    /// Zero commands received.
    pub fn zeroed(&self) -> u32 {
        self.lock().zeroed
    }
    /// Every byte the till sent.
    pub fn from_till(&self) -> Vec<u8> {
        self.lock().from_till.clone()
    }
    /// Every byte the scale sent.
    pub fn to_till(&self) -> Vec<u8> {
        self.lock().to_till.clone()
    }
    /// Dialog 06: the unit price (cents) and tare (grams) last received.
    pub fn last_price(&self) -> Option<(u32, u32)> {
        self.lock().last_price
    }
}

struct ScaleSession {
    control: ScaleControl,
    protocol: ScaleProtocol,
    reader06: dialog06::Reader,
    /// Dialog 06: the weighing set up by the last price record.
    pending: Option<(ScaleStep, u32, u32)>,
    status06: u8,
    next_frame: Instant,
    frames_left: u32,
    current: ScaleStep,
    hang_up: bool,
}

impl ScaleSession {
    fn next_step(&mut self) -> ScaleStep {
        let mut s = self.control.lock();
        s.requests += 1;
        s.script.next_step()
    }

    fn emit(&self, out: &mut Vec<u8>, bytes: &[u8]) {
        self.control.lock().to_till.extend_from_slice(bytes);
        out.extend_from_slice(bytes);
    }

    fn answer_8217(&mut self, out: &mut Vec<u8>) {
        let step = self.next_step();
        let status = |bits| toledo8217::encode_status(toledo8217::Status(bits));
        let bytes = match step {
            ScaleStep::Weight(kg) => {
                toledo8217::encode_weight(kg, false).unwrap_or_else(|| status(0x02))
            }
            ScaleStep::Motion => status(0x01),
            ScaleStep::Overload => status(0x02),
            ScaleStep::Underload => status(0x04),
            ScaleStep::Zero | ScaleStep::NotRemoved => {
                toledo8217::encode_weight(Decimal::ZERO, false).unwrap_or_default()
            }
            ScaleStep::Garbled => vec![toledo8217::STX, b'#', 0x7F, b'1', toledo8217::CR],
            ScaleStep::Silent => Vec::new(),
            ScaleStep::Drop => {
                self.hang_up = true;
                Vec::new()
            }
        };
        self.emit(out, &bytes);
    }

    fn on_record_06(&mut self, bytes: &[u8], out: &mut Vec<u8>) {
        use dialog06::{ScaleRecord, TillRecord};
        let record = match dialog06::decode_till(bytes) {
            Ok(r) => r,
            Err(_) => {
                self.status06 = 10;
                self.emit(out, &[dialog06::NAK]);
                return;
            }
        };
        let reply = match record {
            TillRecord::Price { unit_cents } | TillRecord::PriceTare { unit_cents, .. } => {
                let tare_g = match record {
                    TillRecord::PriceTare { tare_g, .. } => tare_g,
                    _ => 0,
                };
                self.control.lock().last_price = Some((unit_cents, tare_g));
                let step = self.next_step();
                match step {
                    ScaleStep::Silent => None,
                    ScaleStep::Drop => {
                        self.hang_up = true;
                        None
                    }
                    ScaleStep::Garbled => Some(vec![0x7F, b'?']),
                    _ => {
                        self.pending = Some((step, unit_cents, tare_g));
                        self.status06 = 0;
                        Some(vec![dialog06::ACK])
                    }
                }
            }
            TillRecord::Result => match self.pending.take() {
                Some((ScaleStep::Weight(kg), unit_cents, tare_g)) => {
                    let gross_g = to_units(kg, 3).unwrap_or(0);
                    if gross_g < tare_g {
                        self.status06 = 31;
                        Some(vec![dialog06::NAK])
                    } else if gross_g == tare_g {
                        self.status06 = 30;
                        Some(vec![dialog06::NAK])
                    } else {
                        let net = Decimal::new(i64::from(gross_g - tare_g), 3);
                        // The scale's own arithmetic: what it vouches for.
                        let total = net * Decimal::new(i64::from(unit_cents), 2);
                        let total_cents = to_units(total, 2).unwrap_or(u32::MAX);
                        ScaleRecord::Result {
                            decimals: 3,
                            weight: gross_g - tare_g,
                            unit_cents,
                            total_cents,
                        }
                        .encode()
                        .or(Some(vec![dialog06::NAK]))
                    }
                }
                Some((step, ..)) => {
                    self.status06 = match step {
                        ScaleStep::Motion => 20,
                        ScaleStep::NotRemoved => 21,
                        ScaleStep::Zero => 30,
                        ScaleStep::Underload => 31,
                        ScaleStep::Overload => 32,
                        _ => 1,
                    };
                    Some(vec![dialog06::NAK])
                }
                None => {
                    self.status06 = 1;
                    Some(vec![dialog06::NAK])
                }
            },
            TillRecord::StatusRequest => ScaleRecord::Status(self.status06).encode(),
            TillRecord::Eot => None,
        };
        if let Some(r) = reply {
            self.emit(out, &r);
        }
    }

    fn continuous_frame(&mut self) -> Vec<u8> {
        if self.frames_left == 0 {
            self.current = self.next_step();
            self.frames_left = CONTINUOUS_HOLD;
        }
        self.frames_left -= 1;
        let mut f = continuous::Frame {
            weight: 0,
            tare: 0,
            point: 5,
            net: false,
            negative: false,
            out_of_range: false,
            motion: false,
            kg: true,
        };
        match self.current {
            ScaleStep::Weight(kg) => f.weight = to_units(kg, 3).unwrap_or(0),
            ScaleStep::Motion => {
                f.motion = true;
                f.weight = 777;
            }
            ScaleStep::Underload => {
                f.negative = true;
                f.out_of_range = true;
            }
            ScaleStep::Overload => f.out_of_range = true,
            ScaleStep::Zero | ScaleStep::NotRemoved => {}
            ScaleStep::Garbled => return vec![continuous::STX, 0x01, 0x02, b'x', continuous::CR],
            ScaleStep::Silent => return Vec::new(),
            ScaleStep::Drop => {
                self.hang_up = true;
                return Vec::new();
            }
        }
        f.encode(true).unwrap_or_default()
    }
}

impl Session for ScaleSession {
    fn on_bytes(&mut self, bytes: &[u8], out: &mut Vec<u8>) {
        self.control.lock().from_till.extend_from_slice(bytes);
        for &b in bytes {
            match self.protocol {
                ScaleProtocol::Toledo8217 => match b {
                    toledo8217::WEIGH => self.answer_8217(out),
                    toledo8217::ZERO => self.control.lock().zeroed += 1,
                    _ => {}
                },
                ScaleProtocol::Dialog06 => {
                    if let Some(record) = self.reader06.push(b) {
                        self.on_record_06(&record, out);
                    }
                }
                // A continuous scale does not listen.
                ScaleProtocol::Continuous => {}
            }
        }
    }

    fn tick(&mut self, out: &mut Vec<u8>) {
        match self.protocol {
            ScaleProtocol::Continuous if Instant::now() >= self.next_frame => {
                self.next_frame = Instant::now() + Duration::from_millis(100);
                let f = self.continuous_frame();
                self.emit(out, &f);
            }
            ScaleProtocol::Dialog06 => {
                // A lone EOT at the end of the till's bytes.
                if let Some(eot) = self.reader06.flush_eot() {
                    self.on_record_06(&eot, out);
                }
            }
            _ => {}
        }
    }

    fn connected(&mut self) {
        self.pending = None;
    }

    fn hang_up(&mut self) -> bool {
        self.hang_up
    }
}

/// A running scale simulator on a pseudo-terminal.
pub struct ScaleSim {
    /// Script and transcript.
    pub control: ScaleControl,
    /// Where it listens: `endpoint.address` is the pty path.
    pub endpoint: Endpoint,
    /// Its protocol.
    pub protocol: ScaleProtocol,
}

impl ScaleSim {
    /// Start one speaking `protocol`, playing `script`.
    pub fn spawn(protocol: ScaleProtocol, script: ScaleScript) -> Result<Self, DeviceError> {
        let control = ScaleControl {
            shared: Arc::new(Mutex::new(Shared {
                script,
                ..Shared::default()
            })),
        };
        let session = ScaleSession {
            control: control.clone(),
            protocol,
            reader06: dialog06::Reader::till_side(),
            pending: None,
            status06: 0,
            next_frame: Instant::now(),
            frames_left: 0,
            current: ScaleStep::Zero,
            hang_up: false,
        };
        let endpoint = Endpoint::spawn(SimKind::Pty, session, "scale")?;
        Ok(Self {
            control,
            endpoint,
            protocol,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_parse_and_repeat_the_last_step() {
        let mut s: ScaleScript = "motion, 0.455 ,overload".parse().unwrap();
        assert_eq!(s.next_step(), ScaleStep::Motion);
        assert_eq!(s.next_step(), ScaleStep::Weight(Decimal::new(455, 3)));
        assert_eq!(s.next_step(), ScaleStep::Overload);
        assert_eq!(s.next_step(), ScaleStep::Overload);
        assert!("heavy"
            .parse::<ScaleScript>()
            .unwrap_err()
            .contains("motion"));
        assert!("-1".parse::<ScaleScript>().is_err());
        assert_eq!(
            ScaleScript::default().next_step(),
            ScaleStep::Weight(Decimal::new(1234, 3))
        );
    }
}
