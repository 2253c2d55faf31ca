//! till-sync
