//! The HTTP API (axum). Handlers validate everything that needs no database
//! first (credential shape, JSON, version, terminal, seq order, encodings), then
//! run the blocking store call on `spawn_blocking`. Every refusal is an
//! [`ErrorBody`] with a machine-readable code; nothing is stored on a refusal.

mod customers;
mod rules;

use crate::access::{ct_eq, Access, Resource};
use crate::feed;
use crate::ingest::{RefusalCode, TailSeen};
use crate::metrics::Metrics;
use crate::store::{IngestOutcome, Store, StoreError, TerminalAuth};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::{Duration, Instant};
use sync_proto::{Ack, ErrorBody, ErrorCode, EventBatchRef, PROTOCOL_VERSION};
use till_journal::StoredEvent;

/// Limits of the HTTP layer: requests and connections.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest request body accepted (bytes).
    pub max_body_bytes: usize,
    /// Most events in one batch.
    pub max_batch_events: usize,
    /// A request's headers must arrive within this, counted from the
    /// connection's start or the end of its previous request.
    pub header_read_timeout: Duration,
    /// A connection that moves no byte for this long while head office waits
    /// for the client (a stalled body, an idle keep-alive) is closed.
    pub idle_timeout: Duration,
    /// Most connections served at once; more wait in the listen queue until
    /// one ends (the timeouts above make sure one does).
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 16 * 1024 * 1024,
            max_batch_events: 10_000,
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections: 512,
        }
    }
}

/// Shared by every handler.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub metrics: Arc<Metrics>,
    pub limits: Limits,
    /// Who reads reports, the feed and the metrics.
    pub access: Access,
    /// The back office's sessions and login limits.
    pub backoffice: crate::web::BackOffice,
}

/// A refusal: status and body.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: ErrorBody,
}

impl ApiError {
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            body: ErrorBody {
                code,
                message: message.into(),
                expected_seq: None,
            },
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %e, "store failed");
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Internal,
            e.to_string(),
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}

type ApiResult<T> = Result<T, ApiError>;

/// The routes of head office.
pub fn router(state: AppState) -> Router {
    let limit = state.limits.max_body_bytes;
    Router::new()
        .route("/v1/events", post(push_events))
        .route("/v1/catalog", get(catalog))
        .route("/v1/reports/sales", get(report_sales))
        .route("/v1/reports/stock", get(report_stock))
        .route("/v1/reports/terminals", get(report_terminals))
        .route("/v1/reports/closings", get(report_closings))
        .route("/v1/reports/alerts", get(report_alerts))
        .route("/v1/reports/abandoned", get(rules::report_abandoned))
        .route("/v1/rules", get(rules::rules))
        .route("/v1/customers", get(customers::customers))
        .route("/v1/feed", get(get_feed))
        .route("/v1/openapi.json", get(openapi))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .merge(crate::web::router())
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state)
}

/// Runs a blocking store call off the async workers.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> ApiResult<T> {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r.map_err(ApiError::from),
        Err(e) => Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Internal,
            format!("store task failed: {e}"),
        )),
    }
}

fn bearer(headers: &HeaderMap) -> ApiResult<[u8; 32]> {
    let unauthorized =
        |m: &str| ApiError::new(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized, m);
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or_else(|| unauthorized("missing Authorization: Bearer <token>"))?;
    let value = value
        .to_str()
        .map_err(|_| unauthorized("Authorization header is not text"))?;
    // The scheme is case-insensitive (RFC 9110 11.1): "bearer" is "Bearer".
    let token = value
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim())
        .filter(|t| !t.is_empty())
        .ok_or_else(|| unauthorized("Authorization must be \"Bearer <token>\""))?;
    Ok(Sha256::digest(token.as_bytes()).into())
}

