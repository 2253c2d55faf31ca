//! `[devices.terminal]`: the card payment terminal.
//!
//! Line settings for Concert: the terminal's USB port (a CDC-ACM device,
//! `/dev/ttyACM0`) ignores baud and parity, which is why
//! akretion/pypostelium and Ousret/pyTeliumManager open it at 9600 with the
//! serial library's default 8N1; we default to the same. A terminal on a
//! real RS-232 line uses whatever its "cash connection" menu says, often
//! 9600 7E1: set `data_format = "7E1"` then. A wrong setting shows as NAKs
//! and "refused 3 times; check the link settings (baud, parity)".

use std::time::Duration;

use super::keys::ranged;
use super::ConfigError;
use crate::payment::{
    CaisseApSettings, CaisseApTerminal, ConcertSettings, ConcertTerminal, PaymentTerminal,
    TerminalProtocol,
};
use crate::transport::{DataFormat, SerialTransport};
use crate::DeviceError;

/// `[devices.terminal]` as written in `till.toml`. Check it with
/// [`TerminalConfig::settings`]; open it with [`TerminalConfig::open`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct TerminalConfig {
    /// "concert" (serial) or "caisse-ap" (TCP).
    pub protocol: String,
    /// Concert: the serial port.
    pub path: Option<String>,
    /// Concert: baud rate (default 9600).
    #[serde(default, deserialize_with = "opt_terminal_baud")]
    pub baud: Option<u32>,
    /// Concert: "8N1" (default, USB) or "7E1" (many RS-232 terminals).
    pub data_format: Option<String>,
    /// Caisse-AP: `host:port` (port 8888 when left out).
    pub address: Option<String>,
    /// The till's number as the terminal knows it, 0 to 99 (default 1).
    #[serde(default, deserialize_with = "opt_pos_number")]
    pub pos_number: Option<i64>,
    /// How long the customer may take, ms (default 120000).
    #[serde(default, deserialize_with = "opt_answer_timeout")]
    pub answer_timeout_ms: Option<u64>,
    /// Each protocol step (ENQ, acknowledgements, connecting), ms
    /// (default 3000).
    #[serde(default, deserialize_with = "opt_step_timeout")]
    pub step_timeout_ms: Option<u64>,
    /// Concert: ask for the long answer with the masked card number
    /// (default true).
    pub long_answer: Option<bool>,
    /// Caisse-AP: send the till's reference in CF (default true). false for
    /// terminals set up for OCA's l10n_fr_pos_caisse_ap_ip, which sends
    /// none; answers are matched by till number, amount and currency.
    pub send_cf: Option<bool>,
}

// Numbers the types cannot hold (negative, fractional, 1e300) are refused
// as the file is read; `settings()` checks the ranges with its own advice.
const ANY: u64 = i64::MAX as u64;
ranged!(
    _b,
    opt_terminal_baud,
    u32,
    "baud",
    300,
    115_200,
    "",
    accept = 0,
    ANY
);
ranged!(
    _p,
    opt_pos_number,
    i64,
    "pos_number",
    0,
    99,
    "",
    accept = 0,
    ANY
);
ranged!(
    _a,
    opt_answer_timeout,
    u64,
    "answer_timeout_ms",
    ANSWER_MS.0,
    ANSWER_MS.1,
    " (ms)",
    accept = 0,
    ANY
);
ranged!(
    _s,
    opt_step_timeout,
    u64,
    "step_timeout_ms",
    STEP_MS.0,
    STEP_MS.1,
    " (ms)",
    accept = 0,
    ANY
);
/// answer_timeout_ms: least, most (ten minutes: no customer takes longer,
/// and a deadline that far never overflows the clock).
const ANSWER_MS: (u64, u64) = (5_000, 600_000);
/// step_timeout_ms: least, most.
const STEP_MS: (u64, u64) = (100, 60_000);

