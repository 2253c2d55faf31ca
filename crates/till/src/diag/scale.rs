//! `till diag scale read|zero|watch`: the counter scale, without the till
//! running. Exit codes as the other diag commands: 0 a stable weight (or
//! zeroed), 1 no weight (motion, empty, overload...) or unreachable, 2 the
//! command itself failed.

use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Args, Subcommand};
use rust_decimal::Decimal;
use serde_json::json;
use till_devices::config::{PeripheralLink, ScaleConfig};
use till_devices::scale::{ScaleError, ScaleProtocol, ScaleState, WeighRequest, Weighing};
use till_devices::transport::DataFormat;

use super::common::{print_json, resolve_config};

/// `till diag scale ...`
#[derive(Subcommand)]
pub enum ScaleCmd {
    /// Take one stable weighing (Dialog 06: with --price, the scale's
    /// total); waits for a moving load to settle.
    Read {
        /// Price per kg in euros (Dialog 06 sends it to the scale).
        #[arg(long)]
        price: Option<String>,
        /// Tare in kg (a container).
        #[arg(long)]
        tare: Option<String>,
        #[command(flatten)]
        target: ScaleTarget,
    },
    /// Set the scale to zero (8217 only: the others zero on their own key).
    Zero(ScaleTarget),
    /// Print what the scale shows, each change on a line, until --seconds
    /// or --count changes.
    Watch {
        /// Stop after this many seconds (1 to 86400).
        #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=86_400))]
        seconds: u64,
        /// Stop after this many changes.
        #[arg(long)]
        count: Option<usize>,
        #[command(flatten)]
        target: ScaleTarget,
    },
}

/// Which scale: the config's `[devices.scale]`, or one given here.
#[derive(Args, Clone, Debug)]
pub struct ScaleTarget {
    /// Config file (default: $TILL_CONFIG, then /etc/comptoir/till.toml,
    /// then ./config/till.toml).
    #[arg(long)]
    pub config: Option<String>,
    /// Serial port instead of the config's (a simulator's pty too).
    #[arg(long)]
    pub path: Option<String>,
    /// host:port of a serial-to-network adapter instead of the config's.
    #[arg(long, conflicts_with = "path")]
    pub address: Option<String>,
    /// "toledo-8217", "continuous" or "dialog06" (default: the config's,
    /// else toledo-8217).
    #[arg(long)]
    pub protocol: Option<String>,
    /// With --path: baud rate (default 9600).
    #[arg(long, value_parser = clap::value_parser!(u32).range(300..=115_200))]
    pub baud: Option<u32>,
    /// With --path: "7E1", "7O1" or "8N1" (default: the protocol's).
    #[arg(long)]
    pub data_format: Option<String>,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
}

impl ScaleTarget {
    fn settings(&self) -> anyhow::Result<ScaleConfig> {
        let overridden = self.path.is_some() || self.address.is_some();
        let from_file = match resolve_config(self.config.as_deref()) {
            Ok(p) => ScaleConfig::load(&p).with_context(|| format!("reading {p}"))?,
            Err(_) if overridden => None,
            Err(e) => return Err(e.context("or give the scale with --path / --address")),
        };
        let protocol: ScaleProtocol = match (&self.protocol, &from_file) {
            (Some(p), _) => p.parse().map_err(anyhow::Error::msg)?,
            (None, Some(c)) => c.protocol,
            (None, None) => ScaleProtocol::Toledo8217,
        };
        let default_format = match protocol {
            ScaleProtocol::Dialog06 => DataFormat::SevenOdd1,
            _ => DataFormat::SevenEven1,
        };
        let link = if let Some(path) = &self.path {
            let format = match &self.data_format {
                Some(f) => f.parse().map_err(anyhow::Error::msg)?,
                None => default_format,
            };
            PeripheralLink::Serial {
                path: path.clone(),
                baud: self.baud.unwrap_or(9600),
                format,
            }
        } else if let Some(address) = &self.address {
            PeripheralLink::Tcp {
                address: address.clone(),
            }
        } else {
            match &from_file {
                Some(c) => c.link.clone(),
                None => anyhow::bail!(
                    "no [devices.scale] in the config file and no --path/--address given \
                     (see config/till.toml for an example)"
                ),
            }
        };
        Ok(ScaleConfig {
            protocol,
            link,
            timeout: from_file
                .as_ref()
                .map_or(Duration::from_millis(1000), |c| c.timeout),
            settle: from_file
                .as_ref()
                .map_or(Duration::from_millis(2000), |c| c.settle),
        })
    }
}

