//! The peripherals section of `config/till.toml`.

use std::time::Duration;

use crate::drawer::{Pulse, SensorLevel};
use crate::escpos::DrawerPin;
use crate::scanner::{AimMode, FrameConfig, Suffix};
use crate::transport::Link;

/// All devices of one till. Every section is optional: a till without a
/// scanner simply has none. The card terminal's section is read on its own
/// by [`TerminalConfig::from_toml`] (so a mistake in it never stops the
/// printer), and only accepted here.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(from = "DevicesSection")]
pub struct DevicesConfig {
    /// The receipt printer.
    pub printer: Option<PrinterConfig>,
    /// The cash drawer.
    pub drawer: Option<DrawerConfig>,
    /// The barcode scanner.
    pub scanner: Option<ScannerConfig>,
}

/// `[devices]` as written: unknown keys are still refused (typos), and
/// `terminal` is allowed through for [`TerminalConfig`].
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct DevicesSection {
    printer: Option<PrinterConfig>,
    drawer: Option<DrawerConfig>,
    scanner: Option<ScannerConfig>,
    #[allow(dead_code)]
    terminal: Option<toml::Value>,
    // Read on their own by `ScaleConfig` and `DisplayConfig`.
    #[allow(dead_code)]
    scale: Option<toml::Value>,
    #[allow(dead_code)]
    display: Option<toml::Value>,
}

impl From<DevicesSection> for DevicesConfig {
    fn from(s: DevicesSection) -> Self {
        Self {
            printer: s.printer,
            drawer: s.drawer,
            scanner: s.scanner,
        }
    }
}

/// Parse errors, with the file's own line/column message.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Cannot read the file.
    // The OS error is shown in the message and deliberately not exposed as
    // `source()`: `{:#}` printers (anyhow) would print it twice otherwise.
    #[error("cannot read {path}: {io}")]
    Read {
        /// File path.
        path: String,
        /// OS error.
        io: std::io::Error,
    },
    /// Not valid TOML or not the expected shape.
    #[error("{path}: {message}")]
    Parse {
        /// File path.
        path: String,
        /// What toml said.
        message: String,
    },
}

impl DevicesConfig {
    /// Parse from TOML text. The till's own section, `[till]`, is read (and
    /// checked) by the till; any other top-level table is refused here too,
    /// so `till diag` does not report "no device" for a `[device.printer]`.
    pub fn from_toml(text: &str, path: &str) -> Result<Self, ConfigError> {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Whole {
            #[serde(default)]
            devices: DevicesConfig,
            #[allow(dead_code)]
            till: Option<toml::Value>,
            // The shop's counter rules, read and checked by the till.
            #[allow(dead_code)]
            rules: Option<toml::Value>,
            // The shop's own tenders, read and checked by the till.
            #[allow(dead_code)]
            tenders: Option<toml::Value>,
        }
        let w: Whole = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.into(),
            message: e.to_string(),
        })?;
        Ok(w.devices)
    }

    /// Read and parse a file.
    pub fn load(path: &str) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|io| ConfigError::Read {
            path: path.into(),
            io,
        })?;
        Self::from_toml(&text, path)
    }
}

mod keys;
mod scale;
mod table;
mod terminal;
pub use scale::{DisplayConfig, PeripheralLink, ScaleConfig};
pub use terminal::{TerminalConfig, TerminalConfigError, TerminalLink, TerminalSettings};

use keys::{ranged, LinkKeys};

// The range of every number in `[devices.*]`, named as till.toml names it.
ranged!(
    timeout_ms,
    _opt_timeout_ms,
    u64,
    "timeout_ms",
    50,
    60_000,
    " (ms)"
);
ranged!(
    width,
    _opt_width,
    usize,
    "width",
    16,
    96,
    " (characters per line)"
);
ranged!(code_page, _opt_code_page, u8, "code_page", 0, 255, "");
ranged!(
    pulse_on,
    _opt_on,
    u16,
    "on_ms",
    2,
    510,
    " (ms, in 2 ms steps)"
);
ranged!(
    pulse_off,
    _opt_off,
    u16,
    "off_ms",
    2,
    510,
    " (ms, in 2 ms steps)"
);
ranged!(
    left_open,
    _opt_left_open,
    u64,
    "left_open_after_s",
    0,
    86_400,
    " (seconds)"
);
ranged!(open_byte, _opt_open_byte, u8, "open_byte", 0, 255, "");
ranged!(_query_byte, opt_query_byte, u8, "query_byte", 0, 255, "");
ranged!(
    max_len,
    _opt_max_len,
    usize,
    "max_len",
    1,
    4096,
    " (characters)"
);

