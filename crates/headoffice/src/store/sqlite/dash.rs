//! SQLite's side of [`crate::store::dash`]: the dashboard's reads, the
//! `dec_sum` aggregate (exact sums of decimal texts), and the projection
//! writes ingest makes for it ([`apply`], [`note_tail`]).

use super::SqliteStore;
use crate::ingest::Deltas;
use crate::store::dash::{
    u32_of, unusable_token, AlertAck, AlertRow, ClosingEvent, DashStore, Group, HourRow,
    TailSeenRow, TerminalRow, TotalsQuery,
};
use crate::store::{
    hash32, parse_dec, to_i64, to_u64, Alert, ClosingReceived, Result, SalesRow, TerminalAuth,
};
use rusqlite::functions::{Aggregate, Context, FunctionFlags};
use rusqlite::{params, Connection, OptionalExtension, Row};
use rust_decimal::Decimal;
use till_journal::StoredEvent;

/// `dec_sum(x)`: the exact sum of decimal texts (NULL over no row).
struct DecSum;

impl Aggregate<Decimal, Option<String>> for DecSum {
    fn init(&self, _: &mut Context<'_>) -> rusqlite::Result<Decimal> {
        Ok(Decimal::ZERO)
    }

    fn step(&self, ctx: &mut Context<'_>, acc: &mut Decimal) -> rusqlite::Result<()> {
        let s = ctx.get_raw(0).as_str().map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
        })?;
        let v: Decimal = s.parse().map_err(|_| {
            rusqlite::Error::UserFunctionError(format!("{s:?} is not a decimal").into())
        })?;
        *acc = acc
            .checked_add(v)
            .ok_or_else(|| rusqlite::Error::UserFunctionError("decimal overflow".into()))?;
        Ok(())
    }

    fn finalize(
        &self,
        _: &mut Context<'_>,
        acc: Option<Decimal>,
    ) -> rusqlite::Result<Option<String>> {
        Ok(acc.map(|v| v.to_string()))
    }
}

/// Registers `dec_sum` on a connection.
pub(super) fn register(conn: &Connection) -> Result<()> {
    conn.create_aggregate_function(
        "dec_sum",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        DecSum,
    )?;
    Ok(())
}

/// Ingest's part: the batch's hours and the software version declared.
pub(super) fn apply(c: &Connection, t: &TerminalAuth, d: &Deltas) -> Result<()> {
    if !d.hours.is_empty() {
        let mut put = c.prepare_cached(
            "INSERT INTO terminal_hours (day, terminal_id, hour, store_id, records, net)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (day, terminal_id, hour) DO UPDATE
             SET records = records + excluded.records, net = dec_add(net, excluded.net)",
        )?;
        for ((day, hour), s) in &d.hours {
            put.execute(params![
                day,
                t.terminal_id,
                hour,
                t.store_id,
                s.records,
                s.net.to_string()
            ])?;
        }
    }
    if let Some(v) = &d.software_version {
        c.prepare_cached("UPDATE terminals SET software_version = ?2 WHERE terminal_id = ?1")?
            .execute(params![t.terminal_id, v])?;
    }
    Ok(())
}

/// Ingest's part: the tail marker a batch carried, and whether it verified.
pub(super) fn note_tail(
    c: &Connection,
    t: &TerminalAuth,
    seq: u64,
    ok: bool,
    at: &str,
) -> Result<()> {
    c.prepare_cached(
        "UPDATE terminals SET tail_seq = ?2, tail_ok = ?3, tail_at = ?4 WHERE terminal_id = ?1",
    )?
    .execute(params![t.terminal_id, to_i64(seq), ok, at])?;
    Ok(())
}

fn sales_row(r: &Row<'_>) -> Result<SalesRow> {
    let amount: String = r.get(3)?;
    Ok(SalesRow {
        store_id: r.get(0)?,
        day: r.get(1)?,
        key: r.get(2)?,
        amount: parse_dec("sales_totals.amount", &amount)?,
    })
}

fn closing(r: &Row<'_>) -> Result<ClosingReceived> {
    let (a, b, g): (String, String, String) = (r.get(7)?, r.get(8)?, r.get(9)?);
    Ok(ClosingReceived {
        terminal_id: r.get(0)?,
        store_id: r.get(1)?,
        seq: to_u64(r.get(2)?),
        kind: r.get(3)?,
        period: r.get(4)?,
        first_seq: to_u64(r.get(5)?),
        last_seq: to_u64(r.get(6)?),
        net_total: parse_dec("closings.net_total", &a)?,
        grand_total: parse_dec("closings.grand_total", &b)?,
        grand_total_abs: parse_dec("closings.grand_total_abs", &g)?,
    })
}

const CLOSING_COLS: &str = "c.terminal_id, c.store_id, c.seq, c.kind, c.period, c.first_seq, \
                            c.last_seq, c.net_total, c.grand_total, c.grand_total_abs";

