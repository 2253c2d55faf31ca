//! Checking till.toml's keys as they are read: every number against its
//! range, with a message naming the key and the range (a timeout of 1e300
//! or -5 is a clear refusal, never a panic later), and the link keys of a
//! section (transport, path, baud, address) checked together.
//!
//! Why not `#[serde(flatten)] link: Link` with `deny_unknown_fields`: serde
//! does not support the two together (flatten collects every key it does
//! not know for the flattened field, so nothing is ever unknown), and a
//! typo such as `timout_ms` was silently ignored. The sections that hold a
//! link are therefore read through a flat struct that names every key.

use serde::de::{Deserializer, Visitor};

use crate::transport::Link;

/// A number as TOML wrote it: integer or float, any sign.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Num {
    Int(i128),
    Float(f64),
}

impl std::fmt::Display for Num {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Num::Int(i) => write!(f, "{i}"),
            // Debug keeps the file's short form (1e300, not 301 digits).
            Num::Float(x) => write!(f, "{x:?}"),
        }
    }
}

impl<'de> serde::Deserialize<'de> for Num {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Num;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a number")
            }
            fn visit_i64<E>(self, v: i64) -> Result<Num, E> {
                Ok(Num::Int(v.into()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Num, E> {
                Ok(Num::Int(v.into()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Num, E> {
                Ok(Num::Float(v))
            }
        }
        d.deserialize_any(V)
    }
}

/// `n` as a `T` if it is a whole number in the `accept` range; else the
/// message a technician can act on, naming the key and the `shown` range.
/// The two differ only for keys whose section checks the range itself
/// later with its own advice (the card terminal's): there only what the
/// type cannot hold is refused here.
pub(crate) fn check_shown<T: TryFrom<u64>>(
    n: Num,
    key: &str,
    accept: (u64, u64),
    shown: (u64, u64),
    unit: &str,
) -> Result<T, String> {
    let whole = match n {
        Num::Int(i) => u64::try_from(i)
            .ok()
            .filter(|v| (accept.0..=accept.1).contains(v)),
        Num::Float(_) => None,
    };
    whole.and_then(|v| T::try_from(v).ok()).ok_or_else(|| {
        format!(
            "{key} = {n} is out of range: use a whole number from {} to {}{unit}",
            shown.0, shown.1
        )
    })
}

/// Deserializers for one key, plain and optional, for `deserialize_with`.
macro_rules! ranged {
    ($plain:ident, $opt:ident, $ty:ty, $key:literal, $min:expr, $max:expr, $unit:literal) => {
        ranged!(
            $plain,
            $opt,
            $ty,
            $key,
            $min,
            $max,
            $unit,
            accept = $min,
            $max
        );
    };
    ($plain:ident, $opt:ident, $ty:ty, $key:literal, $min:expr, $max:expr, $unit:literal,
     accept = $amin:expr, $amax:expr) => {
        #[allow(dead_code)]
        pub(crate) fn $plain<'de, D: serde::Deserializer<'de>>(d: D) -> Result<$ty, D::Error> {
            let n = <$crate::config::keys::Num as serde::Deserialize>::deserialize(d)?;
            $crate::config::keys::check_shown(n, $key, ($amin, $amax), ($min, $max), $unit)
                .map_err(<D::Error as serde::de::Error>::custom)
        }
        #[allow(dead_code)]
        pub(crate) fn $opt<'de, D: serde::Deserializer<'de>>(
            d: D,
        ) -> Result<Option<$ty>, D::Error> {
            $plain(d).map(Some)
        }
    };
}
pub(crate) use ranged;

/// The serial speeds a till may meet (USB adapters go past 115200).
pub(crate) const BAUD_MIN: u64 = 300;
/// See [`BAUD_MIN`].
pub(crate) const BAUD_MAX: u64 = 921_600;

ranged!(baud, opt_baud, u32, "baud", BAUD_MIN, BAUD_MAX, "");

/// The link keys of a section, as written; [`LinkKeys::link`] checks them.
#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct LinkKeys {
    pub transport: Option<String>,
    pub path: Option<String>,
    #[serde(default, deserialize_with = "opt_baud")]
    pub baud: Option<u32>,
    pub address: Option<String>,
}

impl LinkKeys {
    /// The link, or what is wrong with the keys, naming `section`.
    pub(crate) fn link(self, section: &str) -> Result<Link, String> {
        let bad = |key: &str, why: &str| format!("[{section}] {key}: {why}");
        let transport = self.transport.ok_or_else(|| {
            bad(
                "transport",
                "missing: \"serial\", \"usb\", \"tcp\" or \"evdev\"",
            )
        })?;
        let needs_path = |path: Option<String>| {
            path.filter(|p| !p.trim().is_empty()).ok_or_else(|| {
                bad(
                    "path",
                    &format!("missing: transport = \"{transport}\" needs the device's path"),
                )
            })
        };
        let refuse = |key: &str, set: bool| {
            if set {
                Err(bad(
                    key,
                    &format!("does not apply to transport = \"{transport}\": remove it"),
                ))
            } else {
                Ok(())
            }
        };
        match transport.as_str() {
            "serial" => {
                refuse("address", self.address.is_some())?;
                Ok(Link::Serial {
                    path: needs_path(self.path)?,
                    baud: self.baud.unwrap_or(9600),
                })
            }
            "usb" | "evdev" => {
                refuse("address", self.address.is_some())?;
                refuse("baud", self.baud.is_some())?;
                let path = needs_path(self.path)?;
                Ok(if transport == "usb" {
                    Link::Usb { path }
                } else {
                    Link::Evdev { path }
                })
            }
            "tcp" => {
                refuse("path", self.path.is_some())?;
                refuse("baud", self.baud.is_some())?;
                let address = self.address.filter(|a| !a.trim().is_empty()).ok_or_else(|| {
                    bad("address", "missing: transport = \"tcp\" needs host:port, e.g. \"192.168.1.50:9100\"")
                })?;
                Ok(Link::Tcp { address })
            }
            other => Err(bad(
                "transport",
                &format!("\"{other}\" is not one: use \"serial\", \"usb\", \"tcp\" or \"evdev\""),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_out_of_range_name_the_key_and_the_range() {
        fn check<T: TryFrom<u64>>(
            n: Num,
            key: &str,
            min: u64,
            max: u64,
            unit: &str,
        ) -> Result<T, String> {
            check_shown(n, key, (min, max), (min, max), unit)
        }
        let e = check::<u64>(Num::Float(1e300), "timeout_ms", 50, 60_000, " ms").unwrap_err();
        assert_eq!(
            e,
            "timeout_ms = 1e300 is out of range: use a whole number from 50 to 60000 ms"
        );
        assert!(check::<u64>(Num::Int(-5), "k", 0, 9, "").is_err());
        assert!(check::<u8>(Num::Int(300), "k", 0, 1000, "").is_err());
        assert_eq!(check::<u16>(Num::Int(100), "k", 2, 510, "").unwrap(), 100);
        assert!(check::<u64>(Num::Float(100.0), "k", 0, 1000, "").is_err());
    }

    #[test]
    fn link_keys_are_checked_together() {
        let keys = |t: &str, path: Option<&str>, address: Option<&str>| LinkKeys {
            transport: Some(t.into()),
            path: path.map(Into::into),
            baud: None,
            address: address.map(Into::into),
        };
        assert!(keys("serial", Some("/dev/x"), None).link("s").is_ok());
        let e = keys("tcp", Some("/dev/x"), Some("h:1"))
            .link("devices.printer")
            .unwrap_err();
        assert!(e.contains("[devices.printer] path: does not apply"), "{e}");
        let e = keys("serial", None, None).link("s").unwrap_err();
        assert!(e.contains("path: missing"), "{e}");
        let e = LinkKeys::default().link("s").unwrap_err();
        assert!(e.contains("transport: missing"), "{e}");
        let e = keys("carrier-pigeon", None, None).link("s").unwrap_err();
        assert!(e.contains("\"carrier-pigeon\" is not one"), "{e}");
    }
}
