//! `till catalog import|export|list` as a shop owner runs them: the sample
//! file imports, a mistake names its line and column, a file without its
//! header row is refused as such, an export imports back to the same
//! articles, and head office's catalog is not replaced by accident.

use std::path::Path;
use std::process::{Command, Output};
use till_catalog::CatalogStore;
use till_core::records::Event;
use till_journal::Journal;

fn till(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_till"))
        .args(args)
        .output()
        .expect("running till")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A set-up till: a journal (as `till run` creates it) with its first manager.
fn set_up(dir: &Path) -> String {
    let db = dir.join("journal.db");
    let o = Command::new(env!("CARGO_BIN_EXE_till"))
        .args(["run", "--data"])
        .arg(dir)
        .env_remove("TILL_CONFIG")
        .output()
        .expect("till run");
    assert!(text(&o).contains("not set up"), "{}", text(&o));
    let mut child = Command::new(env!("CARGO_BIN_EXE_till"))
        .args(["users", "set", "--db"])
        .arg(&db)
        .args([
            "--id", "m1", "--name", "Alice", "--role", "manager", "--by", "setup",
        ])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("till users set");
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"4321\n").unwrap();
    assert!(child.wait().unwrap().success());
    db.to_string_lossy().into_owned()
}

#[test]
fn import_list_export_and_import_again() {
    let dir = tempfile::tempdir().unwrap();
    let db = set_up(dir.path());
    let sample = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../config/catalog-sample.csv"
    );
    let o = till(&["catalog", "import", sample, "--db", &db]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("6 articles imported"), "{}", text(&o));
    let list = text(&till(&["catalog", "list", "--db", &db]));
    // Shop S1 gets the price for every store, not S2's own.
    assert!(
        list.contains("Savon de Marseille") && list.contains("4.20"),
        "{list}"
    );
    assert!(!list.contains("3.90"), "{list}");
    // The import is journaled.
    let j = Journal::open_read_only(&db).unwrap();
    let noted = j
        .events_after(0, 100)
        .unwrap()
        .iter()
        .map(|e| e.decode().unwrap())
        .any(|e| matches!(e, Event::ConfigChanged(c) if c.key == "catalog_import"));
    assert!(noted);
    drop(j);
    // Export, import back: the same articles.
    let out = dir.path().join("export.csv");
    let out_s = out.to_string_lossy().into_owned();
    assert!(till(&["catalog", "export", "--db", &db, "--out", &out_s])
        .status
        .success());
    let before = CatalogStore::open(&dir.path().join("catalog.db"))
        .unwrap()
        .load_items()
        .unwrap();
    let o = till(&["catalog", "import", &out_s, "--db", &db]);
    assert!(o.status.success(), "{}", text(&o));
    let mut after = CatalogStore::open(&dir.path().join("catalog.db"))
        .unwrap()
        .load_items()
        .unwrap();
    let mut before = before;
    before.sort_by(|a, b| a.id.cmp(&b.id));
    after.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(before, after);
}

#[test]
fn mistakes_are_named_by_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let db = set_up(dir.path());
    let file = dir.path().join("bad.csv");
    let file_s = file.to_string_lossy().into_owned();
    std::fs::write(
        &file,
        "id,name,price,vat_rate,unit\nA,Lait,1.20,5.5,piece\nB,Pain,\"2,50\",5.5,piece\n",
    )
    .unwrap();
    let e = text(&till(&["catalog", "import", &file_s, "--db", &db]));
    assert!(e.contains("CSV line 3, column 3 (price)"), "{e}");
    // Without its header row, the first article would be taken for one.
    std::fs::write(&file, "A,Lait,1.20,5.5,piece\n").unwrap();
    let e = text(&till(&["catalog", "import", &file_s, "--db", &db]));
    assert!(e.contains("header row"), "{e}");
    // A barcode with a wrong check digit could never be scanned.
    std::fs::write(
        &file,
        "id,name,price,vat_rate,unit,barcodes\nA,Lait,1.20,5.5,piece,3760001000011\n",
    )
    .unwrap();
    let e = text(&till(&["catalog", "import", &file_s, "--db", &db]));
    assert!(e.contains("article A: barcode 3760001000011"), "{e}");
    assert!(
        !dir.path().join("catalog.db").exists() || {
            CatalogStore::open(&dir.path().join("catalog.db"))
                .unwrap()
                .load_items()
                .unwrap()
                .is_empty()
        }
    );
}

#[test]
fn head_offices_catalog_is_not_replaced_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let db = set_up(dir.path());
    let mut store = CatalogStore::open(&dir.path().join("catalog.db")).unwrap();
    store.replace_all(&[], 7).unwrap();
    drop(store);
    let sample = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../config/catalog-sample.csv"
    );
    let o = till(&["catalog", "import", sample, "--db", &db]);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("head office's catalog (version 7"),
        "{}",
        text(&o)
    );
    let o = till(&["catalog", "import", sample, "--db", &db, "--force"]);
    assert!(o.status.success(), "{}", text(&o));
}
