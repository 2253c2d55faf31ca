//! The small files kept beside the journal (parked baskets, the pending card
//! payment, the sync daemon's status): one way to replace them, so a crash
//! or a power cut leaves either the old content or the new, never half of
//! each, and never a file others can read.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Creates (or truncates) `path` readable by its owner only (0600). The
/// mode is given to open(2), so the file is never wider, even for a moment;
/// an older file left wider is narrowed.
pub fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        opts.mode(0o600);
        let f = opts.open(path)?;
        if f.metadata()?.permissions().mode() & 0o077 != 0 {
            f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
        Ok(f)
    }
    #[cfg(not(unix))]
    opts.open(path)
}

/// The temporary name `atomic_write` uses for `path`: beside it (a rename
/// only stays atomic within one file system), named after it.
fn temp_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".tmp");
    PathBuf::from(s)
}

/// Replaces `path` with `bytes` durably: writes a temporary file beside it
/// (mode 0600), fsyncs it, renames it over `path`, then fsyncs the directory
/// so the rename itself survives a power cut. Readers see the old file or the
/// new one. Each file has one writer (the till or the sync daemon), so the
/// temporary name is fixed: a crash leaves at most one stale temporary file,
/// overwritten by the next write.
pub fn atomic_write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = temp_path(path);
    {
        let mut f = create_private(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    sync_dir(path)
}

/// Fsyncs the directory holding `path` (Unix; elsewhere a directory cannot
/// be opened as a file, and the rename is all there is).
fn sync_dir(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        std::fs::File::open(dir)?.sync_all()?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_the_file_privately_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("parked.json");
        std::fs::write(&path, b"old").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        // A stale temporary from a crash is overwritten, not appended to.
        std::fs::write(temp_path(&path), b"stale stale stale").unwrap();
        atomic_write(&path, b"new").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        assert!(!temp_path(&path).exists());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "mode {mode:o}");
        }
    }

    #[test]
    fn atomic_write_in_a_missing_directory_fails_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gone").join("parked.json");
        assert!(atomic_write(&path, b"x").is_err());
        assert!(!path.exists());
    }
}
