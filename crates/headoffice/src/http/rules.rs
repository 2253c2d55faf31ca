//! `GET /v1/rules?since=V` (a terminal's token: head office's counter
//! rules, if newer than the version the till holds) and
//! `GET /v1/reports/abandoned?from=&to=` (a read token: abandoned baskets
//! per terminal, day and cashier, JSON or `format=csv`).

use super::AppState;
use super::{
    blocking, check_day, csv_response, read_auth, report_query, terminal_auth, want_csv, ApiError,
    ApiResult, SinceQuery, RQ,
};
use crate::access::Resource;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use sync_proto::{ErrorCode, RulesetReply, PROTOCOL_VERSION};

pub(super) async fn rules(
    State(state): State<AppState>,
    headers: HeaderMap,
    q: Result<Query<SinceQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Response> {
    terminal_auth(&state, &headers).await?;
    let Query(q) = q.map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            e.body_text(),
        )
    })?;
    let since = q.since.unwrap_or(0);
    let store = state.store.clone();
    let row = blocking(move || store.ruleset_since(since)).await?;
    let reply = match row {
        Some(r) => RulesetReply {
            version: PROTOCOL_VERSION,
            since,
            ruleset_version: r.version,
            rules: Some(r.rules),
        },
        None => RulesetReply {
            version: PROTOCOL_VERSION,
            since,
            ruleset_version: since,
            rules: None,
        },
    };
    Ok(Json(reply).into_response())
}

pub(super) async fn report_abandoned(
    State(state): State<AppState>,
    headers: HeaderMap,
    q: RQ,
) -> ApiResult<Response> {
    read_auth(&state, &headers, Resource::Reports).await?;
    let q = report_query(q)?;
    check_day(&q.from)?;
    check_day(&q.to)?;
    let csv = want_csv(&q)?;
    let store = state.store.clone();
    let (from, to) = (q.from.clone(), q.to.clone());
    let mut rows =
        blocking(move || store.abandoned_baskets(from.as_deref(), to.as_deref())).await?;
    if let Some(s) = &q.store {
        rows.retain(|r| &r.store_id == s);
    }
    if let Some(t) = &q.terminal {
        rows.retain(|r| &r.terminal_id == t);
    }
    Ok(if csv {
        csv_response(
            "day,store_id,terminal_id,operator,baskets,total",
            rows.into_iter().map(|r| {
                vec![
                    r.day,
                    r.store_id,
                    r.terminal_id,
                    r.operator,
                    r.baskets.to_string(),
                    r.total.to_string(),
                ]
            }),
        )
    } else {
        Json(rows).into_response()
    })
}
