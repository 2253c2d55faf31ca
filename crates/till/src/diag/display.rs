//! `till diag display show TEXT|test|clear`: the customer display, without
//! the till running. A display never answers, so "ok" means the bytes
//! went out; the technician looks at the display (or at `till diag
//! simulate display`).

use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand};
use serde_json::json;
use till_devices::config::{DisplayConfig, PeripheralLink};
use till_devices::display::{layout, test_screens, Charset, DisplayProtocol, COLUMNS};
use till_devices::transport::DataFormat;

use super::common::{print_json, resolve_config};

/// `till diag display ...`
#[derive(Subcommand)]
pub enum DisplayCmd {
    /// Show TEXT on the upper line (and --lower on the lower one).
    Show {
        /// The upper line (cut at 20 characters).
        text: String,
        /// The lower line.
        #[arg(long, default_value = "")]
        lower: String,
        #[command(flatten)]
        target: DisplayTarget,
    },
    /// The test screens: the 20 columns, every French letter and the euro.
    Test {
        /// Time each screen stays, ms (0 to 10000).
        #[arg(long, default_value_t = 1500, value_parser = clap::value_parser!(u64).range(0..=10_000))]
        pause_ms: u64,
        #[command(flatten)]
        target: DisplayTarget,
    },
    /// Blank the display.
    Clear(DisplayTarget),
}

/// Which display: the config's `[devices.display]`, or one given here.
#[derive(Args, Clone, Debug)]
pub struct DisplayTarget {
    /// Config file (default: $TILL_CONFIG, then /etc/comptoir/till.toml,
    /// then ./config/till.toml).
    #[arg(long)]
    pub config: Option<String>,
    /// Serial port instead of the config's (a simulator's pty too).
    #[arg(long)]
    pub path: Option<String>,
    /// host:port instead of the config's.
    #[arg(long, conflicts_with = "path")]
    pub address: Option<String>,
    /// "epson" or "cd5220" (default: the config's, else epson).
    #[arg(long)]
    pub protocol: Option<String>,
    /// "pc858" or "pc437" (default: the config's, else the protocol's).
    #[arg(long)]
    pub charset: Option<String>,
    /// With --path: baud rate (default 9600).
    #[arg(long, value_parser = clap::value_parser!(u32).range(300..=115_200))]
    pub baud: Option<u32>,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
}

impl DisplayTarget {
    fn settings(&self) -> anyhow::Result<DisplayConfig> {
        let overridden = self.path.is_some() || self.address.is_some();
        let from_file = match resolve_config(self.config.as_deref()) {
            Ok(p) => DisplayConfig::load(&p).with_context(|| format!("reading {p}"))?,
            Err(_) if overridden => None,
            Err(e) => return Err(e.context("or give the display with --path / --address")),
        };
        let protocol: DisplayProtocol = match (&self.protocol, &from_file) {
            (Some(p), _) => p.parse().map_err(anyhow::Error::msg)?,
            (None, Some(c)) => c.protocol,
            (None, None) => DisplayProtocol::Epson,
        };
        let charset: Charset = match (&self.charset, &from_file) {
            (Some(c), _) => c.parse().map_err(anyhow::Error::msg)?,
            (None, Some(c)) if c.protocol == protocol => c.charset,
            _ => protocol.default_charset(),
        };
        let link = if let Some(path) = &self.path {
            PeripheralLink::Serial {
                path: path.clone(),
                baud: self.baud.unwrap_or(9600),
                format: DataFormat::EightNone1,
            }
        } else if let Some(address) = &self.address {
            PeripheralLink::Tcp {
                address: address.clone(),
            }
        } else {
            match &from_file {
                Some(c) => c.link.clone(),
                None => anyhow::bail!(
                    "no [devices.display] in the config file and no --path/--address given \
                     (see config/till.toml for an example)"
                ),
            }
        };
        let code_page = match protocol {
            DisplayProtocol::Epson => Some(
                from_file
                    .as_ref()
                    .and_then(|c| c.code_page)
                    .filter(|_| self.charset.is_none())
                    .unwrap_or(charset.epson_code_page()),
            ),
            DisplayProtocol::Cd5220 => None,
        };
        Ok(DisplayConfig {
            protocol,
            link,
            charset,
            code_page,
            timeout: Duration::from_millis(500),
        })
    }
}

/// Run one `till diag display` command.
pub fn run(cmd: DisplayCmd) -> anyhow::Result<i32> {
    let (target, screens, pause) = match &cmd {
        DisplayCmd::Show {
            text,
            lower,
            target,
        } => (target, vec![(text.clone(), lower.clone())], 0),
        DisplayCmd::Test { pause_ms, target } => (target, test_screens().to_vec(), *pause_ms),
        DisplayCmd::Clear(target) => (target, Vec::new(), 0),
    };
    let cfg = target.settings()?;
    let where_ = cfg.link.target().to_string();
    let mut shown = Vec::new();
    let result = cfg.open().and_then(|mut d| {
        if screens.is_empty() {
            return d.clear();
        }
        for (i, (upper, lower)) in screens.iter().enumerate() {
            if i > 0 {
                std::thread::sleep(Duration::from_millis(pause));
            }
            let a = layout(cfg.charset, upper, "");
            let b = layout(cfg.charset, lower, "");
            d.show_lines(&a, &b)?;
            // A pseudo-terminal (the simulator) drops what its reader has
            // not taken yet when this process closes it: give it a moment.
            std::thread::sleep(Duration::from_millis(100));
            let read = |l: &[u8; COLUMNS]| -> String {
                l.iter().map(|b| cfg.charset.decode_byte(*b)).collect()
            };
            shown.push([read(&a), read(&b)]);
        }
        Ok(())
    });
    match result {
        Ok(()) => {
            if target.json {
                print_json(&json!({
                    "device": "display", "target": where_, "ok": true,
                    "protocol": cfg.protocol.name(), "charset": cfg.charset.name(),
                    "screens": shown,
                }));
            } else if shown.is_empty() {
                println!("display {where_}: cleared");
            } else {
                println!(
                    "display {where_} ({}, {}): sent; the customer should read:",
                    cfg.protocol,
                    cfg.charset.name()
                );
                for [a, b] in &shown {
                    println!("+--------------------+");
                    println!("|{a}|");
                    println!("|{b}|");
                }
                println!("+--------------------+");
                println!("(a display does not answer: look at it; accents wrong? set charset in [devices.display])");
            }
            Ok(0)
        }
        Err(e) => Ok(super::common::fail(target.json, "display", &where_, &e)),
    }
}

/// `till diag all`'s line for the configured display.
pub fn check_configured(config: &str) -> Option<(String, bool, String, Option<String>)> {
    let cfg = match DisplayConfig::load(config) {
        Ok(Some(c)) => c,
        Ok(None) => return None,
        Err(e) => {
            return Some((
                "?".into(),
                false,
                e.to_string(),
                Some("fix [devices.display]".into()),
            ))
        }
    };
    let target = cfg.link.target().to_string();
    Some(match cfg.open() {
        Ok(_) => (
            target,
            true,
            format!(
                "{} display port opens (it does not answer: run `till diag display test` and look)",
                cfg.protocol
            ),
            None,
        ),
        Err(e) => {
            let next = super::common::advice(&e, &target);
            (target, false, e.to_string(), Some(next))
        }
    })
}
