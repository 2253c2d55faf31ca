//! Finding the devices plugged into the box, for `till diag ports`.
//!
//! serialport is built without libudev (see the crate doc), so the USB
//! details (VID:PID, maker, product) are read straight from sysfs here, for
//! serial ports, USB printers (`/dev/usb/lpN`) and input devices (keyboard-
//! wedge scanners) alike. Every read is optional: a missing file means an
//! unknown field, never an error.

use std::path::{Path, PathBuf};

/// What kind of device node it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    /// A tty: RS-232, USB-serial adapter, USB CDC-ACM.
    Serial,
    /// A USB printer class device.
    UsbPrinter,
    /// An evdev input device (keyboard-wedge scanners show up here).
    Input,
}

/// What the device probably is, from its vendor and name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Guess {
    /// A receipt printer.
    Printer,
    /// A barcode scanner.
    Scanner,
    /// A card payment terminal.
    PaymentTerminal,
    /// A USB-serial adapter: whatever is wired behind it.
    SerialAdapter,
    /// A keyboard (or a scanner in keyboard mode that does not say so).
    Keyboard,
    /// No idea.
    Unknown,
}

/// As `till diag ports` prints it ("payment terminal"), not the Rust name.
impl std::fmt::Display for Guess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Guess::Printer => "printer",
            Guess::Scanner => "scanner",
            Guess::PaymentTerminal => "payment terminal",
            Guess::SerialAdapter => "serial adapter",
            Guess::Keyboard => "keyboard",
            Guess::Unknown => "unknown",
        })
    }
}

/// One device found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PortInfo {
    /// The node to open, e.g. `/dev/ttyUSB0`.
    pub path: String,
    /// Node kind.
    pub node: NodeKind,
    /// USB vendor id, if on USB.
    pub vid: Option<u16>,
    /// USB product id, if on USB.
    pub pid: Option<u16>,
    /// USB manufacturer string.
    pub manufacturer: Option<String>,
    /// USB product string (or the input device name).
    pub product: Option<String>,
    /// USB serial number.
    pub serial: Option<String>,
    /// The likely device.
    pub guess: Guess,
}

impl PortInfo {
    /// `vvvv:pppp` or empty.
    pub fn vid_pid(&self) -> String {
        match (self.vid, self.pid) {
            (Some(v), Some(p)) => format!("{v:04x}:{p:04x}"),
            _ => String::new(),
        }
    }
}

/// Known USB vendors of till peripherals.
const VENDORS: &[(u16, Guess, &str)] = &[
    (0x04b8, Guess::Printer, "Seiko Epson"),
    (0x0519, Guess::Printer, "Star Micronics"),
    (0x1504, Guess::Printer, "Bixolon"),
    (0x1d90, Guess::Printer, "Citizen"),
    (0x0dd4, Guess::Printer, "Custom"),
    (0x154f, Guess::Printer, "SNBC"),
    (0x0416, Guess::Printer, "Winbond (generic POS printers)"),
    (0x0c2e, Guess::Scanner, "Honeywell (Metrologic)"),
    (0x05e0, Guess::Scanner, "Zebra (Symbol)"),
    (0x05f9, Guess::Scanner, "Datalogic"),
    (0x1eab, Guess::Scanner, "Newland"),
    (0x065a, Guess::Scanner, "Opticon"),
    (0x0b00, Guess::PaymentTerminal, "Ingenico"),
    (0x11ca, Guess::PaymentTerminal, "Verifone"),
    (0x0403, Guess::SerialAdapter, "FTDI"),
    (0x067b, Guess::SerialAdapter, "Prolific"),
    (0x10c4, Guess::SerialAdapter, "Silicon Labs CP210x"),
    (0x1a86, Guess::SerialAdapter, "WCH CH340"),
];

/// Guess the device from node kind, vendor id and product name.
pub fn guess(node: NodeKind, vid: Option<u16>, product: Option<&str>) -> Guess {
    let name = product.unwrap_or("").to_ascii_lowercase();
    if name.contains("scanner") || name.contains("barcode") || name.contains("imager") {
        return Guess::Scanner;
    }
    if name.contains("printer") || name.contains("tm-t") || name.contains("receipt") {
        return Guess::Printer;
    }
    if let Some(v) = vid {
        if let Some((_, g, _)) = VENDORS.iter().find(|(id, _, _)| *id == v) {
            return *g;
        }
    }
    match node {
        NodeKind::UsbPrinter => Guess::Printer,
        NodeKind::Input if name.contains("keyboard") => Guess::Keyboard,
        _ => Guess::Unknown,
    }
}