const ALERT_SELECT: &str =
    "SELECT a.id, a.at, a.terminal_id, a.code, a.seq, a.detail, a.count, a.cleared_at,
            t.store_id, k.acked_at, k.acked_by, k.count
     FROM alerts a
     LEFT JOIN terminals t ON t.terminal_id = a.terminal_id
     LEFT JOIN alert_acks k ON k.alert_id = a.id";

fn alert_row(r: &Row<'_>) -> rusqlite::Result<AlertRow> {
    let acked_at: Option<String> = r.get(9)?;
    Ok(AlertRow {
        alert: Alert {
            id: r.get(0)?,
            at: r.get(1)?,
            terminal_id: r.get(2)?,
            code: r.get(3)?,
            seq: to_u64(r.get(4)?),
            detail: r.get(5)?,
            count: to_u64(r.get(6)?),
            cleared_at: r.get(7)?,
        },
        store_id: r.get(8)?,
        ack: match acked_at {
            Some(at) => Some(AlertAck {
                at,
                by: r.get(10)?,
                count: to_u64(r.get(11)?),
            }),
            None => None,
        },
    })
}

impl DashStore for SqliteStore {
    fn day_rows(&self, q: &TotalsQuery<'_>) -> Result<Vec<SalesRow>> {
        let c = self.lock()?;
        // One key: read through its (key, day) index, not every key of the days.
        let mut st = c.prepare_cached(if q.key.is_some() {
            "SELECT store_id, day, key, amount FROM sales_totals
             WHERE key = ?4 AND day >= ?2 AND day <= ?3 AND (?1 IS NULL OR store_id = ?1)
             ORDER BY store_id, day, key"
        } else {
            "SELECT store_id, day, key, amount FROM sales_totals
             WHERE day >= ?2 AND day <= ?3 AND (?1 IS NULL OR store_id = ?1) AND ?4 IS NULL
             ORDER BY store_id, day, key"
        })?;
        let mut rows = st.query(params![q.store_id, q.from, q.to, q.key])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(sales_row(r)?);
        }
        Ok(out)
    }

    fn sums(&self, q: &TotalsQuery<'_>, group: Group) -> Result<Vec<SalesRow>> {
        let c = self.lock()?;
        let (cols, by) = match group {
            Group::Key => ("'', ''", "key"),
            Group::StoreKey => ("store_id, ''", "store_id, key"),
            Group::DayKey => ("'', day", "day, key"),
        };
        let sql = format!(
            "SELECT {cols}, key, dec_sum(amount) FROM sales_totals
             WHERE day >= ?2 AND day <= ?3 AND (?1 IS NULL OR store_id = ?1)
               AND (?4 IS NULL OR key = ?4)
             GROUP BY {by} ORDER BY {by}"
        );
        let mut st = c.prepare_cached(&sql)?;
        let mut rows = st.query(params![q.store_id, q.from, q.to, q.key])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(sales_row(r)?);
        }
        Ok(out)
    }

    fn hours(&self, day: &str, store_id: Option<&str>) -> Result<Vec<HourRow>> {
        let c = self.lock()?;
        let mut st = c.prepare_cached(
            "SELECT terminal_id, store_id, hour, records, net FROM terminal_hours
             WHERE day = ?1 AND (?2 IS NULL OR store_id = ?2) ORDER BY terminal_id, hour",
        )?;
        let mut rows = st.query(params![day, store_id])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let net: String = r.get(4)?;
            out.push(HourRow {
                terminal_id: r.get(0)?,
                store_id: r.get(1)?,
                hour: u32_of(r.get(2)?),
                records: r.get(3)?,
                net: parse_dec("terminal_hours.net", &net)?,
            });
        }
        Ok(out)
    }

    fn dash_terminals(&self, store_id: Option<&str>) -> Result<Vec<TerminalRow>> {
        let c = self.lock()?;
        let mut st = c.prepare_cached(
            "SELECT terminal_id, store_id, last_seq, last_seen, last_event_ts, software_version,
                    revoked_at, tail_seq, tail_at, tail_ok
             FROM terminals WHERE (?1 IS NULL OR store_id = ?1) ORDER BY store_id, terminal_id",
        )?;
        let rows = st.query_map(params![store_id], |r| {
            let tail_seq: Option<i64> = r.get(7)?;
            let tail_at: Option<String> = r.get(8)?;
            let tail_ok: Option<bool> = r.get(9)?;
            Ok(TerminalRow {
                terminal_id: r.get(0)?,
                store_id: r.get(1)?,
                last_seq: to_u64(r.get(2)?),
                last_seen: r.get(3)?,
                last_event_ts: r.get(4)?,
                software_version: r.get(5)?,
                revoked_at: r.get(6)?,
                tail: match (tail_seq, tail_at, tail_ok) {
                    (Some(seq), Some(at), Some(ok)) => Some(TailSeenRow {
                        seq: to_u64(seq),
                        at,
                        ok,
                    }),
                    _ => None,
                },
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn closed_on(&self, day: &str, store_id: Option<&str>) -> Result<Vec<String>> {
        let c = self.lock()?;
        let mut st = c.prepare_cached(
            "SELECT DISTINCT terminal_id FROM closings
             WHERE period = ?1 AND kind = 'day' AND (?2 IS NULL OR store_id = ?2)
             ORDER BY terminal_id",
        )?;
        let rows = st.query_map(params![day, store_id], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<Vec<String>>>()?)
    }

    fn closing_events(&self, store_id: Option<&str>, limit: usize) -> Result<Vec<ClosingEvent>> {
        // The page's closings first (index `closings_newest`), then their
        // events: joined before the limit, every closing's event was read.
        let c = self.lock()?;
        let sql = format!(
            "SELECT {CLOSING_COLS}, t.public_key,
                    e.ts, e.kind, e.payload, e.prev_hash, e.hash, e.signature
             FROM (SELECT * FROM closings
                   WHERE (?1 IS NULL OR store_id = ?1)
                   ORDER BY period DESC, terminal_id, seq DESC LIMIT ?2) c
             LEFT JOIN terminals t ON t.terminal_id = c.terminal_id
             LEFT JOIN events e ON e.terminal_id = c.terminal_id AND e.seq = c.seq
             ORDER BY c.period DESC, c.terminal_id, c.seq DESC"
        );
        let mut st = c.prepare_cached(&sql)?;
        let mut rows = st.query(params![store_id, to_i64(limit as u64)])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let closing = closing(r)?;
            let ts: Option<String> = r.get(11)?;
            let event = match ts {
                Some(ts) => {
                    let prev: Vec<u8> = r.get(14)?;
                    let hash: Vec<u8> = r.get(15)?;
                    Some(StoredEvent {
                        terminal_id: closing.terminal_id.clone(),
                        seq: closing.seq,
                        ts,
                        kind: r.get(12)?,
                        payload: r.get(13)?,
                        prev_hash: hash32("events.prev_hash", &prev)?,
                        hash: hash32("events.hash", &hash)?,
                        signature: r.get(16)?,
                    })
                }
                None => None,
            };
            out.push(ClosingEvent {
                closing,
                event,
                public_key: r.get(10)?,
            });
        }
        Ok(out)
    }

    fn grand_totals(&self, store_id: Option<&str>) -> Result<Vec<ClosingReceived>> {
        let c = self.lock()?;
        let sql = format!(
            "SELECT {CLOSING_COLS} FROM terminals t
             JOIN closings c ON c.terminal_id = t.terminal_id
              AND c.seq = (SELECT max(seq) FROM closings m WHERE m.terminal_id = t.terminal_id)
             WHERE (?1 IS NULL OR t.store_id = ?1)
             ORDER BY c.store_id, c.terminal_id"
        );
        let mut st = c.prepare_cached(&sql)?;
        let mut rows = st.query(params![store_id])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(closing(r)?);
        }
        Ok(out)
    }

    fn dash_alerts(&self, store_id: Option<&str>, limit: usize) -> Result<Vec<AlertRow>> {
        let c = self.lock()?;
        let sql = format!(
            "{ALERT_SELECT} WHERE (?1 IS NULL OR t.store_id = ?1) ORDER BY a.id DESC LIMIT ?2"
        );
        let mut st = c.prepare_cached(&sql)?;
        let rows = st.query_map(params![store_id, to_i64(limit as u64)], alert_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn dash_alert(&self, id: i64) -> Result<Option<AlertRow>> {
        let c = self.lock()?;
        let sql = format!("{ALERT_SELECT} WHERE a.id = ?1");
        let r = c
            .prepare_cached(&sql)?
            .query_row([id], alert_row)
            .optional()?;
        Ok(r)
    }

    fn ack_alert(&self, id: i64, by: &str, at: &str) -> Result<bool> {
        let c = self.lock()?;
        let n = c.execute(
            "INSERT INTO alert_acks (alert_id, count, acked_at, acked_by)
             SELECT id, count, ?2, ?3 FROM alerts WHERE id = ?1 AND true
             ON CONFLICT (alert_id) DO UPDATE
             SET count = excluded.count, acked_at = excluded.acked_at, acked_by = excluded.acked_by",
            params![id, at, by],
        )?;
        Ok(n > 0)
    }

    fn revoke_terminal(&self, terminal_id: &str, at: &str) -> Result<bool> {
        let c = self.lock()?;
        let n = c.execute(
            "UPDATE terminals SET token_sha256 = ?2, revoked_at = ?3 WHERE terminal_id = ?1",
            params![terminal_id, &unusable_token()?[..], at],
        )?;
        Ok(n > 0)
    }
}
