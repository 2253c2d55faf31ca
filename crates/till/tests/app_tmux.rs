//! End to end: the real `till run --demo` binary inside tmux, driven by
//! send-keys and read back with capture-pane. Every wait polls the screen for
//! the text expected (never a fixed sleep), so the test is as fast as the app
//! and tolerant of a loaded machine.
//!
//! Skipped (with a message) when tmux is not installed.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use till_core::records::{ClosingKind, Event};
use till_journal::Journal;

/// A private tmux server (its own socket), killed on drop.
struct Tmux {
    socket: String,
    session: String,
}

impl Tmux {
    fn start(name: &str, dir: &Path, data: &Path) -> Tmux {
        let cmd = format!(
            "{} run --demo --data {}",
            env!("CARGO_BIN_EXE_till"),
            data.display()
        );
        Tmux::start_cmd(name, dir, &cmd)
    }

    /// Runs `cmd` in a new tmux session of 100x30, in `dir`.
    fn start_cmd(name: &str, dir: &Path, cmd: &str) -> Tmux {
        let socket = format!("comptoir-{}-{name}", std::process::id());
        let t = Tmux {
            socket,
            session: "till".into(),
        };
        let ok = Command::new("tmux")
            .args([
                "-L",
                &t.socket,
                "new-session",
                "-d",
                "-x",
                "100",
                "-y",
                "30",
            ])
            .args(["-s", &t.session, "-c"])
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

    /// Sends keys (tmux key names: "Enter", "F8", "C-c", or literal text).
    fn keys(&self, keys: &[&str]) {
        for k in keys {
            self.tmux(&["send-keys", "-t", &self.session, k]);
        }
    }

    /// Types text literally (digits, commas, `*`).
    fn text(&self, s: &str) {
        self.tmux(&["send-keys", "-t", &self.session, "-l", s]);
    }

    fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-t", &self.session])
    }

