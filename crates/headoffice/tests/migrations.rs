//! Every older schema migrates, on both backends: a database made with the
//! SQL an older head office ran (frozen in `old_schemas/`), holding a
//! terminal, an alert and a catalog row, opens with this build; what it held
//! still reads, and the features of later schemas work on it. A database of a
//! newer schema is refused by name.

mod common;
mod old_schemas;

use common::*;
use headoffice::store::schema::SCHEMA_VERSION;
use headoffice::store::{IngestOutcome, Store, TerminalAuth};

/// The raw database, as an older build left it.
enum Raw {
    Sqlite(rusqlite::Connection),
    Pg(postgres::Client),
}

impl Raw {
    fn open(url: &str) -> Raw {
        match url.strip_prefix("sqlite:") {
            Some(path) => Raw::Sqlite(rusqlite::Connection::open(path).expect("sqlite")),
            None => Raw::Pg(postgres::Client::connect(url, postgres::NoTls).expect("pg")),
        }
    }

    fn batch(&mut self, sql: &str) {
        match self {
            Raw::Sqlite(c) => c.execute_batch(sql).expect("sql"),
            Raw::Pg(c) => c.batch_execute(sql).expect("sql"),
        }
    }

    /// Sets the schema version as that build did.
    fn set_version(&mut self, v: i64) {
        match self {
            Raw::Sqlite(c) => c.pragma_update(None, "user_version", v).expect("version"),
            Raw::Pg(c) => {
                c.batch_execute("DELETE FROM schema_version")
                    .expect("version");
                c.execute(
                    "INSERT INTO schema_version (version) VALUES ($1)",
                    &[&(v as i32)],
                )
                .expect("version");
            }
        }
    }

    /// A statement with two bytes parameters ($1, $2).
    fn exec(&mut self, sql: &str, a: &[u8], b: &[u8]) {
        match self {
            Raw::Sqlite(c) => {
                c.execute(sql, rusqlite::params![a, b]).expect("insert");
            }
            Raw::Pg(c) => {
                c.execute(sql, &[&a, &b]).expect("insert");
            }
        }
    }
}

/// The schema SQL of `version` for the backend of `url`.
fn old_schema(url: &str, version: i64) -> String {
    let sqlite = url.starts_with("sqlite:");
    match (version, sqlite) {
        (1, true) => old_schemas::SQLITE_V1.to_string(),
        (2, true) => format!("{}{}", old_schemas::SQLITE_V2, old_schemas::SQLITE_V2_ALTER),
        (1, false) => old_schemas::PG_V1.to_string(),
        (2, false) => old_schemas::PG_V2.to_string(),
        (3, _) => format!(
            "{}{}",
            old_schema(url, 2),
            old_schemas::V3_READ_TOKENS.replace("{blob}", if sqlite { "BLOB" } else { "BYTEA" })
        ),
        (4, _) => format!(
            "{}{}",
            old_schema(url, 3),
            spelled(old_schemas::V4_BACK_OFFICE_ACCOUNTS, sqlite)
        ),
        (5, _) => format!(
            "{}{}",
            old_schema(url, 4),
            spelled(old_schemas::V5_DASHBOARD, sqlite)
        ),
        (6, _) => format!(
            "{}{}",
            old_schema(url, 5),
            spelled(old_schemas::V6_RULES, sqlite)
        ),
        (7, _) => format!(
            "{}{}",
            old_schema(url, 6),
            spelled(old_schemas::V7_STOCK, sqlite)
        ),
        (8, _) => format!(
            "{}{}",
            old_schema(url, 7),
            spelled(old_schemas::V8_PAGE_INDEXES, sqlite)
        ),
        _ => String::new(),
    }
}

/// Frozen SQL with the dialect's placeholders as each backend spelled them.
fn spelled(sql: &str, sqlite: bool) -> String {
    let words: [(&str, &str, &str); 6] = [
        ("{blob}", "BLOB", "BYTEA"),
        ("{int}", "INTEGER", "BIGINT"),
        ("{id}", "INTEGER PRIMARY KEY", "BIGSERIAL PRIMARY KEY"),
        ("{dec}", "TEXT", "NUMERIC"),
        ("{bool}", "INTEGER", "BOOLEAN"),
        ("{rowid}", " WITHOUT ROWID", ""),
    ];
    words.iter().fold(sql.to_string(), |s, (p, lite, pg)| {
        s.replace(p, if sqlite { lite } else { pg })
    })
}

const TOKEN: &str = "an-old-terminal-token";

