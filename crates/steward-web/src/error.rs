//! The JSON error every API failure becomes: `{"error": {"code", "message", "field"?}}`.
//!
//! | code                       | status | when |
//! |----------------------------|--------|------|
//! | `malformed_json`           | 400    | the body is not JSON |
//! | `invalid_query`, `invalid_path` | 400 | a query parameter or path segment is wrong |
//! | `unauthenticated`          | 401    | no credentials, or expired / revoked ones |
//! | `forbidden`                | 403    | signed in, but not allowed |
//! | `password_change_required` | 403    | must choose a new password first |
//! | `not_found`                | 404    | nothing there that the caller may see |
//! | `method_not_allowed`       | 405    | the path exists, the method does not |
//! | `conflict`                 | 409    | contradicts the current state (a taken e-mail, a closed ticket) |
//! | `payload_too_large`        | 413    | the body is over the limit |
//! | `unsupported_media_type`   | 415    | the body is not `application/json` |
//! | `invalid`                  | 422    | a field's value is wrong (`field` names it) |
//! | `rate_limited`             | 429    | too many attempts (`Retry-After` says how long to wait) |
//! | `internal`                 | 500    | a bug; details are in the server log, never in the response |
//! | `unavailable`              | 503    | the database cannot be reached; retry later |

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use steward_service::ServiceError;
use utoipa::ToSchema;

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable, machine-readable code (see the API documentation).
    pub code: &'static str,
    /// What is wrong, for a person.
    pub message: String,
    /// The request field at fault, if one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'static str>,
}

/// An API failure, ready to become a response.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<&'static str>,
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            field: None,
            retry_after: None,
        }
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found"),
        )
    }

    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            field: Some(field),
            ..Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message)
        }
    }

    pub fn bad_query(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_query", message)
    }

    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthenticated", message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::NotFound(what) => ApiError::not_found(what),
            ServiceError::Forbidden(m) => ApiError::forbidden(m),
            ServiceError::Invalid { field, message } => {
                ApiError::invalid(field, format!("{field}: {message}"))
            }
            ServiceError::Conflict(m) => ApiError::new(StatusCode::CONFLICT, "conflict", m),
            ServiceError::Unauthenticated(m) => ApiError::unauthenticated(m),
            e @ ServiceError::RateLimited { retry_after_secs } => ApiError {
                retry_after: Some(retry_after_secs),
                ..ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", e.to_string())
            },
            ServiceError::Unavailable(source) if source.is_storage_problem() => {
                tracing::error!(error = %source, "the database cannot store anything");
                ApiError {
                    retry_after: Some(30),
                    ..ApiError::new(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "storage_unavailable",
                        "the database cannot store anything right now (its disk is full or it is \
                         read-only); nothing was changed: try again later",
                    )
                }
            }
            ServiceError::Unavailable(source) => {
                tracing::warn!(error = %source, "database unavailable");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "the service is temporarily unavailable; try again shortly",
                )
            }
            ServiceError::Internal(detail) => {
                tracing::error!(error = %detail, "internal error");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "something went wrong on our side; it has been logged",
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut res = (
            self.status,
            Json(ErrorBody {
                error: ErrorDetail {
                    code: self.code,
                    message: self.message,
                    field: self.field,
                },
            }),
        )
            .into_response();
        if let Some(secs) = self.retry_after {
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        if self.status == StatusCode::UNAUTHORIZED {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        res
    }
}

/// Results of handlers.
pub type ApiResult<T> = Result<T, ApiError>;