    /// Waits until the screen shows `text`; panics with the screen if not.
    fn wait(&self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let s = self.screen();
            if s.contains(text) {
                return;
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for {text:?}; screen:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until one line of the screen holds every part, in any spacing.
    fn wait_line(&self, parts: &[&str]) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let s = self.screen();
            if s.lines().any(|l| parts.iter().all(|p| l.contains(p))) {
                return;
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for a line with {parts:?}; screen:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Logs in as the demo cashier (PIN 1111) and waits for the sale screen.
    fn login(&self) {
        self.wait("Code PIN");
        self.text("1111");
        self.keys(&["Enter"]);
        self.wait("Camille");
    }

    /// After a crash: the app says the basket was recovered, then asks for
    /// the PIN.
    fn login_after_crash(&self) {
        self.wait("vente en cours a été récupérée");
        self.text("1111");
        self.keys(&["Enter"]);
    }

    /// SIGKILLs the app (a power cut, as far as the journal can tell) and
    /// waits until its pane is gone.
    fn kill_9(&self) {
        let pid = self.pane_pid().expect("pane pid");
        let killed = Command::new("kill")
            .args(["-9", &pid.to_string()])
            .status()
            .expect("kill");
        assert!(killed.success());
        wait_exit(self);
    }

    fn pane_pid(&self) -> Option<u32> {
        self.tmux(&["display-message", "-p", "-t", &self.session, "#{pane_pid}"])
            .trim()
            .parse()
            .ok()
    }

    fn alive(&self) -> bool {
        Command::new("tmux")
            .args(["-L", &self.socket, "has-session", "-t", &self.session])
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

/// Whether tmux can run here. Without it the tests skip, except where
/// COMPTOIR_REQUIRE_TOOLS is set (CI), where a missing tool is a failure.
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

fn wait_exit(t: &Tmux) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while t.alive() {
        assert!(Instant::now() < deadline, "the app did not exit");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// What the simulated printer has printed, once `done` holds or after 30 s
/// (the caller's asserts then say what is missing).
fn wait_receipts(data: &Path, done: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let r = std::fs::read_to_string(data.join("receipts.txt")).unwrap_or_default();
        if done(&r) || Instant::now() > deadline {
            return r;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn data_dir(dir: &Path) -> PathBuf {
    dir.join("demo-data")
}

#[test]
fn a_day_at_the_counter() {
    if !have_tmux() {
        eprintln!("tmux not installed: skipping the end-to-end test");
        return;
    }
    let started = Instant::now();
    let dir = tempfile::tempdir().expect("temp dir");
    let data = data_dir(dir.path());
    let t = Tmux::start("day", dir.path(), &data);
    t.login();

    // A three-line sale: typed code, quantity x code, and a scan from the
    // simulated scanner (F11 in the demo). 1.30 + 3 x 1.20 + 1.30 = 6.20.
    t.text("10001");
    t.keys(&["Enter"]);
    t.text("3*10002");
    t.keys(&["Enter"]);
    t.wait("3x");
    t.keys(&["F11"]);
    t.wait("  3 Baguette");
    t.wait_line(&["TOTAL", "6,20 €"]);
    t.keys(&["F8"]);
    t.wait("Paiement");
    t.text("5");
    t.keys(&["F1"]);
    t.wait_line(&["Reste", "1,20 €"]);
    t.keys(&["F2"]);
    t.wait("Vente T1-000001 enregistrée");

    // Park a basket, serve someone else, resume it, pay it.
    // Enter leaves the "done" screen. (Not Escape: an ESC followed at once
    // by a function key's escape sequence reads as one mangled key.)
    t.keys(&["Enter"]);
    t.text("10003");
    t.keys(&["Enter"]);
    t.wait("Lait");
    t.keys(&["F7"]);
    t.wait("mise en attente");
    t.text("10020");
    t.keys(&["Enter"]);
    t.wait("Café");
    t.keys(&["F8"]);
    t.wait("Paiement");
    t.keys(&["F1"]);
    t.wait("Vente T1-000002 enregistrée");

    t.keys(&["Enter"]);
    t.wait("F8 Payer");
    t.keys(&["F7"]);
    t.wait("Ventes en attente");
    t.keys(&["Enter"]);
    t.wait("Vente reprise");
    t.wait("Lait");
    t.keys(&["F8"]);
    t.wait("Paiement");
    t.keys(&["F1"]);
    t.wait("Vente T1-000003 enregistrée");

    // Refund the first baguette of sale 1: the cashier needs a supervisor.
    t.keys(&["Enter"]);
    t.wait("F8 Payer");
    t.keys(&["F9"]);
    t.wait("Fonctions");
    t.text("1");
    t.wait("numéro du ticket");
    t.text("1");
    t.keys(&["Enter"]);
    t.wait("Remboursement avec ticket");
    t.keys(&["Enter", "F8"]);
    t.wait("AUTORISATION");
    t.text("2222");
    t.keys(&["Enter"]);
    t.wait("Remboursement T1-000004 enregistré");

    // Z: count each tender (cash first), then close with approval.
    t.keys(&["Enter"]);
    t.wait("F8 Payer");
    t.keys(&["F9"]);
    t.wait("Fonctions");
    t.text("9");
    t.wait("comptage de caisse");
    let screen = t.screen();
    let rows = ["Espèces", "Carte bancaire"]
        .iter()
        .filter(|r| screen.contains(*r))
        .count();
    for _ in 0..rows {
        t.text("1");
        t.keys(&["Enter"]);
    }
    t.keys(&["F8"]);
    t.wait("AUTORISATION");
    t.text("2222");
    t.keys(&["Enter"]);
    t.wait("Clôture Z du");
    let last_screen = t.screen();
    // The demo has no head office: the status line says nothing of one, and
    // never "HORS LIGNE", however many events wait.
    assert!(
        !last_screen.contains("HORS LIGNE") && !last_screen.contains("Siège"),
        "{last_screen}"
    );
    t.keys(&["C-c"]);
    wait_exit(&t);

    // The journal verifies, with the closing and the expected totals.
    let db = data.join("journal.db");
    let out = Command::new(env!("CARGO_BIN_EXE_till"))
        .args(["journal", "verify", "--db"])
        .arg(&db)
        .output()
        .expect("running till journal verify");
    assert!(
        out.status.success(),
        "verify failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let j = Journal::open_read_only(&db).expect("journal");
    let events: Vec<Event> = j
        .events_after(0, 10_000)
        .expect("events")
        .iter()
        .map(|e| e.decode().expect("decode"))
        .collect();
    let sales: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::SaleCompleted(r) => Some(r.total.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(sales, vec!["6.20", "1.50", "1.15"]);
    let refund = events
        .iter()
        .find_map(|e| match e {
            Event::Refund(r) => Some(r.clone()),
            _ => None,
        })
        .expect("a refund");
    assert_eq!(refund.total.to_string(), "-1.30");
    assert_eq!(refund.approvals[0].approved_by, "s1");
    let closing = events
        .iter()
        .find_map(|e| match e {
            Event::Closing(c) if c.kind == ClosingKind::Day => Some(c.clone()),
            _ => None,
        })
        .expect("a Z closing");
    assert_eq!(closing.totals.net_total.to_string(), "7.55");
    let (grand, _) = j.grand_totals().expect("grand totals");
    assert_eq!(grand.to_string(), "7.55");

    // The simulated printer printed the four receipts.
    let receipts = wait_receipts(&data, |r| {
        r.contains("T1-000004") && r.to_lowercase().contains("comptage")
    });
    for n in 1..=4 {
        assert!(
            receipts.contains(&format!("T1-00000{n}")),
            "receipt {n} missing from receipts.txt:\n{receipts}\nlast screen:\n{last_screen}"
        );
    }
    assert!(receipts.contains("REMBOURSEMENT"), "{receipts}");
    // The Z report with its cash count was printed too.
    assert!(receipts.to_lowercase().contains("comptage"), "{receipts}");
    eprintln!("end-to-end day took {:?}", started.elapsed());
}

#[test]
fn kill_9_mid_basket_then_the_basket_is_back() {
    if !have_tmux() {
        eprintln!("tmux not installed: skipping the crash test");
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let data = data_dir(dir.path());
    let t = Tmux::start("crash", dir.path(), &data);
    t.login();
    t.text("10001");
    t.keys(&["Enter"]);
    t.text("2*10027");
    t.keys(&["Enter"]);
    t.wait("Piles");
    // The screen is drawn before the basket is saved (the fsync stays off
    // the scan-to-screen path): kill once the save is on disk.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let saved = Journal::open_read_only(data.join("journal.db"))
            .ok()
            .and_then(|j| j.load_basket().ok().flatten())
            .is_some_and(|b| String::from_utf8_lossy(&b).contains("10027"));
        if saved {
            break;
        }
        assert!(Instant::now() < deadline, "the basket was never saved");
        std::thread::sleep(Duration::from_millis(20));
    }
    t.kill_9();
    drop(t);

    let t = Tmux::start("crash2", dir.path(), &data);
    t.login_after_crash();
    t.wait("Piles");
    t.wait("Baguette");
    t.wait_line(&["TOTAL", "11,28 €"]); // 1.30 + 2 x 4.99
    t.keys(&["C-c"]);
    wait_exit(&t);
}

#[test]
fn printer_out_of_paper_then_duplicate() {
    if !have_tmux() {
        eprintln!("tmux not installed: skipping the printer failure test");
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let data = data_dir(dir.path());
    let t = Tmux::start("paper", dir.path(), &data);
    t.login();
    t.wait_line(&["Imprimante : prête"]);
    // F12 (demo): the simulated printer runs out of paper.
    t.keys(&["F12"]);
    t.wait_line(&["Imprimante : plus de papier"]);
    t.text("10001");
    t.keys(&["Enter", "F8"]);
    t.wait("Paiement");
    t.keys(&["F1"]);
    t.wait("Vente T1-000001 enregistrée");
    t.wait("non imprimé");
    // A new roll, then the reprint: F9, 4, Enter (the last receipt).
    t.keys(&["F12"]);
    t.wait_line(&["Imprimante : prête"]);
    t.keys(&["Enter"]);
    t.wait("F8 Payer");
    t.keys(&["F9"]);
    t.wait("Fonctions");
    t.text("4");
    t.wait("numéro du ticket");
    t.keys(&["Enter"]);
    // Nothing had reached paper: this is the original, not a copy.
    t.wait("jamais imprimé");
    // Asked once more, it is a DUPLICATA.
    t.keys(&["Enter"]);
    t.wait("F8 Payer");
    t.keys(&["F9"]);
    t.wait("Fonctions");
    t.text("4");
    t.wait("numéro du ticket");
    t.keys(&["Enter"]);
    t.wait("DUPLICATA 1");
    t.keys(&["C-c"]);
    wait_exit(&t);
    let receipts = wait_receipts(&data, |r| r.contains("DUPLICATA"));
    assert!(receipts.contains("DUPLICATA"), "{receipts}");
    assert!(receipts.contains("T1-000001"), "{receipts}");
    let j = Journal::open_read_only(data.join("journal.db")).expect("journal");
    let kinds: Vec<String> = j
        .events_after(0, 1000)
        .expect("events")
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert!(kinds.iter().any(|k| k == "sale_completed"));
    assert!(kinds.iter().any(|k| k == "receipt_reprinted"));
}

#[test]
fn kill_9_after_a_card_approval_then_the_sale_is_paid_once() {
    if !have_tmux() {
        eprintln!("tmux not installed: skipping the crash test");
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let data = data_dir(dir.path());
    let t = Tmux::start("card", dir.path(), &data);
    t.login();
    t.text("10001");
    t.keys(&["Enter"]);
    t.wait("Baguette");
    t.keys(&["F8"]);
    t.text("1");
    // The demo's simulated terminal approves; the approval is saved before
    // the screen says so.
    t.keys(&["F2"]);
    t.wait("Carte acceptée");
    t.kill_9();
    drop(t);

    let t = Tmux::start("card2", dir.path(), &data);
    t.login_after_crash();
    t.wait_line(&["Carte banc", "1,00 €"]);
    t.wait_line(&["Reste", "0,30 €"]);
    t.keys(&["F1"]);
    t.wait("Vente T1-000001 enregistrée");
    t.keys(&["C-c"]);
    wait_exit(&t);
    let j = Journal::open_read_only(data.join("journal.db")).expect("journal");
    let cards: Vec<String> = j
        .events_after(0, 1000)
        .expect("events")
        .iter()
        .filter_map(|e| e.decode().ok())
        .filter_map(|e| e.sale().cloned())
        .flat_map(|s| s.tenders)
        .filter(|t| t.card.as_ref().is_some_and(|c| c.approved))
        .map(|t| t.amount.to_string())
        .collect();
    assert_eq!(cards, vec!["1.00"]);
}

/// A shop without head office: the first manager is created, the sample
/// catalog imported with `till catalog import`, and the till, started with
/// its till.toml, sells an imported article; nothing else is needed.
#[test]
fn a_shop_without_head_office_sells_from_an_imported_catalog() {
    if !have_tmux() {
        eprintln!("tmux not installed: skipping the end-to-end test");
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("shop");
    let db = data.join("journal.db");
    let till = env!("CARGO_BIN_EXE_till");
    // Not set up yet: `till run` creates the journal and its key, says so
    // and where, and says what is left to do.
    let toml = dir.path().join("till.toml");
    std::fs::write(
        &toml,
        format!(
            "[till]\nterminal_id = \"T1\"\nshop_id = \"S1\"\ndata_dir = \"{}\"\n\
             [till.shop]\nname = \"Épicerie du Marché\"\naddress_lines = [\"3 place du Marché\", \"69002 Lyon\"]\n\
             siret = \"12345678900012\"\nvat_number = \"FR32123456789\"\n",
            data.display()
        ),
    )
    .expect("till.toml");
    let out = Command::new(till)
        .args(["run", "--config"])
        .arg(&toml)
        .output()
        .expect("till run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("not set up"), "{err}");
    assert!(err.contains("creating a new one") && db.exists(), "{err}");
    let run = |args: &[&str], stdin: &str| {
        let mut child = Command::new(till)
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("till");
        use std::io::Write;
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(stdin.as_bytes())
            .expect("write stdin");
        let out = child.wait_with_output().expect("till");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "till {args:?}: {text}");
        text
    };
    let db_s = db.to_string_lossy().into_owned();
    run(
        &[
            "users", "set", "--db", &db_s, "--id", "m1", "--name", "Alice", "--role", "manager",
            "--by", "setup",
        ],
        "4321\n",
    );
    let sample = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../config/catalog-sample.csv"
    );
    let imported = run(&["catalog", "import", sample, "--db", &db_s], "");
    assert!(imported.contains("6 articles imported"), "{imported}");
    let list = run(&["catalog", "list", "--db", &db_s], "");
    assert!(
        list.contains("Café moulu 250 g") && list.contains("4.20"),
        "{list}"
    );

    let cmd = format!("{till} run --config {}", toml.display());
    let t = Tmux::start_cmd("shop", dir.path(), &cmd);
    t.wait("Code PIN");
    t.text("4321");
    t.keys(&["Enter"]);
    t.wait("Alice (gérant)");
    // Scanned by its barcode, then one typed by its id.
    t.text("3760001000016");
    t.keys(&["Enter"]);
    t.wait("Café moulu");
    t.text("10002");
    t.keys(&["Enter"]);
    t.wait("Baguette");
    t.wait_line(&["TOTAL", "4,10 €"]);
    t.keys(&["F8"]);
    t.wait("Paiement");
    t.keys(&["F1"]);
    t.wait("Vente T1-000001 enregistrée");
    let screen = t.screen();
    assert!(!screen.contains("HORS LIGNE"), "{screen}");
    t.keys(&["C-c"]);
    wait_exit(&t);

    let j = Journal::open_read_only(&db).expect("journal");
    let sale = j
        .events_after(0, 1000)
        .expect("events")
        .iter()
        .map(|e| e.decode().expect("decode"))
        .find_map(|e| match e {
            Event::SaleCompleted(r) => Some(r),
            _ => None,
        })
        .expect("a sale");
    assert_eq!(sale.total.to_string(), "4.10");
    let ids: Vec<&str> = sale.lines.iter().map(|l| l.item_id.as_str()).collect();
    assert_eq!(ids, ["10001", "10002"]);
}