fn read_trim(p: &Path) -> Option<String> {
    let s = std::fs::read_to_string(p).ok()?;
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

fn read_hex16(p: &Path) -> Option<u16> {
    u16::from_str_radix(&read_trim(p)?, 16).ok()
}

/// USB details of the device behind a sysfs class entry: walk up from its
/// `device` link to the first ancestor with `idVendor` (the USB device, above
/// the interface and any usb-serial port node).
#[derive(Default)]
struct UsbDetails {
    vid: Option<u16>,
    pid: Option<u16>,
    manufacturer: Option<String>,
    product: Option<String>,
    serial: Option<String>,
}

fn usb_details(class_entry: &Path) -> UsbDetails {
    let mut dir: Option<PathBuf> = class_entry.join("device").canonicalize().ok();
    for _ in 0..6 {
        let Some(d) = dir else { break };
        if d.join("idVendor").exists() {
            return UsbDetails {
                vid: read_hex16(&d.join("idVendor")),
                pid: read_hex16(&d.join("idProduct")),
                manufacturer: read_trim(&d.join("manufacturer")),
                product: read_trim(&d.join("product")),
                serial: read_trim(&d.join("serial")),
            };
        }
        dir = d.parent().map(Path::to_path_buf);
    }
    UsbDetails::default()
}

fn entries(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut v: Vec<(String, PathBuf)> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Scan a system rooted at `root` ("/" for the real one; a fake tree in tests).
/// `serial_ok` decides which on-board `ttyS*` ports are real (sysfs lists 32
/// whether wired or not); the real scan asks serialport.
pub fn scan_root(root: &Path, serial_ok: &dyn Fn(&str) -> bool) -> Vec<PortInfo> {
    let mut out = Vec::new();
    let mut push = |node: NodeKind, path: String, entry: &Path, name_override: Option<String>| {
        let UsbDetails {
            vid,
            pid,
            manufacturer,
            product,
            serial,
        } = usb_details(entry);
        let product = product.or(name_override);
        let guess = guess(node, vid, product.as_deref());
        out.push(PortInfo {
            path,
            node,
            vid,
            pid,
            manufacturer,
            product,
            serial,
            guess,
        });
    };
    for (name, entry) in entries(&root.join("sys/class/tty")) {
        let usb_like = ["ttyUSB", "ttyACM", "rfcomm"]
            .iter()
            .any(|p| name.starts_with(p));
        let onboard = ["ttyS", "ttyAMA", "ttymxc"]
            .iter()
            .any(|p| name.starts_with(p));
        let path = format!("/dev/{name}");
        if usb_like || (onboard && serial_ok(&path)) {
            push(NodeKind::Serial, path, &entry, None);
        }
    }
    for (name, entry) in entries(&root.join("sys/class/usbmisc")) {
        if name.starts_with("lp") {
            push(
                NodeKind::UsbPrinter,
                format!("/dev/usb/{name}"),
                &entry,
                None,
            );
        }
    }
    for (name, entry) in entries(&root.join("sys/class/input")) {
        if !name.starts_with("event") {
            continue;
        }
        // Only USB input devices: the built-in keyboard and power buttons
        // are not peripherals a technician wires.
        if usb_details(&entry).vid.is_none() {
            continue;
        }
        let input_name = read_trim(&entry.join("device/name"));
        push(
            NodeKind::Input,
            format!("/dev/input/{name}"),
            &entry,
            input_name,
        );
    }
    out
}

/// Scan this machine.
pub fn scan() -> Vec<PortInfo> {
    // serialport's sysfs scan panics when /sys/class/tty is missing
    // (containers): only ask it when the directory is there.
    let listed: Vec<String> = if Path::new("/sys/class/tty").is_dir() {
        serialport::available_ports()
            .map(|v| v.into_iter().map(|p| p.port_name).collect())
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    scan_root(Path::new("/"), &|p| listed.iter().any(|l| l == p))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn reads_usb_details_from_a_fake_sysfs() {
        let root = tempfile::tempdir().unwrap();
        let r = root.path();
        // A USB device with an interface, as sysfs lays it out.
        let dev = r.join("sys/devices/usb1/1-1");
        let intf = dev.join("1-1:1.0");
        fs::create_dir_all(&intf).unwrap();
        fs::write(dev.join("idVendor"), "04b8\n").unwrap();
        fs::write(dev.join("idProduct"), "0202\n").unwrap();
        fs::write(dev.join("manufacturer"), "EPSON\n").unwrap();
        fs::write(dev.join("product"), "TM-T20II\n").unwrap();
        let lp = r.join("sys/class/usbmisc/lp0");
        fs::create_dir_all(&lp).unwrap();
        std::os::unix::fs::symlink(&intf, lp.join("device")).unwrap();
        // A CP210x adapter on ttyUSB0.
        let dev2 = r.join("sys/devices/usb1/1-2");
        let port = dev2.join("1-2:1.0/ttyUSB0");
        fs::create_dir_all(&port).unwrap();
        fs::write(dev2.join("idVendor"), "10c4").unwrap();
        fs::write(dev2.join("idProduct"), "ea60").unwrap();
        let tty = r.join("sys/class/tty/ttyUSB0");
        fs::create_dir_all(&tty).unwrap();
        std::os::unix::fs::symlink(&port, tty.join("device")).unwrap();
        // A phantom on-board port, not listed by serialport.
        fs::create_dir_all(r.join("sys/class/tty/ttyS7")).unwrap();

        let found = scan_root(r, &|_| false);
        assert_eq!(found.len(), 2, "{found:?}");
        let tty = &found[0];
        assert_eq!(tty.path, "/dev/ttyUSB0");
        assert_eq!(tty.vid_pid(), "10c4:ea60");
        assert_eq!(tty.guess, Guess::SerialAdapter);
        let lp = &found[1];
        assert_eq!(lp.path, "/dev/usb/lp0");
        assert_eq!(lp.product.as_deref(), Some("TM-T20II"));
        assert_eq!(lp.guess, Guess::Printer);
    }

    #[test]
    fn guesses() {
        assert_eq!(guess(NodeKind::Input, Some(0x0c2e), None), Guess::Scanner);
        assert_eq!(
            guess(NodeKind::Input, None, Some("Barcode Reader")),
            Guess::Scanner
        );
        assert_eq!(guess(NodeKind::Serial, None, None), Guess::Unknown);
        assert_eq!(guess(NodeKind::UsbPrinter, None, None), Guess::Printer);
    }

    #[test]
    fn real_scan_never_panics() {
        let _ = scan();
    }
}
