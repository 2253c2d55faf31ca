//! `[devices.scale]` and `[devices.display]`: the counter scale and the
//! customer display. Each is read on its own, like the card terminal's
//! section, so a mistake in one never stops the printer; every key is
//! checked as it is read and an unknown one is refused, the message in
//! French naming the section and the key.

use std::time::Duration;

use super::table::Table;
use super::ConfigError;
use crate::display::{Charset, DisplayProtocol};
use crate::scale::ScaleProtocol;
use crate::transport::{DataFormat, SerialTransport, TcpTransport, Transport};
use crate::DeviceError;

/// Where a scale or display is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeripheralLink {
    /// A serial port (or a simulator's pty).
    Serial {
        /// Device path.
        path: String,
        /// Baud rate.
        baud: u32,
        /// Character format.
        format: DataFormat,
    },
    /// A serial-to-network adapter, `host:port`.
    Tcp {
        /// `host:port`.
        address: String,
    },
}

impl PeripheralLink {
    /// Open it; `timeout` bounds writes.
    pub fn open(&self, timeout: Duration) -> Result<Box<dyn Transport>, DeviceError> {
        Ok(match self {
            PeripheralLink::Serial { path, baud, format } => {
                Box::new(SerialTransport::open_with(path, *baud, *format, timeout)?)
            }
            PeripheralLink::Tcp { address } => Box::new(TcpTransport::connect(address, timeout)?),
        })
    }

    /// Path or address, for messages.
    pub fn target(&self) -> &str {
        match self {
            PeripheralLink::Serial { path, .. } => path,
            PeripheralLink::Tcp { address } => address,
        }
    }
}

/// A checked `[devices.scale]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScaleConfig {
    /// The protocol.
    pub protocol: ScaleProtocol,
    /// Where it is.
    pub link: PeripheralLink,
    /// How long one answer may take.
    pub timeout: Duration,
    /// How long a moving load is waited for before "en mouvement".
    pub settle: Duration,
}

/// A checked `[devices.display]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayConfig {
    /// The command set.
    pub protocol: DisplayProtocol,
    /// Where it is.
    pub link: PeripheralLink,
    /// The display's character table.
    pub charset: Charset,
    /// Epson `ESC t n` number of that table (None: not sent).
    pub code_page: Option<u8>,
    /// How long one write may take.
    pub timeout: Duration,
}

/// The section of a whole till.toml, if present.
fn section(text: &str, path: &str, name: &str) -> Result<Option<toml::Value>, ConfigError> {
    let mut whole: toml::Table = toml::from_str(text).map_err(|e| ConfigError::Parse {
        path: path.into(),
        message: e.to_string(),
    })?;
    let devices = match whole.remove("devices") {
        Some(toml::Value::Table(d)) => d,
        _ => return Ok(None),
    };
    Ok(devices.get(name).cloned())
}

fn parse_err(path: &str, message: String) -> ConfigError {
    ConfigError::Parse {
        path: path.into(),
        message,
    }
}

