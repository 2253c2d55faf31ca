//! Simulators (filled in below).