/// Run one `till diag scale` command.
pub fn run(cmd: ScaleCmd) -> anyhow::Result<i32> {
    match cmd {
        ScaleCmd::Read {
            price,
            tare,
            target,
        } => read(&target, price.as_deref(), tare.as_deref()),
        ScaleCmd::Zero(t) => zero(&t),
        ScaleCmd::Watch {
            seconds,
            count,
            target,
        } => watch(&target, seconds, count),
    }
}

/// An amount typed by the technician: 12.90 or 12,90, not negative, at
/// most 3 decimals.
fn amount(text: &str, what: &str) -> anyhow::Result<Decimal> {
    let v: Decimal = text
        .trim()
        .replace(',', ".")
        .parse()
        .map_err(|_| anyhow::anyhow!("{what} {text:?} is not a number (e.g. 12.90)"))?;
    if v.is_sign_negative() || v.scale() > 3 || v > Decimal::from(100_000) {
        anyhow::bail!("{what} {text:?}: a positive number with at most 3 decimals");
    }
    Ok(v)
}

/// What to try next after `e`.
pub fn advice(e: &ScaleError, target: &str) -> String {
    match e {
        ScaleError::Motion => "the load is still moving: keep it still and read again".into(),
        ScaleError::Zero => "nothing on the scale: put the item on the plate".into(),
        ScaleError::Underload => "below zero: empty the plate and zero the scale (`till diag scale zero`, or its own key)".into(),
        ScaleError::Overload => "over capacity: take the item off".into(),
        ScaleError::NotRemoved => "lift the item and put it back: the scale wants a new weighing".into(),
        ScaleError::ChecksumRequested => "set the scale to Dialog 06 without the checksum exchange, or to the 8217 protocol".into(),
        ScaleError::Refused { .. } | ScaleError::Unsupported(_) => format!("{e}"),
        ScaleError::Device(d) => super::common::advice(d, target),
    }
}

fn weighing_json(w: &Weighing) -> serde_json::Value {
    json!({
        "net_kg": w.net_kg.to_string(),
        "tare_kg": w.tare_kg.to_string(),
        "unit_price": w.price.as_ref().map(|p| p.unit_price.to_string()),
        "total": w.price.as_ref().map(|p| p.total.to_string()),
    })
}

fn fail(json: bool, target: &str, e: &ScaleError) -> i32 {
    let next = advice(e, target);
    if json {
        print_json(&json!({
            "device": "scale", "target": target, "ok": false, "state": e.code(),
            "error": e.to_string(), "next": next,
        }));
    } else {
        println!("scale {target}: no weight: {e}");
        println!("next: {next}");
    }
    1
}

fn read(t: &ScaleTarget, price: Option<&str>, tare: Option<&str>) -> anyhow::Result<i32> {
    let cfg = t.settings()?;
    let req = WeighRequest {
        unit_price: price.map(|p| amount(p, "--price")).transpose()?,
        tare_kg: tare.map(|p| amount(p, "--tare")).transpose()?,
    };
    let target = cfg.link.target().to_string();
    let result = cfg
        .open()
        .map_err(ScaleError::from)
        .and_then(|mut s| s.weigh_settled(&req, cfg.settle));
    match result {
        Ok(w) => {
            if t.json {
                let mut v = weighing_json(&w);
                v["device"] = json!("scale");
                v["target"] = json!(target);
                v["protocol"] = json!(cfg.protocol.name());
                v["ok"] = json!(true);
                print_json(&v);
            } else {
                print!("scale {target} ({}): {} kg", cfg.protocol, w.net_kg);
                if !w.tare_kg.is_zero() {
                    print!(" net (tare {} kg)", w.tare_kg);
                }
                match &w.price {
                    Some(p) => println!(
                        ", {} EUR/kg, total {} EUR (computed by the scale)",
                        p.unit_price, p.total
                    ),
                    None => println!(),
                }
            }
            Ok(0)
        }
        Err(e) => Ok(fail(t.json, &target, &e)),
    }
}

