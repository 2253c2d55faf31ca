//! ESC/POS: command bytes, the PC858 encoder, status decoding, the printer
//! driver, the receipt renderer and an interpreter that turns a byte stream
//! back into readable paper.

pub mod cmd;
pub mod core_receipt;
pub mod interp;
pub mod pc858;
pub mod printer;
pub mod receipt;
pub mod status;

pub use cmd::{Align, Cut, DrawerPin};
pub use interp::{Event, Interpreter};
pub use printer::{KickHow, NotPrinted, Printer};
pub use status::{AutoStatus, FullStatus};
