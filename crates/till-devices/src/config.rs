//! till.toml (filled in below).
