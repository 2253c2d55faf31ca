//! The cash drawer: kicked through the printer's DK port or driven directly
//! over serial; its open sensor; and "drawer left open" detection.

use std::time::Duration;

use crate::escpos::{DrawerPin, Printer};
use crate::transport::Transport;
use crate::DeviceError;

/// Which level of the sensor (connector pin 3) means "open". Drawers differ:
/// most close a switch when shut, so the line reads HIGH when open, but some
/// are wired the other way. `till diag drawer status` shows the raw level so
/// a technician can set this once per model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SensorLevel {
    /// Pin 3 HIGH = open.
    #[default]
    High,
    /// Pin 3 LOW = open.
    Low,
}

/// "high" or "low", as `sensor_open_level` is written in till.toml.
impl std::fmt::Display for SensorLevel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SensorLevel::High => "high",
            SensorLevel::Low => "low",
        })
    }
}

impl SensorLevel {
    /// Interpret the raw pin 3 level.
    pub fn is_open(self, pin3_high: bool) -> bool {
        match self {
            SensorLevel::High => pin3_high,
            SensorLevel::Low => !pin3_high,
        }
    }
}

/// How the pulse is shaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct Pulse {
    /// Connector pin, 2 or 5.
    pub pin: DrawerPin,
    /// ON time, ms (2 ms steps). 100-200 ms suits most solenoids.
    pub on_ms: u16,
    /// OFF time, ms.
    pub off_ms: u16,
}

impl Default for Pulse {
    fn default() -> Self {
        Self {
            pin: DrawerPin::Pin2,
            on_ms: 100,
            off_ms: 200,
        }
    }
}

/// Open the drawer wired to the printer. Uses `ESC p` when the printer is
/// online and the real-time pulse (which works while offline) otherwise.
/// Returns true if the real-time pulse was used.
pub fn kick_via_printer<T: Transport>(
    p: &mut Printer<T>,
    pulse: Pulse,
) -> Result<bool, DeviceError> {
    p.kick_best(pulse.pin, pulse.on_ms, pulse.off_ms)
}

/// Read the drawer sensor through the printer (DLE EOT 1, bit 2).
pub fn sensor_via_printer<T: Transport>(
    p: &mut Printer<T>,
    level: SensorLevel,
) -> Result<bool, DeviceError> {
    Ok(level.is_open(p.printer_status()?.drawer_pin3_high))
}

/// A drawer with its own serial interface: it opens on one byte.
pub struct SerialDrawer<T: Transport> {
    link: T,
    open_byte: u8,
}

impl<T: Transport> SerialDrawer<T> {
    /// `open_byte` is what the drawer's interface box listens for (BEL, 0x07,
    /// on most).
    pub fn new(link: T, open_byte: u8) -> Self {
        Self { link, open_byte }
    }
    /// Send the open byte.
    pub fn open(&mut self) -> Result<(), DeviceError> {
        self.link.write_all(&[self.open_byte])?;
        self.link.flush()
    }
    /// Ask the sensor, for interfaces that answer a status byte with '0'
    /// (closed) or '1' (open). Others have no sensor over serial: a timeout.
    pub fn sensor(&mut self, query: u8, timeout: Duration) -> Result<bool, DeviceError> {
        crate::transport::drain(&mut self.link)?;
        self.link.write_all(&[query])?;
        let mut b = [0u8; 1];
        crate::transport::read_exact(&mut self.link, &mut b, timeout, "drawer sensor")?;
        match b[0] {
            b'0' => Ok(false),
            b'1' => Ok(true),
            other => Err(DeviceError::Garbage {
                detail: "drawer sensor reply".into(),
                bytes: vec![other],
            }),
        }
    }
}

/// What the left-open watcher says after each sensor reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DrawerAlert {
    /// Nothing to say.
    None,
    /// The drawer has been open longer than allowed: tell the cashier (and
    /// the journal). Reported once per opening.
    LeftOpen {
        /// How long it has been open.
        open_for: Duration,
    },
    /// It closed after an alert.
    ClosedAfterAlert,
}

/// "Drawer left open" detection: pure logic, time passed in as a monotonic
/// duration since any fixed origin, so it is tested without sleeping.
#[derive(Debug, Clone)]
pub struct LeftOpenWatch {
    limit: Duration,
    opened_at: Option<Duration>,
    alerted: bool,
}

impl LeftOpenWatch {
    /// Alert when open longer than `limit`.
    pub fn new(limit: Duration) -> Self {
        Self {
            limit,
            opened_at: None,
            alerted: false,
        }
    }

    /// Feed one sensor reading taken at `now`.
    pub fn observe(&mut self, open: bool, now: Duration) -> DrawerAlert {
        match (open, self.opened_at) {
            (true, None) => {
                self.opened_at = Some(now);
                DrawerAlert::None
            }
            (true, Some(since)) => {
                let open_for = now.saturating_sub(since);
                if open_for >= self.limit && !self.alerted {
                    self.alerted = true;
                    DrawerAlert::LeftOpen { open_for }
                } else {
                    DrawerAlert::None
                }
            }
            (false, _) => {
                self.opened_at = None;
                if std::mem::take(&mut self.alerted) {
                    DrawerAlert::ClosedAfterAlert
                } else {
                    DrawerAlert::None
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::MemoryTransport;

    #[test]
    fn left_open_alerts_once_then_clears() {
        let s = Duration::from_secs;
        let mut w = LeftOpenWatch::new(s(30));
        assert_eq!(w.observe(false, s(0)), DrawerAlert::None);
        assert_eq!(w.observe(true, s(10)), DrawerAlert::None);
        assert_eq!(w.observe(true, s(39)), DrawerAlert::None);
        assert_eq!(
            w.observe(true, s(40)),
            DrawerAlert::LeftOpen { open_for: s(30) }
        );
        assert_eq!(w.observe(true, s(90)), DrawerAlert::None);
        assert_eq!(w.observe(false, s(91)), DrawerAlert::ClosedAfterAlert);
        assert_eq!(w.observe(true, s(100)), DrawerAlert::None);
        assert_eq!(w.observe(false, s(101)), DrawerAlert::None);
    }

    #[test]
    fn sensor_level_is_configurable() {
        assert!(SensorLevel::High.is_open(true));
        assert!(!SensorLevel::Low.is_open(true));
        let mut m = MemoryTransport::new();
        m.push_reply(&[0x16]);
        let mut p = Printer::new(m, Duration::from_millis(20));
        assert!(sensor_via_printer(&mut p, SensorLevel::High).unwrap());
    }

    #[test]
    fn serial_drawer_sends_its_open_byte() {
        let mut d = SerialDrawer::new(MemoryTransport::new(), 0x07);
        d.open().unwrap();
        assert_eq!(d.link.written, vec![0x07]);
    }
}
