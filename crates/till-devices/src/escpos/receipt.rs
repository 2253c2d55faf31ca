//! Receipt rendering (filled in below).