fn default_timeout_ms() -> u64 {
    1000
}
fn default_width() -> usize {
    48
}
fn default_code_page() -> u8 {
    crate::escpos::cmd::CODE_PAGE_PC858
}

/// `[devices.printer]`
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(try_from = "PrinterKeys")]
pub struct PrinterConfig {
    /// How to reach it.
    #[serde(flatten)]
    pub link: Link,
    /// Timeout for each write and status query, ms.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// Characters per line in font A (48 for 80 mm paper, 32 for 58 mm).
    #[serde(default = "default_width")]
    pub width: usize,
    /// `ESC t` code page number under which the printer holds PC858 (euro
    /// sign, French accents). Epson and most others: 19. The text encoder
    /// always produces PC858; this setting exists for clones that number
    /// PC858 differently, not to pick another code page.
    #[serde(default = "default_code_page")]
    pub code_page: u8,
    /// Optional logo printed above the shop name: a binary PBM (P4) file.
    #[serde(default)]
    pub logo: Option<String>,
}

/// `[devices.printer]` as written: every key named, unknown ones refused
/// (see `keys` for why not flatten).
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct PrinterKeys {
    transport: Option<String>,
    path: Option<String>,
    #[serde(default, deserialize_with = "keys::opt_baud")]
    baud: Option<u32>,
    address: Option<String>,
    #[serde(default = "default_timeout_ms", deserialize_with = "timeout_ms")]
    timeout_ms: u64,
    #[serde(default = "default_width", deserialize_with = "width")]
    width: usize,
    #[serde(default = "default_code_page", deserialize_with = "code_page")]
    code_page: u8,
    #[serde(default)]
    logo: Option<String>,
}

impl TryFrom<PrinterKeys> for PrinterConfig {
    type Error = String;
    fn try_from(k: PrinterKeys) -> Result<Self, String> {
        let link = LinkKeys {
            transport: k.transport,
            path: k.path,
            baud: k.baud,
            address: k.address,
        }
        .link("devices.printer")?;
        Ok(Self {
            link,
            timeout_ms: k.timeout_ms,
            width: k.width,
            code_page: k.code_page,
            logo: k.logo,
        })
    }
}

impl PrinterConfig {
    /// A printer on `link` with every other setting at its default.
    pub fn new(link: Link) -> Self {
        Self {
            link,
            timeout_ms: default_timeout_ms(),
            width: default_width(),
            code_page: default_code_page(),
            logo: None,
        }
    }

    /// The receipt layout.
    pub fn layout(&self) -> crate::escpos::receipt::Layout {
        crate::escpos::receipt::Layout {
            width: self.width,
            code_page: self.code_page,
        }
    }

    /// The receipt logo, loaded and checked against the paper width: call it
    /// once when the till starts (a missing or too-wide logo is then a clear
    /// start-up message, not a failure on every receipt), keep the result
    /// and pass it to `core_receipt::render_receipt_with_logo`. `Ok(None)`
    /// when no logo is configured.
    pub fn logo(&self) -> Result<Option<crate::escpos::receipt::Logo>, crate::DeviceError> {
        let Some(logo) = self.load_logo()? else {
            return Ok(None);
        };
        // 12 dots per character column: 576 dots on 80 mm, 384 on 58 mm.
        let dots = logo.width_bytes as usize * 8;
        if dots > self.width * 12 {
            return Err(crate::DeviceError::InvalidCommand(format!(
                "logo {} is {dots} dots wide, the paper {} ({} columns): resize it",
                self.logo.as_deref().unwrap_or("?"),
                self.width * 12,
                self.width
            )));
        }
        Ok(Some(logo))
    }

