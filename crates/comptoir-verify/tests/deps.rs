//! The verifier runs on an auditor's computer: no SQLite, no device code.
//! What it links is its `[dependencies]` and theirs among our crates.

fn dependencies(manifest: &str) -> Vec<String> {
    let text = std::fs::read_to_string(manifest).expect("Cargo.toml");
    let mut deps = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            inside = line == "[dependencies]";
            continue;
        }
        if inside {
            if let Some((name, _)) = line.split_once(['=', '.']) {
                if !name.starts_with('#') && !name.trim().is_empty() {
                    deps.push(name.trim().to_string());
                }
            }
        }
    }
    deps
}

#[test]
fn no_sqlite_and_no_device_code_in_the_verifier() {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut all = dependencies(&format!("{root}/Cargo.toml"));
    for ours in ["comptoir-chain", "till-core"] {
        assert!(all.iter().any(|d| d == ours), "{all:?}");
        all.extend(dependencies(&format!("{root}/../{ours}/Cargo.toml")));
    }
    for banned in [
        "rusqlite",
        "till-journal",
        "till-devices",
        "serialport",
        "libc",
    ] {
        assert!(!all.iter().any(|d| d == banned), "{banned} in {all:?}");
    }
}
