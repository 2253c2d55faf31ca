//! PostgreSQL's side of [`crate::store::dash`]: the dashboard's reads, and
//! the projection writes ingest makes for it ([`apply`], [`note_tail`]).

use super::PgStore;
use crate::ingest::Deltas;
use crate::store::dash::{
    u32_of, unusable_token, AlertAck, AlertRow, ClosingEvent, DashStore, Group, HourRow,
    TailSeenRow, TerminalRow, TotalsQuery,
};
use crate::store::{
    hash32, parse_dec, to_i64, to_u64, Alert, ClosingReceived, Result, SalesRow, TerminalAuth,
};
use postgres::{GenericClient, Row};
use till_journal::StoredEvent;

/// Ingest's part: the batch's hours (one statement) and the software
/// version declared.
pub(super) fn apply(c: &mut impl GenericClient, t: &TerminalAuth, d: &Deltas) -> Result<()> {
    if !d.hours.is_empty() {
        let days: Vec<&str> = d.hours.keys().map(|(day, _)| day.as_str()).collect();
        let hours: Vec<i64> = d.hours.keys().map(|(_, h)| i64::from(*h)).collect();
        let records: Vec<i64> = d.hours.values().map(|s| s.records).collect();
        let nets: Vec<String> = d.hours.values().map(|s| s.net.to_string()).collect();
        c.execute(
            "INSERT INTO terminal_hours (day, terminal_id, hour, store_id, records, net)
             SELECT u.day, $1, u.hour, $2, u.records, u.net::numeric
             FROM unnest($3::text[], $4::bigint[], $5::bigint[], $6::text[]) AS u(day, hour, records, net)
             ON CONFLICT (day, terminal_id, hour) DO UPDATE
             SET records = terminal_hours.records + EXCLUDED.records,
                 net = terminal_hours.net + EXCLUDED.net",
            &[&t.terminal_id, &t.store_id, &days, &hours, &records, &nets],
        )?;
    }
    if let Some(v) = &d.software_version {
        c.execute(
            "UPDATE terminals SET software_version = $2 WHERE terminal_id = $1",
            &[&t.terminal_id, v],
        )?;
    }
    Ok(())
}

/// Ingest's part: the tail marker a batch carried, and whether it verified.
pub(super) fn note_tail(
    c: &mut impl GenericClient,
    t: &TerminalAuth,
    seq: u64,
    ok: bool,
    at: &str,
) -> Result<()> {
    c.execute(
        "UPDATE terminals SET tail_seq = $2, tail_ok = $3, tail_at = $4 WHERE terminal_id = $1",
        &[&t.terminal_id, &to_i64(seq), &ok, &at],
    )?;
    Ok(())
}

fn sales_row(r: &Row) -> Result<SalesRow> {
    let amount: String = r.get(3);
    Ok(SalesRow {
        store_id: r.get(0),
        day: r.get(1),
        key: r.get(2),
        amount: parse_dec("sales_totals.amount", &amount)?,
    })
}

fn closing(r: &Row) -> Result<ClosingReceived> {
    let (a, b, g): (String, String, String) = (r.get(7), r.get(8), r.get(9));
    Ok(ClosingReceived {
        terminal_id: r.get(0),
        store_id: r.get(1),
        seq: to_u64(r.get(2)),
        kind: r.get(3),
        period: r.get(4),
        first_seq: to_u64(r.get(5)),
        last_seq: to_u64(r.get(6)),
        net_total: parse_dec("closings.net_total", &a)?,
        grand_total: parse_dec("closings.grand_total", &b)?,
        grand_total_abs: parse_dec("closings.grand_total_abs", &g)?,
    })
}

const CLOSING_COLS: &str = "c.terminal_id, c.store_id, c.seq, c.kind, c.period, c.first_seq, \
                            c.last_seq, c.net_total::text, c.grand_total::text, c.grand_total_abs::text";

const ALERT_SELECT: &str =
    "SELECT a.id, a.at, a.terminal_id, a.code, a.seq, a.detail, a.count, a.cleared_at,
            t.store_id, k.acked_at, k.acked_by, k.count
     FROM alerts a
     LEFT JOIN terminals t ON t.terminal_id = a.terminal_id
     LEFT JOIN alert_acks k ON k.alert_id = a.id";

