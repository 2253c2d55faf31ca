//! Shared by head office's integration tests: each backend (SQLite, and a
//! throwaway PostgreSQL when its binaries are installed), a server on
//! loopback, raw HTTP, and a till's chain built by hand (so a test can forge
//! what an attacker holding only the sync token would send).
#![allow(dead_code)]

use ed25519_dalek::{Signer, SigningKey};
use headoffice::access::Access;
use headoffice::http::{AppState, Limits};
use headoffice::store::Store;
use headoffice::testpg::TestPg;
use headoffice::web::BackOffice;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;
use sync_proto::{EventBatch, TailMarker};
use till_journal::chain::{record_hash, tail_message, RecordFields, GENESIS_PREV_HASH};
use till_journal::StoredEvent;

/// A database for one test: a SQLite file or a PostgreSQL database.
pub struct Db {
    pub name: &'static str,
    pub url: String,
    _pg: Option<TestPg>,
    _dir: tempfile::TempDir,
}

impl Db {
    pub fn store(&self) -> Arc<dyn Store> {
        headoffice::store::open(&self.url).expect("opening the store")
    }

    /// Another empty database of the same backend, named `name`.
    pub fn another(&self, name: &str) -> String {
        match &self._pg {
            Some(pg) => pg.create_db(name).expect("create database"),
            None => format!(
                "sqlite:{}",
                self._dir.path().join(format!("{name}.db")).display()
            ),
        }
    }
}

/// Runs `body` once on SQLite and once on PostgreSQL: the rules must not
/// depend on the backend. PostgreSQL is skipped loudly when not installed
/// (and fails under COMPTOIR_REQUIRE_TOOLS, as in CI).
pub fn on_both_backends(body: impl Fn(&Db)) {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite:{}", dir.path().join("ho.db").display());
    body(&Db {
        name: "sqlite",
        url,
        _pg: None,
        _dir: dir,
    });
    if !TestPg::available() {
        assert!(
            std::env::var_os("COMPTOIR_REQUIRE_TOOLS").is_none(),
            "PostgreSQL is required here (COMPTOIR_REQUIRE_TOOLS is set)"
        );
        eprintln!("\n*** SKIPPED on PostgreSQL: binaries not found (install postgresql or set PG_BIN) ***\n");
        return;
    }
    let pg = TestPg::start(&["fsync=off"]).expect("starting a throwaway PostgreSQL");
    let url = pg.create_db("headoffice").expect("create database");
    body(&Db {
        name: "postgres",
        url,
        _pg: Some(pg),
        _dir: tempfile::tempdir().expect("tempdir"),
    });
}

/// Head office served in this process on a loopback port.
pub struct Server {
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    pub fn start(store: Arc<dyn Store>, access: Access, limits: Limits) -> Server {
        Server::with_backoffice(store, access, limits, BackOffice::default())
    }

    /// [`Server::start`] with the back office's settings.
    pub fn with_backoffice(
        store: Arc<dyn Store>,
        access: Access,
        limits: Limits,
        backoffice: BackOffice,
    ) -> Server {
        let state = AppState {
            store,
            metrics: Arc::new(headoffice::metrics::Metrics::default()),
            limits,
            access,
            backoffice,
        };
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let l = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind");
                tx.send(l.local_addr().expect("addr")).expect("send addr");
                headoffice::serve(l, state, async {
                    let _ = stopped.await;
                })
                .await
                .expect("serve");
            });
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("server address");
        Server {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// Protected reads open to anyone, default limits.
    pub fn public(store: Arc<dyn Store>) -> Server {
        Server::start(store, Access::public(), Limits::default())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// One HTTP/1.1 request (Connection: close): (status, body).
pub fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    auth: Option<&str>,
    body: &[u8],
) -> (u16, String) {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if !body.is_empty() {
        req.push_str("Content-Type: application/json\r\n");
    }
    if let Some(a) = auth {
        req.push_str(&format!("Authorization: {a}\r\n"));
    }
    req.push_str("\r\n");
    // A server may answer (401, 413) and close before reading the whole
    // body, as HTTP allows: the write then fails with a broken pipe or a
    // reset, and the answer is still there to read.
    let sent = s.write_all(req.as_bytes()).and_then(|()| s.write_all(body));
    if let Err(e) = &sent {
        assert!(
            matches!(
                e.kind(),
                std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset
            ),
            "write request: {e}"
        );
    }
    let out = read_answer(&mut s);
    let out = String::from_utf8_lossy(&out).into_owned();
    let status = out
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {out:?}"));
    let body = out
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

/// Everything the server sent; a reset after the answer ends it like a close.
fn read_answer(s: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 64 * 1024];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return out,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset && !out.is_empty() => {
                return out
            }
            Err(e) => panic!("read answer: {e}"),
        }
    }
}

