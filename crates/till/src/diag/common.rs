//! Shared options and the "what to try next" advice.

use clap::Args;
use till_devices::config::DevicesConfig;
use till_devices::transport::Link;
use till_devices::DeviceError;

/// Where `till diag all` and the device commands look for the config.
pub const DEFAULT_CONFIG: &str = "config/till.toml";

/// Which device to talk to: the config's, or one given on the command line.
#[derive(Args, Clone, Debug)]
pub struct Target {
    /// Config file to take the device from.
    #[arg(long, default_value = DEFAULT_CONFIG)]
    pub config: String,
    /// Device path instead of the config's (serial port, /dev/usb/lpN, pty).
    #[arg(long)]
    pub path: Option<String>,
    /// Network printer address (host:port) instead of the config's.
    #[arg(long, conflicts_with = "path")]
    pub address: Option<String>,
    /// With --path: "serial" (default) or "usb".
    #[arg(long, default_value = "serial")]
    pub transport: String,
    /// With --path and a serial port: baud rate (default: the config's for
    /// that device, else 9600).
    #[arg(long)]
    pub baud: Option<u32>,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
}

impl Target {
    /// The link given on the command line, if any.
    pub fn override_link(&self) -> Option<Link> {
        self.override_link_with(None)
    }

    /// Same, taking the baud rate from `configured` (the config's link for
    /// this device) when --baud is not given: a technician pointing at a
    /// different port usually keeps the device's speed.
    pub fn override_link_with(&self, configured: Option<&Link>) -> Option<Link> {
        let config_baud = match configured {
            Some(Link::Serial { baud, .. }) => Some(*baud),
            _ => None,
        };
        if let Some(a) = &self.address {
            return Some(Link::Tcp { address: a.clone() });
        }
        let path = self.path.clone()?;
        Some(match self.transport.as_str() {
            "usb" => Link::Usb { path },
            "evdev" => Link::Evdev { path },
            _ => Link::Serial {
                path,
                baud: self.baud.or(config_baud).unwrap_or(9600),
            },
        })
    }

    /// The config file, or an empty config when it is absent and the device
    /// was given on the command line.
    pub fn config(&self) -> anyhow::Result<DevicesConfig> {
        match DevicesConfig::load(&self.config) {
            Ok(c) => Ok(c),
            Err(_) if self.override_link().is_some() => Ok(DevicesConfig::default()),
            Err(e) => Err(anyhow::anyhow!(
                "{e} (or give the device with --path / --address)"
            )),
        }
    }
}

/// The next thing a technician should try after `e` on `target`.
pub fn advice(e: &DeviceError, target: &str) -> String {
    match e {
        DeviceError::Open { detail, .. } => {
            let d = detail.to_ascii_lowercase();
            if d.contains("permission") {
                format!("permission denied on {target}: add the till user to the group owning it (dialout, lp) or install config/udev/99-comptoir.rules")
            } else if d.contains("busy") || d.contains("lock") {
                format!("{target} is in use by another program (is the till running?): stop it and retry")
            } else if d.contains("refused") || d.contains("timed out") || d.contains("unreachable") {
                format!("nothing answers at {target}: check the printer is on, its IP address (print its self-test page: hold FEED while switching on) and port 9100")
            } else {
                format!("{target} not found: check the cable and power, run `till diag ports` to see what is plugged in, and check the udev rule that names it")
            }
        }
        DeviceError::Timeout { .. } => format!(
            "no answer from {target}: check it is switched on and online, and that the baud rate matches the device's (common: 9600, 19200, 38400, 115200; the printer's self-test page shows it)"
        ),
        DeviceError::Garbage { .. } => format!(
            "garbled replies from {target}: the baud rate or parity does not match the device's settings"
        ),
        DeviceError::Disconnected { .. } => {
            format!("{target} went away: reseat the cable (USB adapters: try another port), then retry")
        }
        DeviceError::InvalidCommand(_) | DeviceError::Io(_) => format!("unexpected error on {target}: {e}"),
    }
}

/// Print a JSON value on one line.
pub fn print_json(v: &serde_json::Value) {
    println!("{v}");
}
