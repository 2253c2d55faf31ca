//! comptoir's fuzzing harness, on the stable toolchain.
//!
//! One [`Target`] per parser that reads bytes from outside (a till, a device,
//! a terminal, a file someone wrote): each calls the parser the way the
//! program does and checks what must hold whatever the bytes (no panic, the
//! fast path agrees with serde, a card number never comes out unmasked...).
//! [`engine`] feeds each target its seeds (`hw-fixtures/`, the example
//! configs, real payloads under `seeds/`) and the inputs that once broke it
//! (`regressions/TARGET/`), then mutations of them.
//!
//! Why a self-written engine and not cargo-fuzz: cargo-fuzz needs a nightly
//! toolchain and libFuzzer, and the project promises a build with the stable
//! toolchain the README installs. Without coverage feedback the engine leans
//! on seeds that already reach deep (whole batches, whole receipts, real
//! answers) and on a cheap behaviour signature each target returns: an
//! input showing a new one joins the corpus.
//!
//! `cargo run --release -p comptoir-fuzz -- --target all --inputs 10000000`
//! runs the campaign (see README.md); `cargo test -p comptoir-fuzz` runs
//! every target briefly and replays every saved regression.

pub mod engine;
pub mod targets;

use std::path::{Path, PathBuf};

/// A parser under test.
pub struct Target {
    /// Name on the command line and folder under `regressions/`.
    pub name: &'static str,
    /// What is parsed, for `--list`.
    pub about: &'static str,
    /// Largest input fed: the bound on memory and time per input.
    pub max_len: usize,
    /// The starting corpus.
    pub seeds: fn() -> Vec<Vec<u8>>,
    /// Tokens worth inserting (keys, commands, field tags).
    pub dict: &'static [&'static [u8]],
    /// Runs one input; panics on a broken invariant. Returns a cheap
    /// signature of what the input did (inputs with a new one are kept).
    pub run: fn(&[u8]) -> u64,
}

/// This crate's folder (seeds, regressions).
pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The repository root (hw-fixtures, config).
pub fn repo_dir() -> PathBuf {
    crate_dir().join("../..")
}

/// Where crashing inputs are kept and replayed forever.
pub fn regressions_dir() -> PathBuf {
    crate_dir().join("regressions")
}

/// Every file of `dir`, sorted by name (empty if it does not exist).
pub fn files_in(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut v: Vec<(PathBuf, Vec<u8>)> = rd
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .filter_map(|p| std::fs::read(&p).ok().map(|b| (p, b)))
        .collect();
    v.sort();
    v
}

/// The saved inputs that once broke `target`.
pub fn regressions(target: &str) -> Vec<Vec<u8>> {
    files_in(&regressions_dir().join(target))
        .into_iter()
        .map(|(_, b)| b)
        .collect()
}

/// The files of `seeds/NAME/`.
pub fn seed_files(name: &str) -> Vec<Vec<u8>> {
    files_in(&crate_dir().join("seeds").join(name))
        .into_iter()
        .map(|(_, b)| b)
        .collect()
}

/// The bytes of every `hw-fixtures/DIR/*.hex` whose name starts with `prefix`.
pub fn hw_fixtures(dir: &str, prefix: &str) -> Vec<Vec<u8>> {
    files_in(&repo_dir().join("hw-fixtures").join(dir))
        .into_iter()
        .filter(|(p, _)| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(prefix) && n.ends_with(".hex"))
        })
        .filter_map(|(_, b)| {
            let text = String::from_utf8(b).ok()?;
            till_devices::error::parse_hex(&text).ok()
        })
        .collect()
}

/// A target by name.
pub fn find(name: &str) -> Option<&'static Target> {
    targets::ALL.iter().find(|t| t.name == name)
}