/// A checked `[devices.terminal]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerminalSettings {
    /// The protocol.
    pub protocol: TerminalProtocol,
    /// Where the terminal is.
    pub link: TerminalLink,
    /// What to put in [`crate::payment::PaymentRequest::pos_number`].
    pub pos_number: u8,
    /// Whole customer interaction.
    pub answer_timeout: Duration,
    /// Each protocol step.
    pub step_timeout: Duration,
    /// Concert long answer.
    pub long_answer: bool,
    /// Caisse-AP: send CF.
    pub send_cf: bool,
}

/// Where the terminal is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TerminalLink {
    /// A serial port (Concert).
    Serial {
        /// Device path.
        path: String,
        /// Baud rate.
        baud: u32,
        /// Character format.
        format: DataFormat,
    },
    /// A TCP address (Caisse-AP).
    Tcp {
        /// `host:port`.
        address: String,
    },
}

/// A `[devices.terminal]` that cannot work, naming the key and the fix.
#[derive(Debug, thiserror::Error)]
pub enum TerminalConfigError {
    /// A key is missing, misplaced or out of range.
    #[error("[devices.terminal] {key}: {problem}")]
    Invalid {
        /// The key, e.g. "path".
        key: &'static str,
        /// What is wrong and what to do.
        problem: String,
    },
    /// The settings are fine but the port could not be opened.
    #[error("[devices.terminal]: {0}")]
    Open(#[from] DeviceError),
}

fn invalid(key: &'static str, problem: impl Into<String>) -> TerminalConfigError {
    TerminalConfigError::Invalid {
        key,
        problem: problem.into(),
    }
}

impl TerminalConfig {
    /// The `[devices.terminal]` section of a whole `till.toml`, if any.
    pub fn from_toml(text: &str, path: &str) -> Result<Option<Self>, ConfigError> {
        #[derive(serde::Deserialize)]
        struct Whole {
            devices: Option<Devices>,
        }
        #[derive(serde::Deserialize)]
        struct Devices {
            terminal: Option<TerminalConfig>,
        }
        let w: Whole = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.into(),
            message: e.to_string(),
        })?;
        Ok(w.devices.and_then(|d| d.terminal))
    }

    /// Read `till.toml` and return its terminal section, if any.
    pub fn load(path: &str) -> Result<Option<Self>, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|io| ConfigError::Read {
            path: path.into(),
            io,
        })?;
        Self::from_toml(&text, path)
    }

    /// Check every key; the error names the key and what to write instead.
    pub fn settings(&self) -> Result<TerminalSettings, TerminalConfigError> {
        let protocol: TerminalProtocol =
            self.protocol.parse().map_err(|e| invalid("protocol", e))?;
        let link = match protocol {
            TerminalProtocol::Concert => {
                if self.send_cf.is_some() {
                    return Err(invalid(
                        "send_cf",
                        "is a Caisse-AP setting: Concert always sends its private field \
                         (and takes an answer that does not echo it); remove send_cf",
                    ));
                }
                if self.address.is_some() {
                    return Err(invalid(
                        "address",
                        "Concert talks over a serial port: remove address and set path, \
                         or use protocol = \"caisse-ap\" for a terminal on the network",
                    ));
                }
                let path = self
                    .path
                    .clone()
                    .filter(|p| !p.trim().is_empty())
                    .ok_or_else(|| {
                        invalid(
                        "path",
                        "missing: set the terminal's serial port, e.g. path = \"/dev/ttyACM0\" \
                         (USB) or a udev name such as \"/dev/comptoir-terminal\"",
                    )
                    })?;
                let baud = self.baud.unwrap_or(9600);
                if !(300..=115_200).contains(&baud) {
                    return Err(invalid(
                        "baud",
                        format!("{baud} is not a serial speed: Concert terminals use 9600 (sometimes 1200 or 19200)"),
                    ));
                }
                let format = match &self.data_format {
                    Some(f) => f.parse().map_err(|e| invalid("data_format", e))?,
                    None => DataFormat::EightNone1,
                };
                TerminalLink::Serial { path, baud, format }
            }
            TerminalProtocol::CaisseAp => {
                for (key, set) in [
                    ("path", self.path.is_some()),
                    ("baud", self.baud.is_some()),
                    ("data_format", self.data_format.is_some()),
                ] {
                    if set {
                        return Err(invalid(
                            key,
                            "Caisse-AP talks over TCP: remove it and set address = \"host:port\"",
                        ));
                    }
                }
                let address = self
                    .address
                    .clone()
                    .filter(|a| !a.trim().is_empty())
                    .ok_or_else(|| {
                        invalid(
                            "address",
                            "missing: set the terminal's IP address and port, e.g. \
                             address = \"192.168.1.60:8888\" (see the terminal's network menu)",
                        )
                    })?;
                let address = if address.contains(':') {
                    address
                } else {
                    format!("{address}:8888")
                };
                TerminalLink::Tcp { address }
            }
        };
        let pos_number = match self.pos_number {
            None => 1,
            Some(n @ 0..=99) => n as u8,
            Some(n) => {
                return Err(invalid(
                    "pos_number",
                    format!("{n} does not fit the terminal's 2-digit field: use 0 to 99"),
                ))
            }
        };
        let ms = |key: &'static str, v: Option<u64>, default: u64, (min, max): (u64, u64)| match v {
            None => Ok(Duration::from_millis(default)),
            Some(v) if v < min => Err(invalid(
                key,
                format!("{v} ms is too short: use {min} to {max} (default {default})"),
            )),
            Some(v) if v > max => Err(invalid(
                key,
                format!("{v} ms is too long: use {min} to {max} (default {default})"),
            )),
            Some(v) => Ok(Duration::from_millis(v)),
        };
        let answer_timeout = ms(
            "answer_timeout_ms",
            self.answer_timeout_ms,
            120_000,
            ANSWER_MS,
        )?;
        let step_timeout = ms("step_timeout_ms", self.step_timeout_ms, 3_000, STEP_MS)?;
        if step_timeout > answer_timeout {
            return Err(invalid(
                "step_timeout_ms",
                "is longer than answer_timeout_ms: a step is a fraction of the whole payment",
            ));
        }
        Ok(TerminalSettings {
            protocol,
            link,
            pos_number,
            answer_timeout,
            step_timeout,
            long_answer: self.long_answer.unwrap_or(true),
            send_cf: self.send_cf.unwrap_or(true),
        })
    }

    /// Check the section and open the terminal: the serial port for
    /// Concert (fails here if it is missing), nothing yet for Caisse-AP
    /// (one connection per payment).
    pub fn open(&self) -> Result<Box<dyn PaymentTerminal>, TerminalConfigError> {
        self.settings()?.open()
    }
}

