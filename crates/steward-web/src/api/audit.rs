//! `/audit`: the audit log for administrators, as pages of JSON and as CSV or JSON-lines exports.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::List;
use crate::audit_data::{csv_line, json_line, AuditOut, AuditQuery, CSV_HEADER};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiQuery, Caller};
use crate::AppState;

fn filter_of(q: &AuditQuery) -> ApiResult<steward_store::audit::AuditFilter> {
    q.filter().map_err(|(field, m)| ApiError::invalid(field, m))
}

/// The audit log, newest first (administrators).
#[utoipa::path(get, path = "/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, body = List<AuditOut>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Json<List<AuditOut>>> {
    let filter = filter_of(&q)?;
    let before = match q.cursor.as_deref() {
        None | Some("") => None,
        Some(c) => Some(
            c.parse::<i64>()
                .map_err(|_| ApiError::bad_query("cursor: not a cursor from this list"))?,
        ),
    };
    let limit = q.limit.unwrap_or(100);
    let entries = s
        .service
        .audit_log(caller.actor(), &filter, before, limit)
        .await?;
    let next_cursor = (entries.len() == limit as usize)
        .then(|| entries.last().map(|e| e.id.to_string()))
        .flatten();
    Ok(Json(List {
        items: entries.into_iter().map(Into::into).collect(),
        next_cursor,
    }))
}

async fn export(
    s: &AppState,
    caller: &Caller,
    q: &AuditQuery,
    format: &str,
) -> ApiResult<Response> {
    let filter = filter_of(q)?;
    let csv = format == "csv";
    let mut body = if csv {
        CSV_HEADER.to_string()
    } else {
        String::new()
    };
    s.service
        .export_audit_log(caller.actor(), &filter, format, |e| {
            if csv {
                body.push_str(&csv_line(&e));
            } else {
                body.push_str(&json_line(e));
            }
            Ok(())
        })
        .await?;
    let (kind, ext) = if csv {
        ("text/csv; charset=utf-8", "csv")
    } else {
        ("application/x-ndjson", "jsonl")
    };
    let name = format!(
        "steward-audit-{}.{ext}",
        s.service.now().strftime("%Y%m%dT%H%M%SZ")
    );
    Ok((
        [
            (header::CONTENT_TYPE, kind.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response())
}

/// The audit log as CSV, oldest first (administrators; the export is itself recorded).
#[utoipa::path(get, path = "/audit.csv", tag = "audit", params(AuditQuery),
    responses((status = 200, content_type = "text/csv", body = String), (status = 403, body = ErrorBody)))]
pub async fn csv(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Response> {
    export(&s, &caller, &q, "csv").await
}

/// The audit log as JSON lines, oldest first (administrators; the export is itself recorded).
#[utoipa::path(get, path = "/audit.jsonl", tag = "audit", params(AuditQuery),
    responses((status = 200, content_type = "application/x-ndjson", body = String), (status = 403, body = ErrorBody)))]
pub async fn jsonl(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Response> {
    export(&s, &caller, &q, "jsonl").await
}
