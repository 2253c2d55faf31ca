//! End to end: the real `till run --demo` binary inside tmux sells with
//! titres-restaurant plus cash for the rest: the demo shop's paper titre
//! on F8 pays the bread (eligible food) but not the wine, the excess of a
//! 10,00 € titre is shown ("le client perd") and taken on Enter, cash
//! pays the rest, and the X report totals the titres apart. Waits poll the
//! screen (never a fixed sleep).
//!
//! Skipped (with a message) when tmux is not installed.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use till_journal::Journal;

struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(dir: &Path, config: &Path, data: &Path) -> Tmux {
        let t = Tmux {
            socket: format!("comptoir-{}-tenders", std::process::id()),
        };
        let cmd = format!(
            "{} run --demo --data {} --config {}",
            env!("CARGO_BIN_EXE_till"),
            data.display(),
            config.display()
        );
        let ok = Command::new("tmux")
            .args([
                "-L",
                &t.socket,
                "new-session",
                "-d",
                "-x",
                "110",
                "-y",
                "30",
            ])
            .args(["-s", "till", "-c"])
            .arg(dir)
            .arg(cmd)
            .status()
            .expect("running tmux");
        assert!(ok.success(), "tmux new-session failed");
        t
    }

    fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("running tmux");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        for k in keys {
            self.tmux(&["send-keys", "-t", "till", k]);
        }
    }

    fn text(&self, s: &str) {
        self.tmux(&["send-keys", "-t", "till", "-l", s]);
    }

    fn wait(&self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let s = self.tmux(&["capture-pane", "-p", "-t", "till"]);
            if s.contains(text) {
                return;
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for {text:?}; screen:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn alive(&self) -> bool {
        Command::new("tmux")
            .args(["-L", &self.socket, "has-session", "-t", "till"])
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .stderr(Stdio::null())
            .status();
    }
}

fn have_tmux() -> bool {
    let ok = Command::new("tmux")
        .arg("-V")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        ok || std::env::var_os("COMPTOIR_REQUIRE_TOOLS").is_none(),
        "tmux is required here (COMPTOIR_REQUIRE_TOOLS is set): apt-get install tmux"
    );
    ok
}

#[test]
fn titres_restaurant_pay_the_food_and_cash_the_rest_through_the_real_app() {
    if !have_tmux() {
        eprintln!("tmux not installed: skipping the end-to-end test");
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("demo-data");
    let config = dir.path().join("till.toml");
    std::fs::write(&config, "[till]\nterminal_id = \"T1\"\n").expect("till.toml");
    let t = Tmux::start(dir.path(), &config, &data);
    t.wait("Code PIN");
    t.text("1111");
    t.keys(&["Enter"]);
    t.wait("Camille");

    // 2 x bread (1,30 €, food) and a wine (6,90 €, not food): 9,50 €.
    t.text("2*10001");
    t.keys(&["Enter"]);
    t.wait("Baguette");
    t.text("10021");
    t.keys(&["Enter"]);
    t.wait("Vin rouge");
    t.keys(&["F8"]);
    t.wait("F8 TR papier");
    t.text("10");
    t.keys(&["F8"]);
    t.wait("Le client perd 7,40");
    t.keys(&["Enter"]);
    t.wait("perdus par le client");
    t.text("10");
    t.keys(&["F1"]);
    t.wait("Vente T1-000001 enregistrée");
    t.wait("3,10");
    t.keys(&["Enter"]);

    // The X report totals the titres apart, under their label.
    t.keys(&["F9"]);
    t.text("8");
    t.wait("Titres-restaurant");
    let screen = t.tmux(&["capture-pane", "-p", "-t", "till"]);
    let row = screen
        .lines()
        .find(|l| l.contains("Titres-restaurant"))
        .unwrap_or_default();
    assert!(row.contains("2,60"), "{screen}");
    assert!(
        !screen.contains("titre_restaurant"),
        "a code name on screen:\n{screen}"
    );
    t.keys(&["Escape"]);

    t.keys(&["C-c"]);
    let deadline = Instant::now() + Duration::from_secs(30);
    while t.alive() {
        assert!(Instant::now() < deadline, "the app did not exit");
        std::thread::sleep(Duration::from_millis(50));
    }
    let j = Journal::open_read_only(data.join("journal.db")).expect("journal");
    let sales: Vec<_> = j
        .events_after(0, 1000)
        .expect("events")
        .into_iter()
        .filter_map(|e| e.decode().ok())
        .filter_map(|e| e.sale().cloned())
        .collect();
    assert_eq!(sales.len(), 1);
    let s = &sales[0];
    assert_eq!(s.tenders[0].kind.as_str(), "titre_restaurant");
    assert_eq!(s.tenders[0].amount.to_string(), "2.60");
    assert_eq!(s.tenders[1].kind.as_str(), "cash");
    assert_eq!(s.change.to_string(), "3.10");
    let totals = j
        .period_totals(
            till_core::records::ClosingKind::Day,
            &s.business_day.to_string(),
        )
        .expect("day totals");
    assert_eq!(totals.by_tender["titre_restaurant"].to_string(), "2.60");
    assert_eq!(totals.by_tender["cash"].to_string(), "6.90");
}