impl TerminalSettings {
    /// Open the terminal these settings describe.
    pub fn open(&self) -> Result<Box<dyn PaymentTerminal>, TerminalConfigError> {
        Ok(match &self.link {
            TerminalLink::Serial { path, baud, format } => {
                let port = SerialTransport::open_with(path, *baud, *format, self.step_timeout)?;
                Box::new(ConcertTerminal::new(
                    port,
                    ConcertSettings {
                        step_timeout: self.step_timeout,
                        answer_timeout: self.answer_timeout,
                        long_answer: self.long_answer,
                    },
                ))
            }
            TerminalLink::Tcp { address } => Box::new(CaisseApTerminal::tcp(
                address,
                CaisseApSettings {
                    step_timeout: self.step_timeout,
                    answer_timeout: self.answer_timeout,
                    send_cf: self.send_cf,
                    ..CaisseApSettings::default()
                },
            )),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(body: &str) -> TerminalConfig {
        TerminalConfig::from_toml(&format!("[devices.terminal]\n{body}"), "t")
            .unwrap()
            .unwrap()
    }

    fn err(body: &str) -> String {
        section(body).settings().unwrap_err().to_string()
    }

    #[test]
    fn defaults_and_both_protocols() {
        let s = section("protocol = \"concert\"\npath = \"/dev/ttyACM0\"\n")
            .settings()
            .unwrap();
        assert_eq!(s.protocol, TerminalProtocol::Concert);
        assert_eq!(
            s.link,
            TerminalLink::Serial {
                path: "/dev/ttyACM0".into(),
                baud: 9600,
                format: DataFormat::EightNone1
            }
        );
        assert_eq!(s.pos_number, 1);
        assert_eq!(s.answer_timeout, Duration::from_secs(120));
        assert_eq!(s.step_timeout, Duration::from_secs(3));
        let s = section("protocol = \"caisse-ap\"\naddress = \"10.0.0.7\"\npos_number = 12\n")
            .settings()
            .unwrap();
        assert_eq!(
            s.link,
            TerminalLink::Tcp {
                address: "10.0.0.7:8888".into()
            }
        );
        assert_eq!(s.pos_number, 12);
        assert!(s.send_cf);
        let s = section("protocol = \"caisse-ap\"\naddress = \"10.0.0.7\"\nsend_cf = false\n")
            .settings()
            .unwrap();
        assert!(!s.send_cf);
        assert!(TerminalConfig::from_toml("", "t").unwrap().is_none());
    }

    #[test]
    fn bad_sections_name_the_key_and_the_fix() {
        let e = err("protocol = \"zvt\"\n");
        assert!(e.contains("protocol") && e.contains("caisse-ap"), "{e}");
        let e = err("protocol = \"concert\"\n");
        assert!(
            e.contains("path: missing") && e.contains("/dev/ttyACM0"),
            "{e}"
        );
        let e = err("protocol = \"caisse-ap\"\n");
        assert!(e.contains("address: missing"), "{e}");
        let e = err("protocol = \"caisse-ap\"\naddress = \"h:1\"\npath = \"/dev/x\"\n");
        assert!(e.contains("path") && e.contains("TCP"), "{e}");
        let e = err("protocol = \"concert\"\npath = \"/dev/x\"\ndata_format = \"9Z9\"\n");
        assert!(e.contains("data_format") && e.contains("7E1"), "{e}");
        let e = err("protocol = \"concert\"\npath = \"/dev/x\"\npos_number = 100\n");
        assert!(e.contains("pos_number") && e.contains("0 to 99"), "{e}");
        let e = err("protocol = \"concert\"\npath = \"/dev/x\"\nsend_cf = false\n");
        assert!(e.contains("send_cf") && e.contains("Caisse-AP"), "{e}");
        let e = err("protocol = \"concert\"\npath = \"/dev/x\"\nanswer_timeout_ms = 10\n");
        assert!(e.contains("answer_timeout_ms"), "{e}");
        let typo = TerminalConfig::from_toml("[devices.terminal]\nprotocl = \"concert\"\n", "t");
        assert!(typo.unwrap_err().to_string().contains("protocl"));
        let e = section("protocol = \"concert\"\npath = \"/dev/does-not-exist-comptoir\"\n")
            .open()
            .err()
            .unwrap();
        assert!(matches!(e, TerminalConfigError::Open(_)), "{e}");
    }

    /// The commented Concert example in config/till.toml, uncommented,
    /// is a valid section.
    #[test]
    fn the_shipped_example_is_valid_once_uncommented() {
        let text = include_str!("../../../../config/till.toml");
        let example: String = text
            .lines()
            .skip_while(|l| !l.starts_with("#[devices.terminal]"))
            .filter_map(|l| l.strip_prefix('#'))
            .filter(|l| l.starts_with('[') || l.starts_with(|c: char| c.is_ascii_lowercase()))
            .map(|l| format!("{l}\n"))
            .collect();
        let c = TerminalConfig::from_toml(&example, "till.toml")
            .unwrap()
            .unwrap();
        let s = c.settings().unwrap();
        assert_eq!(s.protocol, TerminalProtocol::Concert);
        assert_eq!(s.answer_timeout, Duration::from_secs(120));
        // And the file as shipped has no terminal at all.
        assert!(TerminalConfig::from_toml(text, "till.toml")
            .unwrap()
            .is_none());
    }

    #[test]
    fn a_terminal_section_does_not_upset_the_other_devices() {
        let text = "[devices.terminal]\nprotocol = \"nonsense\"\n[devices.drawer]\npin = \"5\"\n";
        let c = super::super::DevicesConfig::from_toml(text, "t").unwrap();
        assert!(c.drawer.is_some());
        assert!(super::super::DevicesConfig::from_toml("[devices.termnal]\n", "t").is_err());
    }
}
