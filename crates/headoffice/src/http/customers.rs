//! `GET /v1/customers?since=V` (a terminal's token): the customers changed
//! after version `V`, with their available credit, for the till to decide
//! sales on account offline ([`sync_proto::CustomersDelta`]).

use super::{blocking, terminal_auth, ApiError, ApiResult, AppState, SinceQuery};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use sync_proto::{CustomerEntry, CustomersDelta, ErrorCode, PROTOCOL_VERSION};

pub(super) async fn customers(
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
    let since = q.since.unwrap_or(0);
    let store = state.store.clone();
    let (terminal_seq, (version, rows)) = blocking(move || {
        // The terminal's seq first: a batch committed after it and before
        // the rows only makes the till count its own sales twice (safe),
        // never not at all.
        let seq = store.terminal_last_seq(&auth.terminal_id)?;
        Ok((seq, store.customers_since(since)?))
    })
    .await?;
    let customers = rows
        .into_iter()
        .map(|r| CustomerEntry {
            version: r.version,
            number: r.customer.number,
            name: r.customer.name,
            kind: r.customer.kind,
            group: r.customer.group,
            status: r.customer.status,
            available_credit: r.available,
            loyalty_card: r.customer.loyalty_card,
        })
        .collect();
    Ok(Json(CustomersDelta {
        version: PROTOCOL_VERSION,
        since,
        customers_version: version.max(since),
        terminal_seq,
        customers,
    })
    .into_response())
}