/// What an older build held: a terminal, an alert, a catalog item.
fn seed(raw: &mut Raw) {
    let at = "2026-01-01T00:00:00.000Z";
    let item = r#"{"id":"10001","name":"Café","price":"1.20","vat_rate":"20","unit":"piece","barcodes":[]}"#;
    let rows = headoffice::load::parse_json(&format!("[{item}]")).expect("item");
    let json = serde_json::to_string(&rows[0].item).expect("json");
    raw.batch(&format!(
        "INSERT INTO stores (store_id, created_at) VALUES ('S1', '{at}');
         INSERT INTO alerts (at, terminal_id, code, seq, detail) VALUES ('{at}', 'T01', 'chain_broken', 1, 'old');
         INSERT INTO catalog (store_id, item_id, version, item) VALUES ('', '10001', 1, '{json}');
         INSERT INTO catalog_versions (version, loaded_at, items) VALUES (1, '{at}', 1);"
    ));
    raw.exec(
        &format!(
            "INSERT INTO terminals (terminal_id, store_id, token_sha256, created_at, last_hash)
             VALUES ('T01', 'S1', $1, '{at}', $2)"
        ),
        &headoffice::token_sha256(TOKEN),
        &[0u8; 32],
    );
}

/// What this build reads and writes on a migrated database.
fn works(store: &dyn Store, seeded: bool) {
    let auth = TerminalAuth {
        terminal_id: "T01".into(),
        store_id: "S1".into(),
    };
    if seeded {
        assert_eq!(
            store
                .authenticate(&headoffice::token_sha256(TOKEN))
                .expect("auth"),
            Some(auth.clone())
        );
        let alerts = store.alerts().expect("alerts");
        assert_eq!(alerts.len(), 1, "{alerts:?}");
        assert_eq!(
            (alerts[0].code.as_str(), alerts[0].cleared_at.as_deref()),
            ("chain_broken", None)
        );
        let delta = store.catalog_since("S1", 0).expect("catalog");
        assert_eq!((delta.catalog_version, delta.items.len()), (1, 1));
    } else {
        register(store, "S1", "T01");
    }
    // Schema 2: thresholds, low-stock alerts, withdrawals.
    let mut rows = headoffice::load::parse_csv(
        "id,name,price,vat_rate,unit,low_stock\n10001,Café,1.20,20,piece,5\n",
    )
    .expect("csv");
    assert!(store.load_catalog(&rows).expect("load") >= 1);
    // Schema 3: read tokens.
    store
        .add_read_token("erp", headoffice::access::Role::Feed, &[7u8; 32])
        .expect("read token");
    // Back-office accounts.
    store
        .add_user(&headoffice::store::auth::NewBoUser {
            email: "owner@shop.fr",
            role: headoffice::store::auth::BoRole::Owner,
            store_id: None,
            password_hash: "x",
            created_at: "2026-01-01T00:00:00Z",
        })
        .expect("back-office user");
    let mut till = Till::new("T01", "S1", 3);
    till.push("stock_movement", stock_payload("3"));
    till.sale("1.20");
    let out = store.ingest(&auth, &till.events).expect("ingest");
    assert!(
        matches!(out, IngestOutcome::Acked { stored: 3, .. }),
        "{out:?}"
    );
    assert_eq!(alerts(store, "T01", "low_stock:10001"), 1);
    rows[0].deleted = true;
    store.load_catalog(&rows).expect("withdraw");
    assert_eq!(
        store.catalog_since("S1", 0).expect("catalog").removed.len(),
        1
    );
}

#[test]
fn every_older_schema_migrates_and_a_newer_one_is_refused() {
    on_both_backends(|db| {
        for version in 0..SCHEMA_VERSION {
            let url = db.another(&format!("v{version}"));
            let mut raw = Raw::open(&url);
            if version > 0 {
                raw.batch(&old_schema(&url, version));
                raw.set_version(version);
                seed(&mut raw);
            }
            drop(raw);
            let store = headoffice::store::open(&url)
                .unwrap_or_else(|e| panic!("{}: schema {version}: {e}", db.name));
            works(&*store, version > 0);
            drop(store);
            // Opening again changes nothing.
            let again = headoffice::store::open(&url).expect("reopen");
            assert_eq!(held(&*again, "T01"), (3, 3), "{}: v{version}", db.name);
        }

        // A newer head office's database is refused, and says what to do.
        let url = db.another("newer");
        drop(headoffice::store::open(&url).expect("create"));
        Raw::open(&url).set_version(SCHEMA_VERSION + 1);
        let err = headoffice::store::open(&url)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains(&format!("version {}", SCHEMA_VERSION + 1))
                && err.contains("upgrade headoffice"),
            "{}: {err:?}",
            db.name
        );
    });
}
