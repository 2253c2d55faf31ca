//! End to end: the real `till run --demo --config till.toml` binary inside
//! tmux with a `[rules]` table: the maximum order amount and the anomaly
//! check ask a supervisor's PIN on screen, and the journal keeps the
//! approvals and the flag. Waits poll the screen (never a fixed sleep).
//!
//! Skipped (with a message) when tmux is not installed.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use till_core::records::Event;
use till_journal::Journal;

struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(dir: &Path, config: &Path, data: &Path) -> Tmux {
        let t = Tmux {
            socket: format!("comptoir-{}-rules", std::process::id()),
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

    /// A sale of `qty` x the croissant (1,20 €), paid cash.
    fn sell(&self, qty: u32) {
        self.text(&format!("{qty}*10002"));
        self.keys(&["Enter"]);
        self.wait("Croissant");
        self.keys(&["F8"]);
        self.wait("Paiement");
        self.keys(&["F1"]);
    }

    /// The supervisor (demo PIN 2222) approves the dialog on screen.
    fn approve(&self) {
        self.text("2222");
        self.keys(&["Enter"]);
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
fn max_order_amount_and_anomaly_ask_a_supervisor_through_the_real_app() {
    if !have_tmux() {
        eprintln!("tmux not installed: skipping the end-to-end test");
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("demo-data");
    let config = dir.path().join("till.toml");
    std::fs::write(
        &config,
        "[till]\nterminal_id = \"T1\"\n\n[rules]\nmax_order_amount = 30\nanomaly_factor = 3\nanomaly_min_sales = 1\n",
    )
    .expect("till.toml");
    let t = Tmux::start(dir.path(), &config, &data);
    t.wait("Règles locales");
    t.wait("Code PIN");
    t.text("1111");
    t.keys(&["Enter"]);
    t.wait("Camille");

    // 6,00 €: the first sale, nothing to compare with; the average is now 6,00 €.
    t.sell(5);
    t.wait("Vente T1-000001 enregistrée");
    t.keys(&["Enter"]);

    // 24,00 € is above 3 x 6,00 €: a supervisor approves, the sale is flagged.
    t.sell(20);
    t.wait("Panier inhabituellement élevé");
    t.wait("plus de 3 fois le panier moyen (6,00 €)");
    t.approve();
    t.wait("Vente T1-000002 enregistrée");
    t.keys(&["Enter"]);

    // 36,00 € is above the shop's maximum of 30,00 € (and under 3 x the
    // average of 15,00 €): a supervisor approves.
    t.sell(30);
    t.wait("Limite d'achat dépassée");
    t.wait("au-delà du maximum de 30,00");
    t.approve();
    t.wait("Vente T1-000003 enregistrée");

    t.keys(&["C-c"]);
    let deadline = Instant::now() + Duration::from_secs(30);
    while t.alive() {
        assert!(Instant::now() < deadline, "the app did not exit");
        std::thread::sleep(Duration::from_millis(50));
    }
    let j = Journal::open_read_only(data.join("journal.db")).expect("journal");
    let events: Vec<Event> = j
        .events_after(0, 1000)
        .expect("events")
        .into_iter()
        .filter_map(|e| e.decode().ok())
        .collect();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::ConfigChanged(c) if c.key == "rules")),
        "the rules applied are journaled"
    );
    let sales: Vec<_> = events.iter().filter_map(|e| e.sale()).collect();
    assert_eq!(sales.len(), 3);
    assert!(sales[0].flags.is_empty() && sales[0].approvals.is_empty());
    assert_eq!(sales[1].flags, vec!["basket_above_average".to_string()]);
    assert!(sales[1]
        .approvals
        .iter()
        .any(|a| a.action == "anomaly_basket" && a.approved_by != "c1"));
    assert!(sales[2].flags.is_empty());
    assert!(sales[2]
        .approvals
        .iter()
        .any(|a| a.action == "exceed_purchase_rule"));
}