    /// Load the logo file, if one is configured (no width check: see
    /// [`PrinterConfig::logo`]).
    pub fn load_logo(&self) -> Result<Option<crate::escpos::receipt::Logo>, crate::DeviceError> {
        let Some(path) = &self.logo else {
            return Ok(None);
        };
        let bytes = std::fs::read(path).map_err(|e| crate::DeviceError::Open {
            path: path.clone(),
            detail: e.to_string(),
        })?;
        crate::escpos::receipt::Logo::from_pbm(&bytes).map(Some)
    }

    /// The timeout as a duration.
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }
}

/// How the drawer is driven.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DrawerVia {
    /// Through the printer's drawer kick-out connector (RJ11/RJ12).
    #[default]
    Printer,
    /// Its own serial interface.
    Serial,
}

fn default_open_byte() -> u8 {
    0x07
}
fn default_left_open_s() -> u64 {
    60
}

/// `[devices.drawer]`
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct DrawerConfig {
    /// Printer or serial.
    #[serde(default)]
    pub via: DrawerVia,
    /// Connector pin, "2" or "5".
    #[serde(default)]
    pub pin: DrawerPin,
    /// Pulse ON time, ms.
    #[serde(default = "Pulse::default_on", deserialize_with = "pulse_on")]
    pub on_ms: u16,
    /// Pulse OFF time, ms.
    #[serde(default = "Pulse::default_off", deserialize_with = "pulse_off")]
    pub off_ms: u16,
    /// Sensor level meaning "open".
    #[serde(default)]
    pub sensor_open_level: SensorLevel,
    /// Warn after the drawer stays open this long, seconds.
    #[serde(default = "default_left_open_s", deserialize_with = "left_open")]
    pub left_open_after_s: u64,
    /// For `via = "serial"`: the port.
    pub path: Option<String>,
    /// For `via = "serial"`: baud rate.
    #[serde(default, deserialize_with = "keys::opt_baud")]
    pub baud: Option<u32>,
    /// For `via = "serial"`: the byte that opens it.
    #[serde(default = "default_open_byte", deserialize_with = "open_byte")]
    pub open_byte: u8,
    /// For `via = "serial"`: a status query byte, if the interface has a sensor.
    #[serde(default, deserialize_with = "opt_query_byte")]
    pub query_byte: Option<u8>,
}

impl Default for DrawerConfig {
    fn default() -> Self {
        Self {
            via: DrawerVia::Printer,
            pin: DrawerPin::Pin2,
            on_ms: Pulse::default().on_ms,
            off_ms: Pulse::default().off_ms,
            sensor_open_level: SensorLevel::High,
            left_open_after_s: default_left_open_s(),
            path: None,
            baud: None,
            open_byte: default_open_byte(),
            query_byte: None,
        }
    }
}

impl DrawerConfig {
    /// The serial link of a `via = "serial"` drawer.
    pub fn serial_link(&self) -> Option<Link> {
        Some(Link::Serial {
            path: self.path.clone()?,
            baud: self.baud.unwrap_or(9600),
        })
    }

    /// The pulse shape.
    pub fn pulse(&self) -> Pulse {
        Pulse {
            pin: self.pin,
            on_ms: self.on_ms,
            off_ms: self.off_ms,
        }
    }
}

impl Pulse {
    fn default_on() -> u16 {
        Pulse::default().on_ms
    }
    fn default_off() -> u16 {
        Pulse::default().off_ms
    }
}

/// How the scanner delivers codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ScannerMode {
    /// Serial (RS-232, USB CDC/serial emulation, or TCP).
    #[default]
    Serial,
    /// Keyboard wedge, read from its evdev node.
    Wedge,
}

fn default_max_len() -> usize {
    256
}

/// `[devices.scanner]`
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(try_from = "ScannerKeys")]
pub struct ScannerConfig {
    /// Serial or keyboard wedge.
    #[serde(default)]
    pub mode: ScannerMode,
    /// How to reach it (for a wedge: `transport = "evdev"`, the event node).
    #[serde(flatten)]
    pub link: Link,
    /// Terminator.
    #[serde(default)]
    pub suffix: Suffix,
    /// Prefix bytes.
    #[serde(default)]
    pub prefix: Vec<u8>,
    /// AIM identifier handling.
    #[serde(default)]
    pub aim: AimMode,
    /// Longest accepted code.
    #[serde(default = "default_max_len")]
    pub max_len: usize,
}

