//! `headoffice customers add|list|show|import`: fields checked with the
//! option named, --json on list and show, a CSV import whose errors name
//! the line and the column and which stores nothing on any error.

use std::process::{Command, Output};

fn customers(db: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_headoffice"))
        .args(["--db", db, "customers"])
        .args(args)
        .output()
        .expect("run headoffice")
}

fn ok(o: &Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn refused(o: &Output, says: &str) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "accepted; wanted {says:?}");
    assert!(err.contains(says), "{err:?} should say {says:?}");
}

fn numbers(db: &str) -> Vec<String> {
    let out = ok(&customers(db, &["list", "--json"]));
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    v.as_array()
        .expect("array")
        .iter()
        .map(|r| r["customer"]["number"].as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn add_list_show_and_import() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = format!("sqlite:{}", dir.path().join("ho.db").display());
    let help = ok(&customers(&db, &["add", "--help"]));
    assert!(
        help.contains("--credit-limit") && help.contains("legal ceiling"),
        "{help}"
    );

    let base = [
        "add",
        "--number",
        "C001",
        "--kind",
        "b2b",
        "--name",
        "Boulangerie Dupré",
    ];
    let with = |extra: &[&str]| {
        let mut a: Vec<&str> = base.to_vec();
        a.extend_from_slice(extra);
        customers(&db, &a)
    };
    refused(&with(&["--siren", "552081318"]), "--siren: not a SIREN");
    refused(
        &with(&["--vat", "FR04552081317"]),
        "--vat: the French VAT key",
    );
    refused(&with(&["--terms", "net90"]), "legal ceiling of 60 days");
    refused(&with(&["--credit-limit=-5"]), "--credit-limit");
    assert!(numbers(&db).is_empty(), "nothing stored on a refusal");
    ok(&with(&[
        "--siret",
        "55208131700018",
        "--vat",
        "FR03552081317",
        "--terms",
        "eom45",
        "--credit-limit",
        "2500.50",
        "--group",
        "pro",
        "--loyalty-card",
        "2900000000017",
    ]));
    refused(&with(&[]), "exists already");

    let show = ok(&customers(&db, &["show", "C001", "--json"]));
    let v: serde_json::Value = serde_json::from_str(&show).expect("json");
    assert_eq!(v["customer"]["siren"], "552081317");
    assert_eq!(v["customer"]["credit_limit"], "2500.50");
    assert_eq!(v["available"], "2500.50");
    assert_eq!(v["customer"]["terms"]["kind"], "end_of_month45");
    let text = ok(&customers(&db, &["show", "C001"]));
    assert!(text.contains("eom45") && text.contains("2500.50"), "{text}");
    refused(&customers(&db, &["show", "C999"]), "no customer C999");

    // An import: a bad cell on line 3 stores nothing, not even line 2.
    let csv = dir.path().join("clients.csv");
    std::fs::write(
        &csv,
        "number,kind,name,siret,terms,credit_limit\n\
         C002,b2c,Jeanne Martin,,net30,100\n\
         C003,b2b,Garage Central,73282932000075,net30,100\n",
    )
    .expect("write");
    let path = csv.display().to_string();
    refused(
        &customers(&db, &["import", &path]),
        "CSV line 3, column 4 (siret)",
    );
    assert_eq!(numbers(&db), ["C001"]);
    std::fs::write(
        &csv,
        "number,kind,name,siret,terms,credit_limit\n\
         C002,b2c,Jeanne Martin,,net30,100\n\
         C003,b2b,\"Garage Central, SARL\",73282932000074,net60,100\n\
         C001,b2b,Boulangerie Dupré et fils,,cash,3000\n",
    )
    .expect("write");
    ok(&customers(&db, &["import", &path]));
    assert_eq!(numbers(&db), ["C001", "C002", "C003"]);
    let list = ok(&customers(&db, &["list", "--search", "garage"]));
    assert!(list.contains("C003") && !list.contains("C002"), "{list}");
    // Imported rows replace known numbers whole.
    let v: serde_json::Value =
        serde_json::from_str(&ok(&customers(&db, &["show", "C001", "--json"]))).expect("json");
    assert_eq!(v["customer"]["name"], "Boulangerie Dupré et fils");
    assert_eq!(v["customer"]["credit_limit"], "3000");
}
