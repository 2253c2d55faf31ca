//! The counter scale: a weight is taken only when the scale says it is
//! stable; motion, underload, overload, an empty scale and a lost link are
//! each a typed [`ScaleError`], never a weight.
//!
//! Three protocols, one driver generic over [`Transport`]:
//! * [`toledo8217`]: the till asks `W`, the scale answers a weight or a
//!   status byte (Odoo's hw_scale driver);
//! * [`continuous`]: the scale streams frames, the till listens (Mettler
//!   Toledo's standard continuous output);
//! * [`dialog06`]: the till sends the unit price (and tare) and the scale
//!   answers weight, unit price and total: the price of a scale approved
//!   for trade, which the till records as given and never recomputes
//!   ([`Weighing::price`]).
//!
//! Weights are kilograms as [`Decimal`]; prices are euros.

use std::time::{Duration, Instant};

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

use crate::transport::{drain, Transport};
use crate::DeviceError;

pub mod continuous;
pub mod dialog06;
pub mod toledo8217;

/// Which protocol the scale speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScaleProtocol {
    /// The 8217 "W" request.
    Toledo8217,
    /// Continuous output.
    Continuous,
    /// Checkout-Dialog 06.
    Dialog06,
}

impl ScaleProtocol {
    /// The name till.toml uses.
    pub fn name(self) -> &'static str {
        match self {
            ScaleProtocol::Toledo8217 => "toledo-8217",
            ScaleProtocol::Continuous => "continuous",
            ScaleProtocol::Dialog06 => "dialog06",
        }
    }
}

impl std::fmt::Display for ScaleProtocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for ScaleProtocol {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "toledo-8217" | "toledo8217" | "8217" => Ok(ScaleProtocol::Toledo8217),
            "continuous" => Ok(ScaleProtocol::Continuous),
            "dialog06" | "dialog-06" => Ok(ScaleProtocol::Dialog06),
            other => Err(format!(
                "\"{other}\" n'est pas un protocole de balance : \"toledo-8217\", \"continuous\" ou \"dialog06\""
            )),
        }
    }
}

/// What the scale shows right now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScaleState {
    /// A stable weight above zero, kg (net of the tare).
    Stable(Decimal),
    /// Stable at zero: nothing on the plate.
    Zero,
    /// The load is moving.
    Motion,
    /// Below zero.
    Underload,
    /// Above the scale's capacity.
    Overload,
}

impl ScaleState {
    /// A stable code for JSON and logs.
    pub fn code(&self) -> &'static str {
        match self {
            ScaleState::Stable(_) => "stable",
            ScaleState::Zero => "zero",
            ScaleState::Motion => "motion",
            ScaleState::Underload => "underload",
            ScaleState::Overload => "overload",
        }
    }
}

/// What the till asks the scale to weigh with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WeighRequest {
    /// Price per kg, euros: Dialog 06 sends it to the scale (the other
    /// protocols do not carry a price).
    pub unit_price: Option<Decimal>,
    /// Tare, kg: the container's weight, set by the cashier or the item.
    pub tare_kg: Option<Decimal>,
}

/// The price a Dialog 06 scale computed: recorded as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScalePrice {
    /// Price per kg the scale used, euros.
    pub unit_price: Decimal,
    /// Total the scale computed, euros.
    pub total: Decimal,
}

/// A stable weighing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Weighing {
    /// Net weight, kg.
    pub net_kg: Decimal,
    /// The tare taken off, kg.
    pub tare_kg: Decimal,
    /// Dialog 06: the scale's price. `None` for weight-only protocols.
    pub price: Option<ScalePrice>,
}

