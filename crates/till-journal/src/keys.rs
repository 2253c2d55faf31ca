//! The terminal's Ed25519 signing key, and the PIN pepper beside it, each in a
//! file readable by its owner only.
//!
//! File format: the 32-byte secret seed as 64 lowercase hex digits and a newline.
//! The file is created with mode 0600 (never wider, even for a moment: the mode
//! is given to open(2)), written, fsynced, and its directory fsynced, so a power
//! cut cannot leave a journal whose genesis names a key that was never stored.

use crate::error::{JournalError, Result};
use ed25519_dalek::SigningKey;
use std::io::{Read, Write};
use std::path::Path;

fn io(path: &Path, source: std::io::Error) -> JournalError {
    JournalError::KeyIo {
        path: path.to_path_buf(),
        source,
    }
}

/// Loads the key at `path`, refusing a file others can read or a file that is not a key.
pub fn load(path: &Path) -> Result<SigningKey> {
    load_secret(path).map(|seed| SigningKey::from_bytes(&seed))
}

/// The 32 secret bytes of a key or pepper file (same format and checks).
fn load_secret(path: &Path) -> Result<[u8; 32]> {
    let mut f = std::fs::File::open(path).map_err(|e| io(path, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = f.metadata().map_err(|e| io(path, e))?.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(JournalError::KeyPermissions {
                path: path.to_path_buf(),
                mode,
            });
        }
    }
    // A key file is 65 bytes; read a little more so an oversized file is detected
    // without reading an arbitrarily large one.
    let mut buf = Vec::with_capacity(80);
    std::io::Read::by_ref(&mut f)
        .take(256)
        .read_to_end(&mut buf)
        .map_err(|e| io(path, e))?;
    let invalid = |detail: &str| JournalError::KeyInvalid {
        path: path.to_path_buf(),
        detail: detail.to_string(),
    };
    let text = std::str::from_utf8(&buf).map_err(|_| invalid("not text"))?;
    let seed = hex::decode(text.trim()).map_err(|_| invalid("expected 64 hex digits"))?;
    seed.try_into()
        .map_err(|_| invalid("expected 32 bytes (64 hex digits)"))
}

/// Creates a new random key at `path` (mode 0600, fsynced). Fails if the file exists.
pub fn create(path: &Path) -> Result<SigningKey> {
    create_secret(path).map(|seed| SigningKey::from_bytes(&seed))
}

fn create_secret(path: &Path) -> Result<[u8; 32]> {
    let mut seed = [0u8; 32];
    getrandom::getrandom(&mut seed).map_err(|e| io(path, std::io::Error::other(e.to_string())))?;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(|e| io(path, e))?;
    let text = format!("{}\n", hex::encode(seed));
    f.write_all(text.as_bytes()).map_err(|e| io(path, e))?;
    f.sync_all().map_err(|e| io(path, e))?;
    // The directory entry must be durable too, or the file may vanish on power loss.
    if let Some(dir) = path.parent() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        if let Ok(d) = std::fs::File::open(dir) {
            d.sync_all().map_err(|e| io(dir, e))?;
        }
    }
    Ok(seed)
}

/// Loads the key if the file exists, creates it otherwise.
pub fn load_or_create(path: &Path) -> Result<SigningKey> {
    match std::fs::symlink_metadata(path) {
        Ok(_) => load(path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => create(path),
        Err(e) => Err(io(path, e)),
    }
}

/// Hex of the public half.
pub fn public_hex(key: &SigningKey) -> String {
    hex::encode(key.verifying_key().to_bytes())
}

/// Where the PIN pepper lives: beside the signing key, `<key file>.pepper`.
pub fn pepper_path(key_path: &Path) -> std::path::PathBuf {
    let mut p = key_path.as_os_str().to_owned();
    p.push(".pepper");
    p.into()
}

/// The PIN pepper (see `till_core::auth::Pepper`): 32 random bytes in a file
/// like the key's (64 hex digits, mode 0600, refused if wider). Created when
/// absent only if `may_create`: once PIN hashes depend on it, a new pepper
/// would silently lock every user out, so a lost file is an error instead.
pub fn load_or_create_pepper(key_path: &Path, may_create: bool) -> Result<[u8; 32]> {
    let path = pepper_path(key_path);
    match std::fs::symlink_metadata(&path) {
        Ok(_) => load_secret(&path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && may_create => create_secret(&path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Err(JournalError::PepperMissing { path })
        }
        Err(e) => Err(io(&path, e)),
    }
}