async fn terminal_auth(state: &AppState, headers: &HeaderMap) -> ApiResult<TerminalAuth> {
    let h = bearer(headers)?;
    let store = state.store.clone();
    blocking(move || store.authenticate(&h))
        .await?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                ErrorCode::Unauthorized,
                "unknown terminal credential",
            )
        })
}

/// Lets a read request through: `public_reports`, the admin token, or a
/// read token whose role reaches `what`.
async fn read_auth(state: &AppState, headers: &HeaderMap, what: Resource) -> ApiResult<()> {
    if state.access.public_reports {
        return Ok(());
    }
    let got = bearer(headers).map_err(|mut e| {
        e.body.message = format!(
            "{} need a read token (headoffice token add): {}",
            what.as_str(),
            e.body.message
        );
        e
    })?;
    if let Some(want) = state.access.admin_token_sha256 {
        if ct_eq(&got, &want) {
            return Ok(());
        }
    }
    let store = state.store.clone();
    // Looked up by SHA-256: timing can only tell about a hash, not the token.
    match blocking(move || store.read_token_role(&got)).await? {
        Some(role) if role.allows(what) => Ok(()),
        Some(role) => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
            format!("a {} token does not read {}", role.as_str(), what.as_str()),
        )),
        None => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthorized,
            format!("unknown read credential for {}", what.as_str()),
        )),
    }
}

/// A batch parsed and checked: its events and the tail marker it carried.
type Parsed = (Vec<StoredEvent>, Option<TailSeen>);

/// Parses and checks a batch without touching the store.
fn parse_batch(state: &AppState, body: &[u8], auth: &TerminalAuth) -> ApiResult<Parsed> {
    let batch: EventBatchRef<'_> = match serde_json::from_slice(body) {
        Ok(b) => b,
        Err(e) => {
            // Tell an unknown version apart from a malformed body.
            #[derive(Deserialize)]
            struct VersionOnly {
                version: u32,
            }
            if let Ok(v) = serde_json::from_slice::<VersionOnly>(body) {
                if v.version != PROTOCOL_VERSION {
                    return Err(unsupported(v.version));
                }
            }
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::Malformed,
                format!("body is not an event batch: {e}"),
            ));
        }
    };
    if batch.version != PROTOCOL_VERSION {
        return Err(unsupported(batch.version));
    }
    if batch.terminal_id != auth.terminal_id {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::ForbiddenTerminal,
            format!(
                "this credential belongs to terminal {}; it cannot push events of {}",
                auth.terminal_id, batch.terminal_id
            ),
        ));
    }
    if batch.events.len() > state.limits.max_batch_events {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::BatchTooLarge,
            format!(
                "{} events in one batch; at most {}",
                batch.events.len(),
                state.limits.max_batch_events
            ),
        ));
    }
    if !batch.is_consecutive() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::NotConsecutive,
            "seqs in a batch must be consecutive and ascending",
        ));
    }
    if batch.events.first().is_some_and(|e| e.seq == 0) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::Malformed,
            "seq starts at 1",
        ));
    }
    // Decoding base64 and hex is a good part of a big batch: two threads,
    // each on its half; the first error in batch order is the one reported.
    let decode = |part: &[sync_proto::WireEventRef<'_>]| {
        part.iter()
            .map(|w| w.to_stored(&batch.terminal_id))
            .collect::<Result<Vec<_>, _>>()
    };
    let (head, tail) = batch.events.split_at(batch.events.len() / 2);
    let (head, tail) = if head.len() < 128 {
        (decode(&batch.events), Ok(Vec::new()))
    } else {
        std::thread::scope(|s| {
            let other = s.spawn(|| decode(tail));
            let head = decode(head);
            let tail = other
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p));
            (head, tail)
        })
    };
    let bad = |e: sync_proto::WireError| {
        ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::Malformed, e.to_string())
    };
    let mut events = head.map_err(bad)?;
    events.extend(tail.map_err(bad)?);
    let marker = match &batch.tail {
        None => None,
        Some(t) => {
            let (seq, hash, signature) = t.decode().map_err(bad)?;
            Some(TailSeen {
                seq,
                hash,
                signature,
            })
        }
    };
    Ok((events, marker))
}

