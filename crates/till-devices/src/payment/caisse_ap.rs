//! Caisse-AP over TCP (placeholder, filled in next).

/// Settings.
#[derive(Debug, Clone, Default)]
pub struct CaisseApSettings;
/// Driver.
pub struct CaisseApTerminal;