pub fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// Registers a terminal; returns its token.
pub fn register(store: &dyn Store, shop: &str, terminal: &str) -> String {
    let t = headoffice::new_token().expect("token");
    store
        .register_terminal(shop, terminal, &headoffice::token_sha256(&t))
        .expect("register");
    t
}

/// A till's journal built by hand: seq 1 is `terminal_initialised` with its key.
pub struct Till {
    pub terminal: String,
    pub shop: String,
    pub key: SigningKey,
    pub events: Vec<StoredEvent>,
}

pub const DAY: &str = "2026-11-23";

impl Till {
    pub fn new(terminal: &str, shop: &str, seed: u8) -> Till {
        Till::claiming(terminal, shop, terminal, shop, seed)
    }

    /// A till whose seq 1 claims `claimed_terminal` of `claimed_shop`.
    pub fn claiming(
        terminal: &str,
        shop: &str,
        claimed_terminal: &str,
        claimed_shop: &str,
        seed: u8,
    ) -> Till {
        let key = SigningKey::from_bytes(&[seed; 32]);
        let mut t = Till {
            terminal: terminal.into(),
            shop: shop.into(),
            key,
            events: Vec::new(),
        };
        let init = init_payload(claimed_terminal, claimed_shop, &t.key);
        t.push("terminal_initialised", init);
        t
    }

    pub fn head(&self) -> u64 {
        self.events.len() as u64
    }

    /// Appends an event, chained; a closing is signed with the till's key.
    pub fn push(&mut self, kind: &str, payload: Vec<u8>) -> u64 {
        let key = self.key.clone();
        self.push_signed(kind, payload, &key)
    }

    /// Appends an event; a closing is signed with `key`.
    pub fn push_signed(&mut self, kind: &str, payload: Vec<u8>, key: &SigningKey) -> u64 {
        let seq = self.head() + 1;
        let prev = self
            .events
            .last()
            .map(|e| e.hash)
            .unwrap_or(GENESIS_PREV_HASH);
        let ts = format!("{DAY}T10:{:02}:{:02}.000+01:00", (seq / 60) % 60, seq % 60);
        let hash = record_hash(
            &prev,
            &RecordFields {
                terminal_id: &self.terminal,
                seq,
                ts: &ts,
                kind,
                payload: &payload,
            },
        )
        .expect("hash");
        let signature = (kind == "closing").then(|| key.sign(&hash).to_bytes().to_vec());
        self.events.push(StoredEvent {
            terminal_id: self.terminal.clone(),
            seq,
            ts,
            kind: kind.into(),
            payload,
            prev_hash: prev,
            hash,
            signature,
        });
        seq
    }

    pub fn sale(&mut self, total: &str) -> u64 {
        self.push("sale_completed", sale_payload(total, "1"))
    }

