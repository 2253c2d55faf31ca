//! Shared options and the "what to try next" advice.

use clap::Args;
use serde_json::json;
use till_devices::config::DevicesConfig;
use till_devices::transport::Link;
use till_devices::DeviceError;

/// The installed config, looked for after `--config` and `$TILL_CONFIG`.
pub const SYSTEM_CONFIG: &str = "/etc/comptoir/till.toml";
/// The source tree's config, looked for last (running from a checkout).
pub const LOCAL_CONFIG: &str = "config/till.toml";
/// Environment variable naming the config file.
pub const CONFIG_ENV: &str = "TILL_CONFIG";

/// Pick the config file: `--config` if given (no fallback: the technician
/// asked for that one), else the first that exists of `$TILL_CONFIG`,
/// [`SYSTEM_CONFIG`], [`LOCAL_CONFIG`]. The error names every path tried.
pub fn resolve_config(explicit: Option<&str>) -> anyhow::Result<String> {
    resolve_config_from(explicit, std::env::var(CONFIG_ENV).ok(), |p| {
        std::path::Path::new(p).is_file()
    })
}

/// [`resolve_config`] with the environment and file system passed in (tests).
pub fn resolve_config_from(
    explicit: Option<&str>,
    env: Option<String>,
    exists: impl Fn(&str) -> bool,
) -> anyhow::Result<String> {
    if let Some(p) = explicit {
        return Ok(p.to_string());
    }
    let mut tried = Vec::new();
    let env = env.filter(|e| !e.is_empty());
    let candidates = env
        .iter()
        .map(|e| (e.as_str(), format!("${CONFIG_ENV}={e}")))
        .chain([SYSTEM_CONFIG, LOCAL_CONFIG].map(|p| (p, p.to_string())));
    for (path, label) in candidates {
        if exists(path) {
            return Ok(path.to_string());
        }
        tried.push(label);
    }
    if env.is_none() {
        tried.insert(0, format!("${CONFIG_ENV} (not set)"));
    }
    anyhow::bail!(
        "no config file found; tried: --config (not given), {}. Give one with --config FILE or set {CONFIG_ENV}",
        tried.join(", ")
    )
}

/// Which device to talk to: the config's, or one given on the command line.
#[derive(Args, Clone, Debug)]
pub struct Target {
    /// Config file to take the device from (default: $TILL_CONFIG, then
    /// /etc/comptoir/till.toml, then ./config/till.toml).
    #[arg(long)]
    pub config: Option<String>,
    /// Device path instead of the config's (serial port, /dev/usb/lpN, pty).
    #[arg(long)]
    pub path: Option<String>,
    /// The device's network address (host:port) instead of the config's:
    /// a network printer on port 9100, or a simulator started with --tcp.
    #[arg(long, conflicts_with = "path")]
    pub address: Option<String>,
    /// With --path: "serial", "usb" or "evdev" (default: guessed from the
    /// path: /dev/usb/lp* is usb, /dev/input/*event* is evdev, else serial).
    #[arg(long, value_parser = ["serial", "usb", "evdev"])]
    pub transport: Option<String>,
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
        let transport = self
            .transport
            .as_deref()
            .unwrap_or_else(|| guess_transport(&path));
        Some(match transport {
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
        let loaded = resolve_config(self.config.as_deref())
            .and_then(|p| DevicesConfig::load(&p).map_err(anyhow::Error::from));
        match loaded {
            Ok(c) => Ok(c),
            Err(_) if self.override_link().is_some() => Ok(DevicesConfig::default()),
            Err(e) => Err(anyhow::anyhow!(
                "{e} (or give the device with --path / --address)"
            )),
        }
    }

    /// The config file as named in messages.
    pub fn config_label(&self) -> String {
        resolve_config(self.config.as_deref()).unwrap_or_else(|_| "the config file".into())
    }
}

/// The transport a device path implies when --transport is not given: a
/// USB printer node and an evdev node are files, not serial ports (opening
/// them as serial fails with ENOTTY).
pub fn guess_transport(path: &str) -> &'static str {
    if path.starts_with("/dev/usb/lp") {
        "usb"
    } else if path.starts_with("/dev/input/") && path.contains("event") {
        "evdev"
    } else {
        "serial"
    }
}

/// Did opening fail because the path is not a serial port at all?
/// ENOTTY ("inappropriate ioctl", from the serial set-up on a plain file or
/// a /dev/usb/lp node) and EISDIR are what the OS says then.
fn not_a_serial_port(detail: &str, target: &str) -> bool {
    let d = detail.to_ascii_lowercase();
    d.contains("inappropriate ioctl")
        || d.contains("not a typewriter")
        || d.contains("is a directory")
        || d.contains("enotty")
        || d.contains("eisdir")
        // A USB printer or input node that exists but failed to open: it was
        // opened as a serial port (a missing node is "not found" instead).
        || ((target.starts_with("/dev/usb/lp") || target.starts_with("/dev/input/"))
            && !d.contains("no such file")
            && !d.contains("not found"))
}

/// The next thing a technician should try after `e` on `target`.
pub fn advice(e: &DeviceError, target: &str) -> String {
    match e {
        DeviceError::Open { detail, .. } if not_a_serial_port(detail, target) => {
            if target.starts_with("/dev/input/") {
                format!("not a serial port: {target} is an input (keyboard-wedge) device: use --transport evdev, or `till diag scanner listen --wedge {target}`")
            } else {
                format!("not a serial port: {target} is a file or a USB printer node: use --transport usb (USB printers are /dev/usb/lpN; see `till diag ports`)")
            }
        }
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
        DeviceError::Io(io)
            // ENOTTY = 25, EISDIR = 21 on Linux (no libc dependency here).
            if matches!(io.raw_os_error(), Some(25) | Some(21)) =>
        {
            format!("not a serial port: {target}: use --transport usb")
        }
        DeviceError::Barcode { .. } => format!("{e}: fix the code's digits (the last one is the check digit)"),
        DeviceError::InvalidCommand(_) | DeviceError::Io(_) => format!("unexpected error on {target}: {e}"),
    }
}

/// Print a JSON value on one line.
pub fn print_json(v: &serde_json::Value) {
    println!("{v}");
}

/// A failure as printed: what happened and what to try next.
pub fn fail(json: bool, device: &str, target: &str, e: &DeviceError) -> i32 {
    let next = advice(e, target);
    if json {
        print_json(
            &json!({ "device": device, "target": target, "ok": false, "error": e.to_string(), "next": next }),
        );
    } else {
        println!("{device} {target}: FAIL: {e}");
        println!("next: {next}");
    }
    1
}