/// The link keys shared by both sections; `default_format` for serial.
fn link(t: &mut Table, default_format: DataFormat) -> Result<PeripheralLink, String> {
    let transport = t.string("transport")?.unwrap_or_else(|| "serial".into());
    let path = t.string("path")?;
    let baud = t.number("baud", 300, 115_200, " (bauds)")?;
    let format = t.string("data_format")?;
    let address = t.string("address")?;
    match transport.as_str() {
        "serial" => {
            if address.is_some() {
                return Err(t.bad(
                    "address",
                    "ne va pas avec transport = \"serial\" : l'enlever",
                ));
            }
            let path = path.filter(|p| !p.trim().is_empty()).ok_or_else(|| {
                t.bad(
                    "path",
                    "manquant : le port série, par exemple \"/dev/ttyUSB0\"",
                )
            })?;
            let format = match format {
                Some(f) => f.parse().map_err(|_| {
                    t.bad(
                        "data_format",
                        format!("\"{f}\" inconnu : \"7E1\", \"7O1\" ou \"8N1\""),
                    )
                })?,
                None => default_format,
            };
            Ok(PeripheralLink::Serial {
                path,
                baud: baud.unwrap_or(9600) as u32,
                format,
            })
        }
        "tcp" => {
            for (key, set) in [
                ("path", path.is_some()),
                ("baud", baud.is_some()),
                ("data_format", format.is_some()),
            ] {
                if set {
                    return Err(t.bad(key, "ne va pas avec transport = \"tcp\" : l'enlever"));
                }
            }
            let address = address.filter(|a| !a.trim().is_empty()).ok_or_else(|| {
                t.bad(
                    "address",
                    "manquant : hôte:port, par exemple \"192.168.1.60:4001\"",
                )
            })?;
            Ok(PeripheralLink::Tcp { address })
        }
        other => Err(t.bad(
            "transport",
            format!("\"{other}\" inconnu : \"serial\" ou \"tcp\""),
        )),
    }
}

const LINK_KEYS: [&str; 5] = ["transport", "path", "baud", "data_format", "address"];

impl ScaleConfig {
    /// Check a `[devices.scale]` table.
    pub fn from_value(value: toml::Value) -> Result<Self, String> {
        let mut t = Table::new("devices.scale", value)?;
        let protocol: ScaleProtocol = match t.string("protocol")? {
            Some(p) => p.parse().map_err(|e: String| t.bad("protocol", e))?,
            None => {
                return Err(t.bad(
                    "protocol",
                    "manquant : \"toledo-8217\", \"continuous\" ou \"dialog06\"",
                ))
            }
        };
        // Odoo opens 8217 scales 7E1, Coop IT Easy Dialog 06 scales 7O1.
        let format = match protocol {
            ScaleProtocol::Dialog06 => DataFormat::SevenOdd1,
            _ => DataFormat::SevenEven1,
        };
        let link = link(&mut t, format)?;
        let timeout = t.number("timeout_ms", 50, 10_000, " (ms)")?.unwrap_or(1000);
        let settle = t.number("settle_ms", 0, 10_000, " (ms)")?.unwrap_or(2000);
        let known: Vec<&str> = ["protocol", "timeout_ms", "settle_ms"]
            .into_iter()
            .chain(LINK_KEYS)
            .collect();
        t.finish(&known)?;
        Ok(Self {
            protocol,
            link,
            timeout: Duration::from_millis(timeout),
            settle: Duration::from_millis(settle),
        })
    }

    /// The `[devices.scale]` of a whole till.toml, if any.
    pub fn from_toml(text: &str, path: &str) -> Result<Option<Self>, ConfigError> {
        section(text, path, "scale")?
            .map(|v| Self::from_value(v).map_err(|m| parse_err(path, m)))
            .transpose()
    }

    /// Read till.toml and return its scale, if any.
    pub fn load(path: &str) -> Result<Option<Self>, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|io| ConfigError::Read {
            path: path.into(),
            io,
        })?;
        Self::from_toml(&text, path)
    }

    /// The driver, on its opened link.
    pub fn open(&self) -> Result<crate::scale::Scale<Box<dyn Transport>>, DeviceError> {
        Ok(crate::scale::Scale::new(
            self.link.open(self.timeout)?,
            self.protocol,
            self.timeout,
        ))
    }
}