fn alert_row(r: &Row) -> AlertRow {
    let acked_at: Option<String> = r.get(9);
    AlertRow {
        alert: Alert {
            id: r.get(0),
            at: r.get(1),
            terminal_id: r.get(2),
            code: r.get(3),
            seq: to_u64(r.get(4)),
            detail: r.get(5),
            count: to_u64(r.get(6)),
            cleared_at: r.get(7),
        },
        store_id: r.get(8),
        ack: acked_at.map(|at| AlertAck {
            at,
            by: r.get(10),
            count: to_u64(r.get(11)),
        }),
    }
}

fn limit_of(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

impl DashStore for PgStore {
    fn day_rows(&self, q: &TotalsQuery<'_>) -> Result<Vec<SalesRow>> {
        let mut c = self.conn()?;
        let rows = c.query(
            "SELECT store_id, day, key, amount::text FROM sales_totals
             WHERE day >= $2 AND day <= $3 AND ($1::text IS NULL OR store_id = $1)
               AND ($4::text IS NULL OR key = $4)
             ORDER BY store_id, day, key",
            &[&q.store_id, &q.from, &q.to, &q.key],
        )?;
        rows.iter().map(sales_row).collect()
    }

    fn sums(&self, q: &TotalsQuery<'_>, group: Group) -> Result<Vec<SalesRow>> {
        let mut c = self.conn()?;
        let (cols, by) = match group {
            Group::Key => ("''::text, ''::text", "key"),
            Group::StoreKey => ("store_id, ''::text", "store_id, key"),
            Group::DayKey => ("''::text, day", "day, key"),
        };
        let sql = format!(
            "SELECT {cols}, key, sum(amount)::text FROM sales_totals
             WHERE day >= $2 AND day <= $3 AND ($1::text IS NULL OR store_id = $1)
               AND ($4::text IS NULL OR key = $4)
             GROUP BY {by} ORDER BY {by}"
        );
        let rows = c.query(&sql, &[&q.store_id, &q.from, &q.to, &q.key])?;
        rows.iter().map(sales_row).collect()
    }

    fn hours(&self, day: &str, store_id: Option<&str>) -> Result<Vec<HourRow>> {
        let mut c = self.conn()?;
        let rows = c.query(
            "SELECT terminal_id, store_id, hour, records, net::text FROM terminal_hours
             WHERE day = $1 AND ($2::text IS NULL OR store_id = $2) ORDER BY terminal_id, hour",
            &[&day, &store_id],
        )?;
        rows.iter()
            .map(|r| {
                let net: String = r.get(4);
                Ok(HourRow {
                    terminal_id: r.get(0),
                    store_id: r.get(1),
                    hour: u32_of(r.get(2)),
                    records: r.get(3),
                    net: parse_dec("terminal_hours.net", &net)?,
                })
            })
            .collect()
    }

    fn dash_terminals(&self, store_id: Option<&str>) -> Result<Vec<TerminalRow>> {
        let mut c = self.conn()?;
        let rows = c.query(
            "SELECT terminal_id, store_id, last_seq, last_seen, last_event_ts, software_version,
                    revoked_at, tail_seq, tail_at, tail_ok
             FROM terminals WHERE ($1::text IS NULL OR store_id = $1) ORDER BY store_id, terminal_id",
            &[&store_id],
        )?;
        Ok(rows
            .iter()
            .map(|r| {
                let tail_seq: Option<i64> = r.get(7);
                let tail_at: Option<String> = r.get(8);
                let tail_ok: Option<bool> = r.get(9);
                TerminalRow {
                    terminal_id: r.get(0),
                    store_id: r.get(1),
                    last_seq: to_u64(r.get(2)),
                    last_seen: r.get(3),
                    last_event_ts: r.get(4),
                    software_version: r.get(5),
                    revoked_at: r.get(6),
                    tail: match (tail_seq, tail_at, tail_ok) {
                        (Some(seq), Some(at), Some(ok)) => Some(TailSeenRow {
                            seq: to_u64(seq),
                            at,
                            ok,
                        }),
                        _ => None,
                    },
                }
            })
            .collect())
    }

    fn closed_on(&self, day: &str, store_id: Option<&str>) -> Result<Vec<String>> {
        let mut c = self.conn()?;
        let rows = c.query(
            "SELECT DISTINCT terminal_id FROM closings
             WHERE period = $1 AND kind = 'day' AND ($2::text IS NULL OR store_id = $2)
             ORDER BY terminal_id",
            &[&day, &store_id],
        )?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    fn closing_events(&self, store_id: Option<&str>, limit: usize) -> Result<Vec<ClosingEvent>> {
        // The page's closings first (index `closings_newest`), then their
        // events: joined before the limit, every closing's event was read.
        let mut c = self.conn()?;
        let sql = format!(
            "SELECT {CLOSING_COLS}, t.public_key,
                    e.ts, e.kind, e.payload, e.prev_hash, e.hash, e.signature
             FROM (SELECT * FROM closings
                   WHERE ($1::text IS NULL OR store_id = $1)
                   ORDER BY period DESC, terminal_id, seq DESC LIMIT $2) c
             LEFT JOIN terminals t ON t.terminal_id = c.terminal_id
             LEFT JOIN events e ON e.terminal_id = c.terminal_id AND e.seq = c.seq
             ORDER BY c.period DESC, c.terminal_id, c.seq DESC"
        );
        let rows = c.query(&sql, &[&store_id, &limit_of(limit)])?;
        rows.iter()
            .map(|r| {
                let closing = closing(r)?;
                let ts: Option<String> = r.get(11);
                let event = match ts {
                    Some(ts) => Some(StoredEvent {
                        terminal_id: closing.terminal_id.clone(),
                        seq: closing.seq,
                        ts,
                        kind: r.get(12),
                        payload: r.get(13),
                        prev_hash: hash32("events.prev_hash", r.get(14))?,
                        hash: hash32("events.hash", r.get(15))?,
                        signature: r.get(16),
                    }),
                    None => None,
                };
                Ok(ClosingEvent {
                    closing,
                    event,
                    public_key: r.get(10),
                })
            })
            .collect()
    }

    fn grand_totals(&self, store_id: Option<&str>) -> Result<Vec<ClosingReceived>> {
        let mut c = self.conn()?;
        let sql = format!(
            "SELECT {CLOSING_COLS} FROM terminals t
             JOIN closings c ON c.terminal_id = t.terminal_id
              AND c.seq = (SELECT max(seq) FROM closings m WHERE m.terminal_id = t.terminal_id)
             WHERE ($1::text IS NULL OR t.store_id = $1)
             ORDER BY c.store_id, c.terminal_id"
        );
        let rows = c.query(&sql, &[&store_id])?;
        rows.iter().map(closing).collect()
    }

    fn dash_alerts(&self, store_id: Option<&str>, limit: usize) -> Result<Vec<AlertRow>> {
        let mut c = self.conn()?;
        let sql = format!(
            "{ALERT_SELECT} WHERE ($1::text IS NULL OR t.store_id = $1) ORDER BY a.id DESC LIMIT $2"
        );
        let rows = c.query(&sql, &[&store_id, &limit_of(limit)])?;
        Ok(rows.iter().map(alert_row).collect())
    }

    fn dash_alert(&self, id: i64) -> Result<Option<AlertRow>> {
        let mut c = self.conn()?;
        let sql = format!("{ALERT_SELECT} WHERE a.id = $1");
        Ok(c.query_opt(&sql, &[&id])?.as_ref().map(alert_row))
    }

    fn ack_alert(&self, id: i64, by: &str, at: &str) -> Result<bool> {
        let mut c = self.conn()?;
        let n = c.execute(
            "INSERT INTO alert_acks (alert_id, count, acked_at, acked_by)
             SELECT id, count, $2, $3 FROM alerts WHERE id = $1
             ON CONFLICT (alert_id) DO UPDATE
             SET count = EXCLUDED.count, acked_at = EXCLUDED.acked_at, acked_by = EXCLUDED.acked_by",
            &[&id, &at, &by],
        )?;
        Ok(n > 0)
    }

    fn revoke_terminal(&self, terminal_id: &str, at: &str) -> Result<bool> {
        let mut c = self.conn()?;
        let n = c.execute(
            "UPDATE terminals SET token_sha256 = $2, revoked_at = $3 WHERE terminal_id = $1",
            &[&terminal_id, &&unusable_token()?[..], &at],
        )?;
        Ok(n > 0)
    }
}
