//! The OpenAPI 3.1 description of the JSON API, generated from the handlers themselves:
//! each route family registers its handlers with `routes!` on an [`OpenApiRouter`], so a
//! route and its `#[utoipa::path]` description are added in one place and cannot drift.
//! This module holds what is common to every operation (the authentication schemes, the
//! one error shape, the answers any request may get) and serves the description at
//! `/openapi.json` and a reference page (Swagger UI, bundled in the binary) at `/api/docs`.

use std::sync::OnceLock;

use axum::Json;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{
    Components, Content, OpenApi as Description, Ref, Response, ResponseBuilder,
};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use crate::edge::ErrorBody;
use crate::edge::auth::{CSRF_HEADER, SESSION_COOKIE};

/// Where the reference page is served.
pub const DOCS_PATH: &str = "/api/docs";

/// The frame every operation is added to: title, tags, the schemes and the error shape.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "mianshen API",
        description = "免申即享: enterprise subsidies delivered without an application. \
            Money is a decimal string with two places (\"1234.50\"), never a JSON number. \
            Lists are keyset-paged: `?after=<cursor>&limit=<n>`; a full page carries a \
            `Link: <…>; rel=\"next\"` header. Every failure answers \
            `{\"error\":{\"code\",\"message\"}}`."
    ),
    modifiers(&CommonParts),
    components(schemas(ErrorBody)),
    tags(
        (name = "operations", description = "Liveness, readiness, metrics and this description"),
        (name = "session", description = "Signing in and out; who am I"),
        (name = "me", description = "A person's own tokens, password and security events"),
        (name = "admin", description = "Account administration"),
        (name = "audit", description = "The audit log and its verification"),
        (name = "firms", description = "Firms, profiles (一企一档), quarantine and data objections"),
        (name = "policies", description = "Policy versions: submit, dry run, publish, retire"),
        (name = "grants", description = "Grants and the firm's answer"),
        (name = "enterprise", description = "A firm's notices, channels and payee account"),
        (name = "review", description = "Review, 公示 and its objections"),
        (name = "finance", description = "Budgets, payment batches (four eyes), payments, reconciliation"),
        (name = "treasury", description = "The treasury's signed callbacks"),
        (name = "cockpit", description = "The cockpit's aggregate figures (数字驾驶舱)"),
    )
)]
pub struct ApiDoc;

/// Names of the security schemes, as handlers name them in `security(...)`.
pub const BEARER: &str = "bearer";
/// A browser session's cookie.
pub const SESSION: &str = "session";
/// The CSRF header a session's state-changing request must echo.
pub const CSRF: &str = "csrf";
/// The metrics token of `/metrics` (not an account's token).
pub const METRICS: &str = "metrics_token";

/// Adds the security schemes.
struct CommonParts;

impl Modify for CommonParts {
    fn modify(&self, openapi: &mut Description) {
        let components = openapi.components.get_or_insert_with(Components::new);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An API token made by its owner (POST /api/v1/me/tokens)",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            SESSION,
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                SESSION_COOKIE,
                "The browser session set by POST /api/v1/session",
            ))),
        );
        components.add_security_scheme(
            CSRF,
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                CSRF_HEADER,
                "The session's csrf_token (from POST /api/v1/session or GET /api/v1/me); \
                 required with the session cookie on every request that changes something",
            ))),
        );
        components.add_security_scheme(
            METRICS,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("The metrics token (MIANSHEN_METRICS_TOKEN)"))
                    .build(),
            ),
        );
    }
}

/// The error answers added to every operation that does not describe them itself: 400 (a
/// malformed request or a control character), 401 (no valid credential; on an open
/// operation only when a bad bearer token is sent), 500, 503 (the request timed out), and
/// 403 where a signed-in caller is needed.
fn add_common_errors(operation: &mut Operation) {
    let secured = operation
        .security
        .as_ref()
        .is_some_and(|alternatives| !alternatives.is_empty());
    let mut common = vec![
        (
            "400",
            "The request is malformed (body, path, query or a control character)",
        ),
        ("500", "An internal error; the message names the request id"),
        ("503", "The request took too long"),
    ];
    if secured {
        common.push(("401", "No valid session or token"));
    } else {
        common.push((
            "401",
            "An `Authorization: Bearer` token was sent but is not valid (refused even where \
             no sign-in is needed)",
        ));
    }
    if secured {
        common.push((
            "403",
            "The role may not do this, the CSRF header is missing, or the password must be changed first",
        ));
    }
    for (status, description) in common {
        operation
            .responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| error_response(description).into());
    }
}

/// An answer with the one error shape.
pub fn error_response(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            Content::new(Some(Ref::from_schema_name("ErrorBody"))),
        )
        .build()
}

/// The described routes: every route family, in one router whose description is built
/// with it.
pub fn described(families: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(families)
        .routes(routes!(description))
}

/// The finished description: the families' operations plus the common answers.
pub fn finish(mut openapi: Description) -> Description {
    for item in openapi.paths.paths.values_mut() {
        for operation in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
        {
            add_common_errors(operation);
        }
    }
    openapi
}

/// The description, built once.
pub fn cached() -> &'static Description {
    static DESCRIPTION: OnceLock<Description> = OnceLock::new();
    DESCRIPTION.get_or_init(super::openapi)
}

/// This description (OpenAPI 3.1).
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "operations",
    responses((status = 200, description = "The OpenAPI 3.1 description of this API", content_type = "application/json"))
)]
async fn description() -> Json<&'static Description> {
    Json(cached())
}

/// The reference page: Swagger UI from the crate's bundled copy, reading `/openapi.json`.
pub fn reference_page() -> axum::Router<AppState> {
    utoipa_swagger_ui::SwaggerUi::new(DOCS_PATH)
        .config(utoipa_swagger_ui::Config::from("/openapi.json"))
        .into()
}