fn unsupported(v: u32) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        ErrorCode::UnsupportedVersion,
        format!("protocol version {v} is not supported; this server speaks {PROTOCOL_VERSION}"),
    )
}

async fn push_events(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let started = Instant::now();
    let r = push_events_inner(&state, &headers, body).await;
    state.metrics.observe_ingest(started.elapsed());
    match r {
        Ok(ack) => (StatusCode::OK, Json(ack)).into_response(),
        Err(e) => {
            state.metrics.refused(e.body.code);
            tracing::warn!(status = %e.status, code = e.body.code.as_str(), message = %e.body.message, "push refused");
            e.into_response()
        }
    }
}

async fn push_events_inner(
    state: &AppState,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Ack> {
    let auth = terminal_auth(state, headers).await?;
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::BatchTooLarge,
                format!("body larger than {} bytes", state.limits.max_body_bytes),
            )
        } else {
            ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::Malformed, e.body_text())
        }
    })?;
    let (events, tail) = parse_batch(state, &body, &auth)?;
    let n = events.len() as u64;
    let store = state.store.clone();
    let a = auth.clone();
    let outcome = blocking(move || {
        // Hash checks and payload reading start now, while this batch may
        // still wait for the write lock (the previous one committing).
        let work = crate::ingest::Shared::new(&events, 250).with_tail(tail);
        std::thread::scope(|scope| {
            scope.spawn(|| work.help());
            let r = store.ingest_prepared(&a, &work);
            work.cancel();
            r
        })
    })
    .await?;
    match outcome {
        IngestOutcome::Acked {
            acked_seq,
            stored,
            duplicates,
        } => {
            state.metrics.ingested(stored, duplicates);
            tracing::debug!(terminal = %auth.terminal_id, acked_seq, stored, duplicates, batch = n, "batch acked");
            Ok(Ack {
                version: PROTOCOL_VERSION,
                terminal_id: auth.terminal_id,
                acked_seq,
                stored,
                duplicates,
            })
        }
        IngestOutcome::Gap { expected } => Err(ApiError {
            status: StatusCode::CONFLICT,
            body: ErrorBody {
                code: ErrorCode::SeqGap,
                message: format!("seq gap: head office expects seq {expected} next"),
                expected_seq: Some(expected),
            },
        }),
        IngestOutcome::Broken { seq, detail } => {
            tracing::error!(terminal = %auth.terminal_id, seq, %detail, "ALERT: chain broken");
            Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::ChainBroken,
                format!("chain broken at seq {seq}: {detail} (alert raised)"),
            ))
        }
        IngestOutcome::BadSignature { seq, detail } => {
            tracing::error!(terminal = %auth.terminal_id, seq, %detail, "ALERT: bad closing signature");
            Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::BadSignature,
                format!("bad signature at seq {seq}: {detail} (alert raised)"),
            ))
        }
        IngestOutcome::Refused(r) => {
            let code = match r.code {
                RefusalCode::KeyChange => ErrorCode::KeyChange,
                RefusalCode::IdentityMismatch => ErrorCode::IdentityMismatch,
                RefusalCode::AmountOutOfRange => ErrorCode::AmountOutOfRange,
                RefusalCode::Undecodable => ErrorCode::Undecodable,
            };
            tracing::error!(terminal = %auth.terminal_id, seq = r.seq, detail = %r.detail, "ALERT: batch refused ({})", r.code.as_str());
            Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                code,
                format!(
                    "{} at seq {}: {} (alert raised; nothing stored)",
                    r.code.as_str(),
                    r.seq,
                    r.detail
                ),
            ))
        }
        IngestOutcome::HashMismatch { seq, detail } => {
            tracing::error!(terminal = %auth.terminal_id, seq, %detail, "ALERT: hash mismatch");
            Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::HashMismatch,
                format!("hash mismatch at seq {seq}: {detail} (alert raised)"),
            ))
        }
    }
}