/// Why there is no weight.
#[derive(Debug, thiserror::Error)]
pub enum ScaleError {
    /// The load is still moving.
    #[error("the load is moving: wait for it to settle")]
    Motion,
    /// Below zero.
    #[error("below zero: empty the plate and zero the scale")]
    Underload,
    /// Over capacity.
    #[error("over the scale's capacity")]
    Overload,
    /// Nothing on the plate (or less than the scale's minimum weight).
    #[error("nothing on the scale (or less than its minimum weight)")]
    Zero,
    /// Dialog 06 status 21: the same load as the last weighing; the scale
    /// wants it lifted and put back.
    #[error("the scale has not moved since the last weighing: lift the item and put it back")]
    NotRemoved,
    /// The scale refused the request (Dialog 06 status code).
    #[error("the scale refused the request: status {code:02} ({meaning})")]
    Refused {
        /// The two-digit status.
        code: u8,
        /// What it means.
        meaning: &'static str,
    },
    /// Dialog 06 record 11: the scale asks the checksum exchange, which
    /// needs Mettler Toledo's non-public polynomial.
    #[error("the scale asks for the Dialog 06 checksum exchange, which comptoir cannot answer (Mettler Toledo's polynomial is not public): set the scale to a mode without it")]
    ChecksumRequested,
    /// A request this protocol cannot carry (zero on a continuous scale,
    /// a price above 9999,99, a tare above 9,999 kg).
    #[error("{0}")]
    Unsupported(String),
    /// The link: timeout, disconnection, garbage.
    #[error(transparent)]
    Device(#[from] DeviceError),
}

impl ScaleError {
    /// A stable code, for the app's messages and JSON.
    pub fn code(&self) -> &'static str {
        match self {
            ScaleError::Motion => "motion",
            ScaleError::Underload => "underload",
            ScaleError::Overload => "overload",
            ScaleError::Zero => "zero",
            ScaleError::NotRemoved => "not_removed",
            ScaleError::Refused { .. } => "refused",
            ScaleError::ChecksumRequested => "checksum",
            ScaleError::Unsupported(_) => "unsupported",
            ScaleError::Device(DeviceError::Timeout { .. }) => "no_answer",
            ScaleError::Device(DeviceError::Disconnected { .. }) => "disconnected",
            ScaleError::Device(DeviceError::Garbage { .. }) => "garbled",
            ScaleError::Device(_) => "link",
        }
    }

    /// The error a state other than a stable weight stands for.
    fn from_state(s: &ScaleState) -> Option<ScaleError> {
        match s {
            ScaleState::Stable(_) => None,
            ScaleState::Zero => Some(ScaleError::Zero),
            ScaleState::Motion => Some(ScaleError::Motion),
            ScaleState::Underload => Some(ScaleError::Underload),
            ScaleState::Overload => Some(ScaleError::Overload),
        }
    }
}

/// Dialog 06's record 09 status as an error (`None` for 00, no error).
pub fn dialog06_status(code: u8) -> Option<ScaleError> {
    let refused = |meaning| ScaleError::Refused { code, meaning };
    Some(match code {
        0 => return None,
        20 | 22 => ScaleError::Motion,
        21 => ScaleError::NotRemoved,
        30 => ScaleError::Zero,
        31 => ScaleError::Underload,
        32 => ScaleError::Overload,
        1 => refused("general error"),
        2 => refused("parity error or buffer overflow"),
        10 => refused("invalid record number"),
        11 => refused("invalid unit price"),
        12 => refused("invalid tare"),
        13 => refused("invalid text"),
        _ => refused("unknown status"),
    })
}

/// `value` as a whole number of 10^-`decimals` units (rounded half away
/// from zero), if it is not negative and fits a u32.
pub(crate) fn to_units(value: Decimal, decimals: u32) -> Option<u32> {
    if value.is_sign_negative() && !value.is_zero() {
        return None;
    }
    let scaled = value.checked_mul(Decimal::from(10u64.pow(decimals)))?;
    scaled
        .round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
        .to_u32()
}

/// The counter scale over any [`Transport`].
pub struct Scale<T: Transport> {
    link: T,
    protocol: ScaleProtocol,
    timeout: Duration,
}

