//! The README, followed literally: every command of its ```sh blocks runs,
//! in order, in a scratch copy of the checkout, and exits 0; simulators
//! stand in for the hardware. The blocks marked
//! `<!-- doc-test: skip REASON -->` are exactly the ones listed below, so a
//! new command cannot be set aside without this test saying so.

use comptoir_e2e::doc::blocks;
use comptoir_e2e::shell::{repo_root, till_binary, workspace_binary, Session};

/// The only README lines not run here, and why: installing the machine,
/// the interactive counter app (tests/app_tmux.rs in crates/till drives
/// it), the test suite itself, minutes of benchmarks, and head office
/// serving the back office until stopped (tests/backoffice_browser.rs).
const SKIPPED: &[&str] = &[
    "sudo apt-get update && sudo apt-get install -y build-essential curl git tmux postgresql chromium chromium-driver",
    "curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y",
    ". \"$HOME/.cargo/env\"",
    "git clone <this repository> comptoir && cd comptoir",
    "cargo run --release -p till -- run --demo",
    "cargo test --workspace --release",
    "target/release/headoffice --db sqlite:demo-data/ho.db serve --listen 127.0.0.1:8080",
    "packaging/deb/build.sh",
    "sudo apt install ./target/debian/comptoir-headoffice_0.1.0_amd64.deb",
    "sudoedit /etc/comptoir/headoffice.toml",
    "printf 'un mot de passe assez long\\n' | sudo -u comptoir headoffice --config /etc/comptoir/headoffice.toml user add --email patronne@exemple.fr --role owner",
    "sudo -u comptoir headoffice --config /etc/comptoir/headoffice.toml register-terminal --store S1 --terminal T01 --out /var/lib/comptoir/T01.token",
    "sudo systemctl enable --now headoffice.service",
    "sudo apt install ./comptoir-till_0.1.0_amd64.deb ./comptoir-till-sync_0.1.0_amd64.deb",
    "sudoedit /etc/comptoir/till.toml /etc/comptoir/sync.toml",
    "sudo install -m 0640 -o root -g comptoir T01.token /etc/comptoir/sync.token",
    "sudo systemctl disable getty@tty1.service",
    "sudo systemctl enable --now till.service till-sync.service",
    "cargo run --release -p till-bench",
];

#[test]
fn every_readme_command_runs_as_written() {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let b = blocks(&readme);
    assert!(
        b.others.is_empty(),
        "README.md: label command blocks ```sh so this test runs them: {:?}",
        b.others
    );
    let skipped: Vec<&str> = b
        .commands
        .iter()
        .filter(|c| c.skipped.is_some())
        .map(|c| c.code())
        .collect();
    assert_eq!(
        skipped, SKIPPED,
        "README.md: the commands set aside by a doc-test: skip marker changed; run the new ones, or list them here with the reason"
    );

    // Session::new links head office's binary beside the till's (the back
    // office's commands run it as built); build it first.
    workspace_binary("headoffice", "headoffice");
    workspace_binary("comptoir-verify", "comptoir-verify");
    let mut shell = Session::new(&till_binary());
    let mut outputs = Vec::new();
    for c in b.commands.iter().filter(|c| c.skipped.is_none()) {
        let ran = shell.run(c);
        assert_eq!(
            ran.code,
            Some(0),
            "README.md line {}: `{}` exited {:?}\n--- stdout\n{}\n--- stderr\n{}",
            c.line,
            c.text,
            ran.code,
            ran.stdout,
            ran.stderr
        );
        outputs.push((c.code().to_string(), ran.stdout));
    }
    assert!(outputs.len() >= 15, "{} commands ran", outputs.len());

    // What the README says they show.
    let out = |part: &str| -> &str {
        outputs
            .iter()
            .find(|(c, _)| c.contains(part))
            .map(|(_, o)| o.as_str())
            .unwrap_or_else(|| panic!("no README command contains {part:?}"))
    };
    assert!(out("verify --db demo-data/sim.db --json").contains("\"ok\": true"));
    assert!(out("--day 2026-01-05").contains("TICKET Z"));
    assert!(out("users list").contains("Léa"), "{}", out("users list"));
    assert!(out("printer status").contains("ready"));
    assert!(out("printer render").contains("Ticket T1-000042"));
    let pay: &str = out("diag terminal pay");
    assert!(pay.contains("\"outcome\":\"approved\""), "{pay}");
    let all = out("diag all --config");
    for device in ["printer", "drawer", "scanner", "terminal"] {
        assert!(
            all.lines()
                .any(|l| l.starts_with("PASS") && l.contains(device)),
            "{device} not checked PASS:\n{all}"
        );
    }
    // The background simulators announced themselves, and --link named
    // them where the README's next commands look.
    let started: Vec<_> = shell.background().iter().map(|b| &b.first_line).collect();
    assert_eq!(started.len(), 3, "{started:?}");
    assert!(
        started.iter().all(|l| l.starts_with("simulated ")),
        "{started:?}"
    );
    for link in [
        "printer",
        "terminal",
        "all-printer",
        "all-scanner",
        "all-terminal",
    ] {
        let p = shell.dir().join("demo-data").join(link);
        let target = std::fs::read_link(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        assert!(target.starts_with("/dev/pts/"), "{}", target.display());
    }
}

/// Every `cargo run|test|build` the docs show builds in release, as CI and
/// the README do: a debug build is another full compile, and a slow till.
#[test]
fn every_cargo_command_in_the_docs_is_a_release_build() {
    let mut files = Vec::new();
    let mut dirs = vec![repo_root()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap().map_while(Result::ok) {
            let p = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            if p.is_dir() && !name.starts_with('.') && name != "target" {
                dirs.push(p);
            } else if name.ends_with(".md") {
                files.push(p);
            }
        }
    }
    assert!(files.len() > 5, "{files:?}");
    let mut debug = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        for (n, line) in text.lines().enumerate() {
            for verb in ["cargo run", "cargo test", "cargo build"] {
                for (at, _) in line.match_indices(verb) {
                    // The command ends at the closing backtick, or the line.
                    let cmd = line[at..].split('`').next().unwrap_or_default();
                    let cargo_part = cmd.split(" -- ").next().unwrap_or_default();
                    if !cargo_part.contains("--release") {
                        debug.push(format!("{}:{}: {cmd}", f.display(), n + 1));
                    }
                }
            }
        }
    }
    assert!(debug.is_empty(), "add --release:\n{}", debug.join("\n"));
}