#[derive(Deserialize)]
struct SinceQuery {
    since: Option<u64>,
}

async fn catalog(
    State(state): State<AppState>,
    headers: HeaderMap,
    q: Result<Query<SinceQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Response> {
    let auth = terminal_auth(&state, &headers).await?;
    let Query(q) = q.map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            e.body_text(),
        )
    })?;
    let store = state.store.clone();
    let since = q.since.unwrap_or(0);
    let delta = blocking(move || store.catalog_since(&auth.store_id, since)).await?;
    Ok(Json(delta).into_response())
}

/// `?format=csv` or JSON (default).
#[derive(Deserialize)]
struct ReportQuery {
    store: Option<String>,
    terminal: Option<String>,
    from: Option<String>,
    to: Option<String>,
    format: Option<String>,
}

fn want_csv(q: &ReportQuery) -> ApiResult<bool> {
    match q.format.as_deref() {
        None | Some("json") => Ok(false),
        Some("csv") => Ok(true),
        Some(other) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            format!("format {other:?}: use json or csv"),
        )),
    }
}

fn check_day(d: &Option<String>) -> ApiResult<()> {
    if let Some(d) = d {
        if chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_err() {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::BadRequest,
                format!("{d:?} is not a date (YYYY-MM-DD)"),
            ));
        }
    }
    Ok(())
}

fn csv_response(header_line: &str, rows: impl Iterator<Item = Vec<String>>) -> Response {
    let mut out = String::from(header_line);
    out.push('\n');
    for row in rows {
        let cells: Vec<String> = row.iter().map(|c| csv_cell(c)).collect();
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], out).into_response()
}

/// Quotes a CSV cell when it needs it (RFC 4180).
pub fn csv_cell(c: &str) -> String {
    if c.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", c.replace('"', "\"\""))
    } else {
        c.to_string()
    }
}

type RQ = Result<Query<ReportQuery>, axum::extract::rejection::QueryRejection>;

fn report_query(q: RQ) -> ApiResult<ReportQuery> {
    q.map(|Query(q)| q).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            e.body_text(),
        )
    })
}

async fn report_sales(
    State(state): State<AppState>,
    headers: HeaderMap,
    q: RQ,
) -> ApiResult<Response> {
    read_auth(&state, &headers, Resource::Reports).await?;
    let q = report_query(q)?;
    let csv = want_csv(&q)?;
    check_day(&q.from)?;
    check_day(&q.to)?;
    let store = state.store.clone();
    let rows =
        blocking(move || store.sales(q.store.as_deref(), q.from.as_deref(), q.to.as_deref()))
            .await?;
    Ok(if csv {
        csv_response(
            "store_id,day,key,amount",
            rows.into_iter()
                .map(|r| vec![r.store_id, r.day, r.key, r.amount.to_string()]),
        )
    } else {
        Json(rows).into_response()
    })
}

async fn report_stock(
    State(state): State<AppState>,
    headers: HeaderMap,
    q: RQ,
) -> ApiResult<Response> {
    read_auth(&state, &headers, Resource::Reports).await?;
    let q = report_query(q)?;
    let csv = want_csv(&q)?;
    let store = state.store.clone();
    let rows = blocking(move || store.stock(q.store.as_deref())).await?;
    Ok(if csv {
        csv_response(
            "store_id,item_id,level",
            rows.into_iter()
                .map(|r| vec![r.store_id, r.item_id, r.level.to_string()]),
        )
    } else {
        Json(rows).into_response()
    })
}

