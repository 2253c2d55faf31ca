//! One terminal's journal, made as the till makes it: chained records
//! (`till_journal::chain`), a signed Z closing each past day, the
//! terminal's key declared by its first event. The payloads are the till's
//! serialisation of its records (the field order `SaleRecord` writes), so
//! ingest reads them by the same scanner as a real till's.
//!
//! The mix, per terminal and business day: sales of two lines (VAT 20 %
//! and 5.5 %) from the whole catalog, paid by card, cash or cheque; one
//! event in 50 an abandoned basket (the Rules page's projection); one sale
//! in 997 flagged `basket_above_average` by the till (a fraud alert); the
//! day's Z at 20:00, except today's (the shop is open).

use anyhow::Result;
use chrono::{Duration as Days, NaiveDate};
use ed25519_dalek::{Signer, SigningKey};
use headoffice::store::TerminalAuth;
use till_journal::chain::{record_hash, RecordFields, GENESIS_PREV_HASH};
use till_journal::StoredEvent;

/// The shape of the whole data set.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub terminals: usize,
    pub stores: usize,
    /// Events in all (spread evenly over the terminals).
    pub events: u64,
    pub days: i64,
    pub items: usize,
}

impl Shape {
    pub fn terminal(&self, t: usize) -> TerminalAuth {
        TerminalAuth {
            terminal_id: format!("T{t:04}"),
            store_id: format!("S{:03}", t % self.stores.max(1)),
        }
    }

    /// Sales (and abandoned baskets) per terminal and day: what is left of
    /// its share once its first event and its Zs are counted.
    fn per_day(&self) -> u64 {
        let per_terminal = self.events / self.terminals.max(1) as u64;
        let days = self.days.max(1) as u64;
        (per_terminal.saturating_sub(days) / days).max(1)
    }
}

/// One terminal's chain as it is being written.
pub struct Gen {
    pub auth: TerminalAuth,
    key: SigningKey,
    prev: [u8; 32],
    seq: u64,
}

impl Gen {
    pub fn new(auth: TerminalAuth, t: usize) -> Gen {
        let mut seed = [0u8; 32];
        seed[..8].copy_from_slice(&(t as u64 + 1).to_le_bytes());
        Gen {
            auth,
            key: SigningKey::from_bytes(&seed),
            prev: GENESIS_PREV_HASH,
            seq: 0,
        }
    }

    fn event(&mut self, ts: String, kind: &str, payload: Vec<u8>) -> Result<StoredEvent> {
        self.seq += 1;
        let hash = record_hash(
            &self.prev,
            &RecordFields {
                terminal_id: &self.auth.terminal_id,
                seq: self.seq,
                ts: &ts,
                kind,
                payload: &payload,
            },
        )
        .map_err(|e| anyhow::anyhow!("hash: {e:?}"))?;
        let signature = (kind == "closing").then(|| self.key.sign(&hash).to_bytes().to_vec());
        let e = StoredEvent {
            terminal_id: self.auth.terminal_id.clone(),
            seq: self.seq,
            ts,
            kind: kind.into(),
            payload,
            prev_hash: self.prev,
            hash,
            signature,
        };
        self.prev = hash;
        Ok(e)
    }
}

fn line(no: u32, item: usize, total: &str, rate: &str) -> String {
    format!(
        r#"{{"line_no":{no},"item_id":"I{item:06}","barcode":null,"name":"Article {item}","unit":"piece","quantity":"1","unit_price":"{total}","overridden_from":null,"vat_rate":"{rate}","gross":"{total}","line_discount":"0.00","basket_discount":"0.00","total":"{total}","stock_tracked":true}}"#
    )
}

/// The two items of sale `n` (spread over the whole catalog).
fn items_of(n: u64, items: usize) -> (usize, usize) {
    let items = items.max(1) as u64;
    (
        (n.wrapping_mul(7919) % items) as usize,
        (n.wrapping_mul(104_729).wrapping_add(13) % items) as usize,
    )
}