/// How long Odoo lets an 8217 scale take a zero before asking again
/// (`commandDelay`).
const COMMAND_DELAY: Duration = Duration::from_millis(200);

impl<T: Transport> Scale<T> {
    /// A scale speaking `protocol` on `link`; `timeout` bounds each answer
    /// (continuous: the wait for a frame).
    pub fn new(link: T, protocol: ScaleProtocol, timeout: Duration) -> Self {
        Self {
            link,
            protocol,
            timeout,
        }
    }

    /// The protocol.
    pub fn protocol(&self) -> ScaleProtocol {
        self.protocol
    }

    /// The link, e.g. to describe it.
    pub fn link(&mut self) -> &mut T {
        &mut self.link
    }

    /// One weighing: a stable weight (and with Dialog 06 the scale's
    /// price), or why not. A tare on a weight-only protocol is taken off
    /// the scale's gross weight here.
    pub fn weigh(&mut self, req: &WeighRequest) -> Result<Weighing, ScaleError> {
        let tare = req.tare_kg.unwrap_or_default();
        if tare.is_sign_negative() && !tare.is_zero() {
            return Err(ScaleError::Unsupported("a tare cannot be negative".into()));
        }
        match self.protocol {
            ScaleProtocol::Dialog06 => self.weigh_dialog06(req, tare),
            _ => match self.state()? {
                ScaleState::Stable(gross) => {
                    let net = gross - tare;
                    if net.is_sign_negative() && !net.is_zero() {
                        return Err(ScaleError::Underload);
                    }
                    if net.is_zero() {
                        return Err(ScaleError::Zero);
                    }
                    Ok(Weighing {
                        net_kg: net,
                        tare_kg: tare,
                        price: None,
                    })
                }
                other => Err(ScaleError::from_state(&other).unwrap_or(ScaleError::Motion)),
            },
        }
    }

    /// [`Scale::weigh`], asked again every 200 ms while the load moves, for
    /// at most `settle`.
    pub fn weigh_settled(
        &mut self,
        req: &WeighRequest,
        settle: Duration,
    ) -> Result<Weighing, ScaleError> {
        let deadline = Instant::now() + settle;
        loop {
            match self.weigh(req) {
                Err(ScaleError::Motion) if Instant::now() + COMMAND_DELAY < deadline => {
                    std::thread::sleep(COMMAND_DELAY)
                }
                other => return other,
            }
        }
    }

    /// What the scale shows now (weight-only protocols; Dialog 06 weighs
    /// with a zero price).
    pub fn state(&mut self) -> Result<ScaleState, ScaleError> {
        match self.protocol {
            ScaleProtocol::Toledo8217 => self.state_8217(),
            ScaleProtocol::Continuous => self.state_continuous(),
            ScaleProtocol::Dialog06 => {
                match self.weigh_dialog06(&WeighRequest::default(), Decimal::ZERO) {
                    Ok(w) => Ok(ScaleState::Stable(w.net_kg)),
                    Err(ScaleError::Zero) => Ok(ScaleState::Zero),
                    Err(ScaleError::Motion) => Ok(ScaleState::Motion),
                    Err(ScaleError::Underload) => Ok(ScaleState::Underload),
                    Err(ScaleError::Overload) => Ok(ScaleState::Overload),
                    Err(e) => Err(e),
                }
            }
        }
    }

    /// Set the scale to zero (8217 only: a continuous scale does not
    /// listen, and a Dialog 06 scale is zeroed on its own key, as approval
    /// for trade wants). Returns the state after.
    pub fn zero(&mut self) -> Result<ScaleState, ScaleError> {
        match self.protocol {
            ScaleProtocol::Toledo8217 => {
                drain(&mut self.link)?;
                self.link.write_all(&[toledo8217::ZERO])?;
                self.link.flush()?;
                std::thread::sleep(COMMAND_DELAY);
                self.state_8217()
            }
            p => Err(ScaleError::Unsupported(format!(
                "a {p} scale is zeroed on its own key, not by the till"
            ))),
        }
    }

