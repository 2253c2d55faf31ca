//! placeholder
use super::runner::Endpoint;
use super::terminal::{Script, SimCore};
use crate::DeviceError;
/// placeholder
pub struct CaisseApTerminalSim {
    pub(crate) core: SimCore,
    /// endpoint
    pub endpoint: Endpoint,
}
impl CaisseApTerminalSim {
    /// placeholder
    pub fn spawn(_script: Script) -> Result<Self, DeviceError> {
        Err(DeviceError::InvalidCommand("not yet".into()))
    }
}