impl DisplayConfig {
    /// Check a `[devices.display]` table.
    pub fn from_value(value: toml::Value) -> Result<Self, String> {
        let mut t = Table::new("devices.display", value)?;
        let protocol: DisplayProtocol = match t.string("protocol")? {
            Some(p) => p.parse().map_err(|e: String| t.bad("protocol", e))?,
            None => return Err(t.bad("protocol", "manquant : \"epson\" ou \"cd5220\"")),
        };
        let link = link(&mut t, DataFormat::EightNone1)?;
        let charset = match t.string("charset")? {
            Some(c) => c.parse().map_err(|e: String| t.bad("charset", e))?,
            None => protocol.default_charset(),
        };
        let code_page = t.number("code_page", 0, 255, "")?.map(|n| n as u8);
        if code_page.is_some() && protocol == DisplayProtocol::Cd5220 {
            return Err(t.bad(
                "code_page",
                "le jeu CD5220 ne choisit pas de page de codes : l'enlever et régler \
                 charset sur la table de l'afficheur",
            ));
        }
        let code_page = match protocol {
            DisplayProtocol::Epson => Some(code_page.unwrap_or(charset.epson_code_page())),
            DisplayProtocol::Cd5220 => None,
        };
        let timeout = t.number("timeout_ms", 50, 10_000, " (ms)")?.unwrap_or(500);
        let known: Vec<&str> = ["protocol", "charset", "code_page", "timeout_ms"]
            .into_iter()
            .chain(LINK_KEYS)
            .collect();
        t.finish(&known)?;
        Ok(Self {
            protocol,
            link,
            charset,
            code_page,
            timeout: Duration::from_millis(timeout),
        })
    }

    /// The `[devices.display]` of a whole till.toml, if any.
    pub fn from_toml(text: &str, path: &str) -> Result<Option<Self>, ConfigError> {
        section(text, path, "display")?
            .map(|v| Self::from_value(v).map_err(|m| parse_err(path, m)))
            .transpose()
    }

    /// Read till.toml and return its display, if any.
    pub fn load(path: &str) -> Result<Option<Self>, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|io| ConfigError::Read {
            path: path.into(),
            io,
        })?;
        Self::from_toml(&text, path)
    }

    /// The driver, on its opened link.
    pub fn open(&self) -> Result<crate::display::Display<Box<dyn Transport>>, DeviceError> {
        Ok(crate::display::Display::new(
            self.link.open(self.timeout)?,
            self.protocol,
            self.charset,
            self.code_page,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scale(body: &str) -> Result<ScaleConfig, String> {
        ScaleConfig::from_toml(&format!("[devices.scale]\n{body}"), "till.toml")
            .map(|c| c.expect("a section"))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn a_scale_section_is_checked_key_by_key_in_french() {
        let c = scale("protocol = \"dialog06\"\npath = \"/dev/ttyUSB1\"\n").unwrap();
        assert_eq!(c.protocol, ScaleProtocol::Dialog06);
        assert!(matches!(
            c.link,
            PeripheralLink::Serial {
                format: DataFormat::SevenOdd1,
                baud: 9600,
                ..
            }
        ));
        let e = scale("protocol = \"dialog06\"\npath = \"/dev/x\"\ntimout_ms = 5\n").unwrap_err();
        assert!(
            e.contains("[devices.scale] timout_ms : clé inconnue"),
            "{e}"
        );
        let e = scale("protocol = \"8218\"\npath = \"/dev/x\"\n").unwrap_err();
        assert!(
            e.contains("[devices.scale] protocol") && e.contains("toledo-8217"),
            "{e}"
        );
        let e = scale("protocol = \"continuous\"\npath = \"/dev/x\"\ntimeout_ms = 1e300\n")
            .unwrap_err();
        assert!(e.contains("timeout_ms : 1e300 est hors limites"), "{e}");
        let e = scale("protocol = \"continuous\"\n").unwrap_err();
        assert!(e.contains("[devices.scale] path : manquant"), "{e}");
        let e = scale(
            "protocol = \"continuous\"\ntransport = \"tcp\"\naddress = \"h:1\"\nbaud = 9600\n",
        )
        .unwrap_err();
        assert!(e.contains("baud : ne va pas"), "{e}");
        assert!(ScaleConfig::from_toml("[devices.printer]\n", "t")
            .unwrap()
            .is_none());
    }
}