/// A two-line sale of `day` (VAT 20 % and 5.5 %).
fn sale(term: &str, day: NaiveDate, n: u64, items: usize) -> Vec<u8> {
    let (a, b) = items_of(n, items);
    let tender = match n % 7 {
        0 | 3 => "cash",
        5 => "cheque",
        _ => "card",
    };
    let flags = if n.is_multiple_of(997) {
        r#"["basket_above_average"]"#
    } else {
        "[]"
    };
    format!(
        r#"{{"kind":"sale","sale_no":"{term}-{n:06}","business_day":"{day}","operator":"c{}","customer":null,"lines":[{},{}],"basket_discount":"0.00","total":"14.11","rounding":"0.00","vat":[{{"rate":"5.50","base":"2.00","tax":"0.11","total":"2.11"}},{{"rate":"20.00","base":"10.00","tax":"2.00","total":"12.00"}}],"tenders":[{{"kind":"{tender}","amount":"14.11","reference":null,"card":null}}],"change":"0.00","reverses":null,"without_receipt":false,"approvals":[],"flags":{flags},"training":false}}"#,
        n % 3 + 1,
        line(1, a, "12.00", "20.00"),
        line(2, b, "2.11", "5.50")
    )
    .into_bytes()
}

fn abandoned(day: NaiveDate, n: u64) -> Vec<u8> {
    format!(
        r#"{{"operator":"c{}","business_day":"{day}","lines":[],"total":"8.40","approved_by":null,"training":false}}"#,
        n % 3 + 1
    )
    .into_bytes()
}

fn closing(day: NaiveDate, first: u64, last: u64) -> Result<Vec<u8>> {
    let totals = serde_json::to_value(till_core::records::PeriodTotals::default())?;
    Ok(serde_json::to_vec(&serde_json::json!({
        "kind": "day", "period": day.to_string(), "first_seq": first, "last_seq": last,
        "totals": totals, "grand_total": "0.00", "grand_total_abs": "0.00",
        "operator": "m1", "counted": {}
    }))?)
}

fn hex_of(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Terminal `t`'s whole journal over the `shape.days` days ending `today`:
/// (the events before today, today's events).
pub fn journal(
    shape: &Shape,
    t: usize,
    today: NaiveDate,
) -> Result<(Vec<StoredEvent>, Vec<StoredEvent>)> {
    let auth = shape.terminal(t);
    let mut g = Gen::new(auth.clone(), t);
    let days = shape.days.max(1);
    let per_day = shape.per_day();
    let first_day = today - Days::days(days - 1);
    let init = serde_json::to_vec(&till_core::records::TerminalInitialised {
        terminal_id: auth.terminal_id.clone(),
        shop_id: auth.store_id.clone(),
        public_key: hex_of(&g.key.verifying_key().to_bytes()),
        software_version: "0.1.0".into(),
    })?;
    let mut past = vec![g.event(
        format!("{first_day}T08:00:00.000+01:00"),
        "terminal_initialised",
        init,
    )?];
    let mut now = Vec::new();
    for d in 0..days {
        let day = first_day + Days::days(d);
        let out = if day < today { &mut past } else { &mut now };
        let first = g.seq + 1;
        for i in 0..per_day {
            // Unique per terminal and sale: the receipt number and the items.
            let n = (t as u64) * per_day * days as u64 + d as u64 * per_day + i + 1;
            let secs = 9 * 3600 + i * (10 * 3600) / per_day;
            let ts = format!(
                "{day}T{:02}:{:02}:{:02}.000+01:00",
                secs / 3600,
                secs / 60 % 60,
                secs % 60
            );
            out.push(if n.is_multiple_of(50) {
                g.event(ts, "basket_abandoned", abandoned(day, n))?
            } else {
                g.event(
                    ts,
                    "sale_completed",
                    sale(&auth.terminal_id, day, n, shape.items),
                )?
            });
        }
        if day < today {
            let last = g.seq;
            out.push(g.event(
                format!("{day}T20:00:00.000+01:00"),
                "closing",
                closing(day, first, last)?,
            )?);
        }
    }
    Ok((past, now))
}
