//! Port discovery (filled in below).