    fn state_8217(&mut self) -> Result<ScaleState, ScaleError> {
        drain(&mut self.link)?;
        self.link.write_all(&[toledo8217::WEIGH])?;
        self.link.flush()?;
        let mut reader = toledo8217::Reader::new();
        let frame = self.read_until(|b| reader.push(b), "scale weight (W)")?;
        match toledo8217::decode(&frame) {
            Ok(toledo8217::Answer::Weight { kg, .. }) if kg.is_zero() => Ok(ScaleState::Zero),
            Ok(toledo8217::Answer::Weight { kg, .. }) => Ok(ScaleState::Stable(kg)),
            Ok(toledo8217::Answer::Status(s)) => Ok(if s.over_capacity() {
                ScaleState::Overload
            } else if s.negative() {
                ScaleState::Underload
            } else if s.motion() {
                ScaleState::Motion
            } else {
                // Odoo reads 0 as "ok" without a weight; centre of zero and
                // outside the zero range alike leave nothing to sell.
                ScaleState::Zero
            }),
            Err(detail) => Err(garbage(detail, frame)),
        }
    }

    fn state_continuous(&mut self) -> Result<ScaleState, ScaleError> {
        // The newest frame counts: what was buffered is stale.
        drain(&mut self.link)?;
        let mut reader = continuous::Reader::new();
        let mut bad = None;
        let event = self.read_until(
            |b| match reader.push(b) {
                Some(continuous::Event::Frame(f)) => Some(Ok(f)),
                Some(continuous::Event::Bad(why, bytes)) => {
                    // One damaged frame is line noise; two in a row is not.
                    bad.replace((why, bytes)).map(Err)
                }
                None => None,
            },
            "scale continuous output",
        )?;
        let f = event.map_err(|(why, bytes)| garbage(why, bytes))?;
        if !f.kg {
            return Err(ScaleError::Unsupported(
                "the scale sends pounds: set it to kilograms".into(),
            ));
        }
        Ok(if f.out_of_range && f.negative {
            ScaleState::Underload
        } else if f.out_of_range {
            ScaleState::Overload
        } else if f.motion {
            ScaleState::Motion
        } else if f.negative {
            ScaleState::Underload
        } else if f.weight == 0 {
            ScaleState::Zero
        } else {
            ScaleState::Stable(f.weight_value())
        })
    }

    fn weigh_dialog06(
        &mut self,
        req: &WeighRequest,
        tare: Decimal,
    ) -> Result<Weighing, ScaleError> {
        use dialog06::{ScaleRecord, TillRecord};
        let price = req.unit_price.unwrap_or_default();
        let unit_cents = to_units(price, 2)
            .filter(|c| *c <= dialog06::MAX_PRICE_CENTS)
            .ok_or_else(|| {
                ScaleError::Unsupported(format!(
                    "unit price {price} does not fit Dialog 06 (0 to 9999.99)"
                ))
            })?;
        let record = if tare.is_zero() {
            TillRecord::Price { unit_cents }
        } else {
            let tare_g = to_units(tare, 3)
                .filter(|g| *g <= dialog06::MAX_TARE_G)
                .ok_or_else(|| {
                    ScaleError::Unsupported(format!(
                        "tare {tare} kg does not fit Dialog 06 (at most 9.999 kg)"
                    ))
                })?;
            TillRecord::PriceTare { unit_cents, tare_g }
        };
        drain(&mut self.link)?;
        self.send(&record)?;
        match self.answer_06()? {
            ScaleRecord::Ack => {}
            ScaleRecord::Nak => return Err(self.why_06()),
            ScaleRecord::ChecksumRequest { .. } => return Err(ScaleError::ChecksumRequested),
            other => return Err(unexpected_06(&other)),
        }
        self.send(&TillRecord::Result)?;
        match self.answer_06()? {
            ScaleRecord::Result {
                decimals,
                weight,
                unit_cents,
                total_cents,
            } => {
                let net = Decimal::new(i64::from(weight), u32::from(decimals));
                if net.is_zero() {
                    return Err(ScaleError::Zero);
                }
                Ok(Weighing {
                    net_kg: net,
                    tare_kg: tare,
                    price: Some(ScalePrice {
                        unit_price: Decimal::new(i64::from(unit_cents), 2),
                        total: Decimal::new(i64::from(total_cents), 2),
                    }),
                })
            }
            ScaleRecord::Nak => Err(self.why_06()),
            ScaleRecord::ChecksumRequest { .. } => Err(ScaleError::ChecksumRequested),
            other => Err(unexpected_06(&other)),
        }
    }

