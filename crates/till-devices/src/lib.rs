//! comptoir's peripherals: the ESC/POS receipt printer, the cash drawer, the
//! barcode scanner and the card payment terminal (Concert, Caisse-AP), each
//! generic over a small [`Transport`], plus a simulator for each device that
//! speaks the real byte protocol on a pseudo-terminal or a TCP socket.
//!
//! Decisions worth knowing before changing anything here:
//!
//! * **`serialport` is built with its default features off.** The default
//!   `libudev` feature needs `libudev-dev` and `pkg-config` on every build
//!   machine (developers, CI, the till images). Without it, serialport still
//!   opens ports and lists them by scanning `/sys/class/tty`; the USB
//!   VID:PID/maker/product that libudev would give are read from sysfs by
//!   [`ports`] instead. A fresh machine therefore builds with only a Rust
//!   toolchain.
//! * **The `escpos` crate is not used.** Its 0.20 releases were seen to emit a
//!   3-byte drawer pulse (printers need `1B 70 m t1 t2`, 5 bytes), a "partial"
//!   cut that is a full cut, an extra NUL after `10 04 n` and wrong PC858
//!   entries. The commands are a few bytes each, so [`escpos::cmd`] writes them
//!   itself, each checked against the Epson ESC/POS Application Programming
//!   Guide by a golden test; a dependency whose bytes must all be re-checked
//!   anyway buys nothing.
//! * **Nothing blocks past its timeout.** Every read takes a timeout; every
//!   transport maps "port vanished" (EIO, EPIPE, ENODEV, reset) to
//!   [`DeviceError::Disconnected`] so the caller can say "check the cable" and
//!   retry later, instead of hanging a sale.
//! * **Devices know nothing of sales.** The receipt renderer takes a plain
//!   receipt model and produces bytes; the till decides when to print.

#![warn(missing_docs)]

pub mod config;
pub mod display;
pub mod drawer;
pub mod error;
pub mod escpos;
pub mod payment;
pub mod ports;
pub mod scale;
pub mod scanner;
pub mod sim;
pub mod transport;

pub use error::DeviceError;
pub use transport::Transport;