/// `[devices.scanner]` as written (see [`PrinterKeys`]).
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ScannerKeys {
    #[serde(default)]
    mode: ScannerMode,
    transport: Option<String>,
    path: Option<String>,
    #[serde(default, deserialize_with = "keys::opt_baud")]
    baud: Option<u32>,
    address: Option<String>,
    #[serde(default)]
    suffix: Suffix,
    #[serde(default)]
    prefix: Vec<u8>,
    #[serde(default)]
    aim: AimMode,
    #[serde(default = "default_max_len", deserialize_with = "max_len")]
    max_len: usize,
}

impl TryFrom<ScannerKeys> for ScannerConfig {
    type Error = String;
    fn try_from(k: ScannerKeys) -> Result<Self, String> {
        let link = LinkKeys {
            transport: k.transport,
            path: k.path,
            baud: k.baud,
            address: k.address,
        }
        .link("devices.scanner")?;
        Ok(Self {
            mode: k.mode,
            link,
            suffix: k.suffix,
            prefix: k.prefix,
            aim: k.aim,
            max_len: k.max_len,
        })
    }
}

impl ScannerConfig {
    /// The framing.
    pub fn framing(&self) -> FrameConfig {
        FrameConfig {
            suffix: self.suffix,
            prefix: self.prefix.clone(),
            aim: self.aim,
            max_len: self.max_len,
            ..FrameConfig::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logo_is_loaded_once_and_checked_against_the_paper() {
        let dir = tempfile::tempdir().unwrap();
        let mut p = PrinterConfig::new(Link::Tcp {
            address: "127.0.0.1:9100".into(),
        });
        assert!(p.logo().unwrap().is_none());
        let small = dir.path().join("small.pbm");
        let mut pbm = b"P4\n16 1\n".to_vec();
        pbm.extend([0xAA, 0x55]);
        std::fs::write(&small, &pbm).unwrap();
        p.logo = Some(small.to_string_lossy().into());
        assert_eq!(p.logo().unwrap().unwrap().width_bytes, 2);
        let wide = dir.path().join("wide.pbm");
        let mut pbm = b"P4\n640 1\n".to_vec();
        pbm.extend([0u8; 80]);
        std::fs::write(&wide, &pbm).unwrap();
        p.logo = Some(wide.to_string_lossy().into());
        assert!(p.logo().unwrap_err().to_string().contains("640 dots"));
        p.logo = Some(dir.path().join("missing.pbm").to_string_lossy().into());
        assert!(p.logo().is_err());
    }

    #[test]
    fn the_shipped_example_parses() {
        let text = include_str!("../../../config/till.toml");
        let c = DevicesConfig::from_toml(text, "till.toml").unwrap();
        let p = c.printer.unwrap();
        assert!(matches!(p.link, Link::Serial { baud: 38400, .. }));
        assert_eq!(p.code_page, 19);
        let d = c.drawer.unwrap();
        assert_eq!(d.pin, DrawerPin::Pin2);
        assert_eq!(d.pulse().on_ms, 100);
        assert!(c.scanner.is_some());
    }

    #[test]
    fn minimal_and_tcp() {
        let c = DevicesConfig::from_toml(
            "[devices.printer]\ntransport = \"tcp\"\naddress = \"192.168.1.50:9100\"\n[devices.drawer]\npin = \"5\"\n",
            "t",
        )
        .unwrap();
        assert_eq!(
            c.printer.unwrap().link,
            Link::Tcp {
                address: "192.168.1.50:9100".into()
            }
        );
        assert_eq!(c.drawer.unwrap().pin, DrawerPin::Pin5);
        assert!(DevicesConfig::from_toml(
            "[devices.printer]\ntransport = \"carrier-pigeon\"\n",
            "t"
        )
        .is_err());
        assert_eq!(
            DevicesConfig::from_toml("", "t").unwrap(),
            DevicesConfig::default()
        );
    }
}