    /// After a NAK: record 08, and record 09's status as the error.
    fn why_06(&mut self) -> ScaleError {
        let asked = self
            .send(&dialog06::TillRecord::StatusRequest)
            .and_then(|()| self.answer_06());
        match asked {
            Ok(dialog06::ScaleRecord::Status(code)) => {
                dialog06_status(code).unwrap_or(ScaleError::Refused {
                    code,
                    meaning: "refused without a reason",
                })
            }
            Ok(other) => unexpected_06(&other),
            Err(e) => e,
        }
    }

    fn send(&mut self, record: &dialog06::TillRecord) -> Result<(), ScaleError> {
        let bytes = record
            .encode()
            .ok_or_else(|| ScaleError::Unsupported("a number does not fit its field".into()))?;
        self.link.write_all(&bytes)?;
        self.link.flush()?;
        Ok(())
    }

    /// One answer from a Dialog 06 scale, acknowledged with EOT as every
    /// answer must be.
    fn answer_06(&mut self) -> Result<dialog06::ScaleRecord, ScaleError> {
        let mut reader = dialog06::Reader::scale_side();
        let bytes = self.read_until(|b| reader.push(b), "Dialog 06 scale answer")?;
        self.link.write_all(&[dialog06::EOT])?;
        dialog06::ScaleRecord::decode(&bytes).map_err(|why| garbage(why, bytes))
    }

    /// Feed bytes to `step` until it yields, within one timeout overall.
    fn read_until<R>(
        &mut self,
        mut step: impl FnMut(u8) -> Option<R>,
        what: &str,
    ) -> Result<R, ScaleError> {
        let deadline = Instant::now() + self.timeout;
        let mut buf = [0u8; 64];
        let mut seen = 0usize;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(timeout(what, self.timeout));
            }
            let n = match self.link.read(&mut buf, left) {
                Ok(n) => n,
                Err(DeviceError::Timeout { .. }) => return Err(timeout(what, self.timeout)),
                Err(e) => return Err(e.into()),
            };
            for &b in &buf[..n] {
                if let Some(r) = step(b) {
                    return Ok(r);
                }
            }
            // A line pouring noise must not keep us past the deadline,
            // nor fill memory: the readers bound what they keep.
            seen += n;
            if seen > 64 * 1024 {
                return Err(garbage(
                    "endless bytes without an answer".into(),
                    Vec::new(),
                ));
            }
        }
    }
}

fn timeout(what: &str, after: Duration) -> ScaleError {
    ScaleError::Device(DeviceError::Timeout {
        what: what.to_string(),
        after,
    })
}

fn garbage(detail: String, bytes: Vec<u8>) -> ScaleError {
    ScaleError::Device(DeviceError::Garbage { detail, bytes })
}

fn unexpected_06(r: &dialog06::ScaleRecord) -> ScaleError {
    garbage(
        format!("answer out of turn: {r:?}"),
        r.encode().unwrap_or_default(),
    )
}
