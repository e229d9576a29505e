//! Operational endpoints: liveness, readiness (the database answers) and metrics. The
//! metrics are not for everyone: on the main address only with the configured token
//! (`MIANSHEN_METRICS_TOKEN`), or without one on an address of their own
//! (`MIANSHEN_METRICS_LISTEN`, see [`metrics_router`]).

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use subtle::ConstantTimeEq as _;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiError, AppState};
use crate::edge::observability::metrics_handle;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(metrics))
}

/// The answer of `/healthz`.
#[derive(Debug, Serialize, ToSchema)]
struct Health {
    /// Always `ok`.
    #[schema(example = "ok")]
    status: &'static str,
}

/// The answer of `/readyz`.
#[derive(Debug, Serialize, ToSchema)]
struct Readiness {
    /// `ready` or `not_ready`.
    status: &'static str,
    /// `ok` or `unavailable`.
    database: &'static str,
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "The process is up", body = Health)))]
async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// The process can do its work: the database answers.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "The database answers", body = Readiness),
        (status = 503, description = "The database does not answer", body = Readiness),
    ))]
async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    match sqlx::query_scalar!(r#"SELECT 1 AS "one!""#)
        .fetch_one(&state.pool)
        .await
    {
        Ok(_) => (
            StatusCode::OK,
            Json(Readiness {
                status: "ready",
                database: "ok",
            }),
        ),
        Err(error) => {
            tracing::warn!(%error, "readiness check: database unavailable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(Readiness {
                    status: "not_ready",
                    database: "unavailable",
                }),
            )
        }
    }
}

/// `/metrics` on the main address: only to a caller with the metrics token.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    security(("metrics_token" = [])),
    responses(
        (status = 200, description = "Prometheus text exposition", body = String,
            content_type = "text/plain"),
        (status = 404, description = "Without the metrics token the address does not exist",
            body = crate::edge::ErrorBody),
    ))]
async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(char::is_whitespace))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim().as_bytes().to_vec());
    let allowed = match (&state.settings.http.metrics_token, presented) {
        (Some(token), Some(given)) => bool::from(token.expose().as_bytes().ct_eq(&given)),
        _ => false,
    };
    if allowed {
        exposition().into_response()
    } else {
        ApiError::NotFound("没有这个地址".to_owned()).into_response()
    }
}

/// The router of the separate metrics address: `/metrics`, no token.
pub fn metrics_router() -> Router {
    Router::new().route("/metrics", get(|| async { exposition() }))
}

/// Prometheus text exposition.
fn exposition() -> impl IntoResponse {
    let pool_gauge = metrics_handle().render();
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        pool_gauge,
    )
}