    /// A daily closing over everything so far.
    pub fn closing(&mut self, key: &SigningKey) -> u64 {
        let last = self.head();
        let totals =
            serde_json::to_value(till_core::records::PeriodTotals::default()).expect("json");
        let p = serde_json::json!({
            "kind": "day", "period": DAY, "first_seq": 1, "last_seq": last,
            "totals": totals, "grand_total": "0.00", "grand_total_abs": "0.00",
            "operator": "m1", "counted": {}
        });
        self.push_signed("closing", serde_json::to_vec(&p).expect("json"), key)
    }

    /// The batch of seqs `from..=to`, with a tail marker of `to` signed by `key`.
    pub fn batch(&self, from: u64, to: u64, key: Option<&SigningKey>) -> Vec<u8> {
        let evs = &self.events[(from - 1) as usize..to as usize];
        let mut b = EventBatch::from_stored(&self.terminal, evs);
        if let (Some(k), Some(last)) = (key, evs.last()) {
            let msg = tail_message(&self.terminal, last.seq, &last.hash).expect("msg");
            b.tail = Some(TailMarker::new(
                last.seq,
                &last.hash,
                &k.sign(&msg).to_bytes(),
            ));
        }
        serde_json::to_vec(&b).expect("json")
    }

    /// The batch of every event after `after`, tail signed by the till's key.
    pub fn after(&self, after: u64) -> Vec<u8> {
        self.batch(after + 1, self.head(), Some(&self.key))
    }
}

pub fn init_payload(terminal: &str, shop: &str, key: &SigningKey) -> Vec<u8> {
    let t = till_core::records::TerminalInitialised {
        terminal_id: terminal.into(),
        shop_id: shop.into(),
        public_key: hex::encode(key.verifying_key().to_bytes()),
        software_version: "test".into(),
    };
    serde_json::to_vec(&t).expect("json")
}

/// A one-line cash sale of `total` (tax-inclusive, VAT 20 %, quantity `qty`).
pub fn sale_payload(total: &str, qty: &str) -> Vec<u8> {
    let p = serde_json::json!({
        "kind": "sale", "sale_no": "T01-000001", "business_day": DAY, "operator": "c1",
        "customer": null,
        "lines": [{"line_no": 1, "item_id": "10001", "barcode": null, "name": "Café",
                   "unit": "piece", "quantity": qty, "unit_price": total, "overridden_from": null,
                   "vat_rate": "20.00", "gross": total, "line_discount": "0.00",
                   "basket_discount": "0.00", "total": total, "stock_tracked": true}],
        "basket_discount": "0.00", "total": total, "rounding": "0.00",
        "vat": [{"rate": "20.00", "base": total, "tax": "0.00", "total": total}],
        "tenders": [{"kind": "cash", "amount": total, "reference": null, "card": null}],
        "change": "0.00", "reverses": null, "without_receipt": false, "approvals": [],
        "flags": [], "training": false
    });
    serde_json::to_vec(&p).expect("json")
}

/// A goods-received stock movement of `delta` pieces of item 10001.
pub fn stock_payload(delta: &str) -> Vec<u8> {
    let p = serde_json::json!({
        "reason": "goods_received", "reference": "BL-1", "other_shop": null, "operator": "m1",
        "lines": [{"item_id": "10001", "delta": delta, "counted": null}]
    });
    serde_json::to_vec(&p).expect("json")
}

/// The error code of a refusal body.
pub fn code(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["code"].as_str().map(str::to_string))
        .unwrap_or_else(|| format!("<no code in {body:?}>"))
}

/// (last_seq, events) head office holds for `terminal`.
pub fn held(store: &dyn Store, terminal: &str) -> (u64, u64) {
    let t = store.terminals().expect("terminals");
    let r = t
        .iter()
        .find(|r| r.terminal_id == terminal)
        .expect("terminal");
    (r.last_seq, r.events)
}

/// How many alerts of `code` were raised for `terminal`.
pub fn alerts(store: &dyn Store, terminal: &str, code: &str) -> usize {
    store
        .alerts()
        .expect("alerts")
        .iter()
        .filter(|a| a.terminal_id == terminal && a.code == code)
        .count()
}