async fn report_terminals(
    State(state): State<AppState>,
    headers: HeaderMap,
    q: RQ,
) -> ApiResult<Response> {
    read_auth(&state, &headers, Resource::Reports).await?;
    let q = report_query(q)?;
    let csv = want_csv(&q)?;
    let store = state.store.clone();
    let rows = blocking(move || store.terminals()).await?;
    Ok(if csv {
        csv_response(
            "terminal_id,store_id,last_seq,last_seen,last_event_ts,lag_seconds,events,alerts",
            rows.into_iter().map(|r| {
                vec![
                    r.terminal_id,
                    r.store_id,
                    r.last_seq.to_string(),
                    r.last_seen.unwrap_or_default(),
                    r.last_event_ts.unwrap_or_default(),
                    r.lag_seconds.map(|l| l.to_string()).unwrap_or_default(),
                    r.events.to_string(),
                    r.alerts.to_string(),
                ]
            }),
        )
    } else {
        Json(rows).into_response()
    })
}

async fn report_closings(
    State(state): State<AppState>,
    headers: HeaderMap,
    q: RQ,
) -> ApiResult<Response> {
    read_auth(&state, &headers, Resource::Reports).await?;
    let q = report_query(q)?;
    let csv = want_csv(&q)?;
    let store = state.store.clone();
    let rows = blocking(move || store.closings(q.terminal.as_deref())).await?;
    Ok(if csv {
        csv_response(
            "terminal_id,store_id,seq,kind,period,first_seq,last_seq,net_total,grand_total,grand_total_abs",
            rows.into_iter().map(|r| {
                vec![
                    r.terminal_id,
                    r.store_id,
                    r.seq.to_string(),
                    r.kind,
                    r.period,
                    r.first_seq.to_string(),
                    r.last_seq.to_string(),
                    r.net_total.to_string(),
                    r.grand_total.to_string(),
                    r.grand_total_abs.to_string(),
                ]
            }),
        )
    } else {
        Json(rows).into_response()
    })
}

async fn report_alerts(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    read_auth(&state, &headers, Resource::Reports).await?;
    let store = state.store.clone();
    Ok(Json(blocking(move || store.alerts()).await?).into_response())
}

#[derive(Deserialize)]
struct FeedQuery {
    after: Option<i64>,
    limit: Option<usize>,
}

/// The ERP feed's answer.
#[derive(Debug, Serialize, Deserialize)]
pub struct FeedPage {
    /// Pass as `after` next time (unchanged when nothing new).
    pub next_cursor: i64,
    pub entries: Vec<feed::FeedEntry>,
}

async fn get_feed(
    State(state): State<AppState>,
    headers: HeaderMap,
    q: Result<Query<FeedQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Response> {
    read_auth(&state, &headers, Resource::Feed).await?;
    let Query(q) = q.map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            e.body_text(),
        )
    })?;
    let after = q.after.unwrap_or(0);
    let limit = q.limit.unwrap_or(1000).clamp(1, 10_000);
    let store = state.store.clone();
    let events = blocking(move || store.feed(after, limit)).await?;
    let next_cursor = events.last().map(|e| e.cursor).unwrap_or(after);
    let entries = events.iter().flat_map(feed::entries).collect();
    Ok(Json(FeedPage {
        next_cursor,
        entries,
    })
    .into_response())
}

async fn openapi() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        include_str!("openapi.json"),
    )
        .into_response()
}

async fn healthz(State(state): State<AppState>) -> ApiResult<Response> {
    let store = state.store.clone();
    // A cheap query proves the database answers.
    blocking(move || store.ping()).await?;
    Ok((StatusCode::OK, "ok\n").into_response())
}

async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Err(e) = read_auth(&state, &headers, Resource::Metrics).await {
        return e.into_response();
    }
    let mut text = state.metrics.render();
    // Per-terminal sync state, read at scrape time (a handful of rows per shop).
    let store = state.store.clone();
    if let Ok(terminals) = blocking(move || store.terminals()).await {
        crate::metrics::render_terminals(&mut text, &terminals);
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}