fn state_text(s: &ScaleState) -> String {
    match s {
        ScaleState::Stable(kg) => format!("stable {kg} kg"),
        other => other.code().to_string(),
    }
}

fn zero(t: &ScaleTarget) -> anyhow::Result<i32> {
    let cfg = t.settings()?;
    let target = cfg.link.target().to_string();
    match cfg
        .open()
        .map_err(ScaleError::from)
        .and_then(|mut s| s.zero())
    {
        Ok(state) => {
            let zeroed = state == ScaleState::Zero;
            if t.json {
                print_json(&json!({
                    "device": "scale", "target": target, "ok": zeroed,
                    "state": state.code(), "weight_kg": match &state {
                        ScaleState::Stable(kg) => Some(kg.to_string()), _ => None },
                }));
            } else if zeroed {
                println!("scale {target}: zeroed");
            } else {
                println!(
                    "scale {target}: zero sent, the scale now reads {} (it zeroes only when stable and near zero: empty the plate)",
                    state_text(&state)
                );
            }
            Ok(if zeroed { 0 } else { 1 })
        }
        Err(e) => Ok(fail(t.json, &target, &e)),
    }
}

fn watch(t: &ScaleTarget, seconds: u64, count: Option<usize>) -> anyhow::Result<i32> {
    let cfg = t.settings()?;
    let target = cfg.link.target().to_string();
    let mut scale = match cfg.open() {
        Ok(s) => s,
        Err(e) => return Ok(fail(t.json, &target, &ScaleError::from(e))),
    };
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut last: Option<String> = None;
    let mut changes = 0;
    while Instant::now() < deadline && count.is_none_or(|c| changes < c) {
        let (code, text, weight) = match scale.state() {
            Ok(s) => (
                s.code(),
                state_text(&s),
                match &s {
                    ScaleState::Stable(kg) => Some(kg.to_string()),
                    _ => None,
                },
            ),
            Err(e) => (e.code(), format!("{} ({e})", e.code()), None),
        };
        if last.as_deref() != Some(&text) {
            changes += 1;
            if t.json {
                print_json(&json!({ "device": "scale", "state": code, "weight_kg": weight }));
            } else {
                println!("{text}");
            }
            last = Some(text);
        }
        // Continuous scales pace themselves; a polled one is asked 5 times a second.
        if cfg.protocol != ScaleProtocol::Continuous {
            std::thread::sleep(Duration::from_millis(200));
        }
    }
    Ok(0)
}

/// `till diag all`'s line for the configured scale: (target, ok, detail, next).
pub fn check_configured(config: &str) -> Option<(String, bool, String, Option<String>)> {
    let cfg = match ScaleConfig::load(config) {
        Ok(Some(c)) => c,
        Ok(None) => return None,
        Err(e) => {
            return Some((
                "?".into(),
                false,
                e.to_string(),
                Some("fix [devices.scale]".into()),
            ))
        }
    };
    let target = cfg.link.target().to_string();
    Some(
        match cfg
            .open()
            .map_err(ScaleError::from)
            .and_then(|mut s| s.state())
        {
            Ok(s) => (
                target,
                true,
                format!("{} scale answers: {}", cfg.protocol, state_text(&s)),
                None,
            ),
            Err(e) => {
                let next = advice(&e, &target);
                (target, false, e.to_string(), Some(next))
            }
        },
    )
}
