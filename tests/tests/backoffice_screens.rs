//! Every back-office page as an owner sees it, with a demo network (three
//! stores, four terminals, two weeks of `till simulate` trading synced by
//! `till-sync once`, a ruleset published), at 1280×800 and at 390×844: each must load as itself
//! (not the login or an error page) and fit the phone's width (no sideways
//! scrolling of the page; wide tables scroll inside their own box).
//!
//! The screenshots go to a temporary directory; with COMPTOIR_SCREENS=1 they
//! replace `docs/screens/<page>-desktop.png` and `<page>-mobile.png`:
//!
//! ```sh
//! COMPTOIR_SCREENS=1 cargo test --release -p comptoir-e2e --test backoffice_screens
//! ```

use comptoir_e2e::backoffice::{self, login, today, Server, Till};
use comptoir_e2e::browser::Browser;
use comptoir_e2e::shell::repo_root;
use std::path::PathBuf;
use std::time::Instant;

const OWNER: &str = "patronne@exemple.fr";
const PASSWORD: &str = "correct horse battery staple";

/// (file name, path, an element that only that page has)
const PAGES: &[(&str, &str, &str)] = &[
    ("today", "/", "main"),
    ("sales", "/ventes", "main"),
    ("stock", "/stock", "main"),
    ("catalog", "/catalogue", "main"),
    ("alerts", "/alertes", "main"),
    ("closings", "/clotures", "main"),
    ("terminals", "/terminaux", "main"),
    ("rules", "/regles", "main section.card"),
    ("audit", "/journal-audit", "main table"),
];

/// The demo network: PARIS (T01, T02), LYON (T03), LILLE (T04), two
/// weeks up to today, the demo catalog alerting below 5.
fn demo(dir: &std::path::Path) -> Server {
    let db = format!("sqlite:{}", dir.join("ho.db").display());
    let csv = dir.join("catalogue.csv");
    backoffice::demo_catalog_csv(&csv, Some(5));
    backoffice::load_catalog(&db, &csv);
    backoffice::user_add(&db, OWNER, "owner", None, PASSWORD);
    backoffice::user_add(&db, "compta@exemple.fr", "accountant", None, PASSWORD);
    backoffice::user_add(
        &db,
        "gerant.lyon@exemple.fr",
        "manager",
        Some("LYON"),
        PASSWORD,
    );
    // A ruleset published as an owner would, so the Rules page shows one.
    let rules = dir.join("regles.toml");
    std::fs::write(
        &rules,
        "max_order_amount = 1500\nanomaly_factor = 4\ncash_rounding = 0.05\n\
         [permissions]\nrefund_without_receipt = \"manager\"\n",
    )
    .expect("writing the ruleset");
    let out = backoffice::headoffice()
        .args(["--db", &db, "rules", "set"])
        .arg(&rules)
        .args(["--by", OWNER])
        .output()
        .expect("headoffice rules set");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ho = Server::start(&db);
    let start = today() - chrono::Days::new(13);
    for (i, (store, terminal, sales)) in [
        ("PARIS", "T01", 1400),
        ("PARIS", "T02", 900),
        ("LYON", "T03", 1100),
        ("LILLE", "T04", 600),
    ]
    .into_iter()
    .enumerate()
    {
        let t = Till::new(dir, &ho, store, terminal);
        t.simulate(sales, 14, start, 100 + i as u64);
        t.sync();
    }
    ho
}

fn out_dir(tmp: &std::path::Path) -> PathBuf {
    if std::env::var_os("COMPTOIR_SCREENS").is_some_and(|v| v == "1") {
        repo_root().join("docs/screens")
    } else {
        tmp.join("screens")
    }
}

#[test]
fn every_page_at_desktop_and_phone_width() {
    let Some(b) = Browser::start() else { return };
    let t0 = Instant::now();
    let dir = tempfile::tempdir().expect("tempdir");
    let ho = demo(dir.path());
    let built = t0.elapsed();
    let base = ho.url();
    let out = out_dir(dir.path());
    for (size, w, h) in [("desktop", 1280, 800), ("mobile", 390, 844)] {
        b.set_viewport(w, h);
        b.delete_cookies();
        b.goto(&format!("{base}/login"));
        b.screenshot(&out.join(format!("login-{size}.png")));
        login(&b, &base, OWNER, PASSWORD);
        for (name, path, mark) in PAGES {
            b.goto(&format!("{base}{path}"));
            assert!(
                !b.current_url().ends_with("/login"),
                "{path}: sent to the login page"
            );
            b.find(mark);
            let wide = b.execute(
                "return [document.documentElement.scrollWidth, window.innerWidth]",
                &[],
            );
            assert!(
                wide[0].as_u64() <= wide[1].as_u64(),
                "{path} at {w}×{h}: the page scrolls sideways ({wide}); \
                 a wide element should scroll in its own box"
            );
            b.screenshot(&out.join(format!("{name}-{size}.png")));
        }
    }
    eprintln!(
        "demo data {:.1} s, screenshots {:.1} s, in {}",
        built.as_secs_f64(),
        (t0.elapsed() - built).as_secs_f64(),
        out.display()
    );
}
