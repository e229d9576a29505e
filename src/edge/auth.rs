//! Who is calling: a bearer API token or a session cookie, resolved once per request;
//! CSRF checks for cookie-authenticated changes; role guards as extractors.

use std::marker::PhantomData;

use axum::body::{Body, to_bytes};
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::{Method, header, request::Parts};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use subtle::ConstantTimeEq;

use super::{ApiError, AppState};
use crate::accounts::{self, Role, User};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "ms_session";
/// The header that carries the CSRF token of a session.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// The form field that carries it in HTML forms.
pub const CSRF_FIELD: &str = "_csrf";
/// Larger form bodies are not read for a CSRF token.
const MAX_FORM_BYTES: usize = 1024 * 1024;
/// Larger uploads (`multipart/form-data`) are refused before their CSRF token is read.
pub const MAX_UPLOAD_BYTES: usize = 4 * 1024 * 1024;

/// How the caller proved who it is.
#[derive(Debug, Clone)]
pub enum Credential {
    /// A browser session; changes must echo its CSRF token.
    Session {
        /// The cookie value.
        token: String,
        /// The token to echo.
        csrf: String,
    },
    /// A bearer API token of the account's owner (no ambient authority, so no CSRF).
    ApiToken {
        /// Which of the owner's tokens (`api_tokens.id`), for the logs.
        id: i64,
    },
}

impl Credential {
    /// The browser session's cookie value; `None` for an API token.
    pub fn session_token(&self) -> Option<&str> {
        match self {
            Credential::Session { token, .. } => Some(token),
            Credential::ApiToken { .. } => None,
        }
    }
}

/// The signed-in account of this request.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    /// The account.
    pub user: User,
    /// How it signed in.
    pub credential: Credential,
}

impl CurrentUser {
    /// The session's CSRF token, for pages that render forms.
    pub fn csrf_token(&self) -> Option<&str> {
        match &self.credential {
            Credential::Session { csrf, .. } => Some(csrf),
            Credential::ApiToken { .. } => None,
        }
    }

    /// Refuses an account whose password an administrator chose until its owner sets one.
    pub fn require_own_password(&self) -> Result<(), ApiError> {
        if self.user.must_change_password {
            return Err(ApiError::Forbidden(
                "请先修改管理员设置的初始密码（PUT /api/v1/me/password 或首页） / set your own password first"
                    .to_owned(),
            ));
        }
        Ok(())
    }
}

/// The token of an `Authorization: Bearer …` header; the scheme is case-insensitive
/// (RFC 9110 §11.1).
fn bearer_token(request: &Request) -> Option<String> {
    let value = request
        .headers()
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.trim().split_once(char::is_whitespace)?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
        .filter(|t| !t.is_empty())
}

/// Resolves the caller once per request and refuses cookie-authenticated changes that do
/// not echo the session's CSRF token (header `x-csrf-token` or form field `_csrf`).
pub async fn resolve_identity(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    match identify(&state, request).await {
        Ok(request) => next.run(request).await,
        Err(error) => error.into_response(),
    }
}

async fn identify(state: &AppState, mut request: Request) -> Result<Request, ApiError> {
    // `/metrics` checks its own token (a Prometheus scraper is not an account).
    if request.uri().path() == "/metrics" {
        return Ok(request);
    }
    if let Some(token) = bearer_token(&request) {
        let (user, id) = accounts::find_by_token(&state.pool, &token)
            .await?
            .ok_or_else(ApiError::unauthorized)?;
        // Every use is attributable to the token's owner: the account acts, and the logs
        // of the request name the account and the token.
        let span = tracing::Span::current();
        span.record("user.id", user.id);
        span.record("auth.token", id);
        request.extensions_mut().insert(CurrentUser {
            user,
            credential: Credential::ApiToken { id },
        });
        return Ok(request);
    }
    let jar = CookieJar::from_headers(request.headers());
    let Some(token) = jar.get(SESSION_COOKIE).map(|c| c.value().to_owned()) else {
        return Ok(request);
    };
    let Some(session) = accounts::find_session(&state.pool, &token).await? else {
        return Ok(request);
    };
    let changes_state = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if changes_state && !is_login(request.method(), request.uri().path()) {
        let (presented, rebuilt) = presented_csrf(request).await?;
        request = rebuilt;
        let valid = presented
            .as_deref()
            .is_some_and(|p| bool::from(p.as_bytes().ct_eq(session.csrf_token.as_bytes())));
        if !valid {
            return Err(ApiError::Forbidden(
                "缺少或无效的 CSRF 令牌：请刷新页面后重试".to_owned(),
            ));
        }
    }
    tracing::Span::current().record("user.id", session.user.id);
    request.extensions_mut().insert(CurrentUser {
        user: session.user,
        credential: Credential::Session {
            token,
            csrf: session.csrf_token,
        },
    });
    Ok(request)
}

/// Signing in carries its own CSRF defence (a login-form cookie; a JSON body a cross-site
/// form cannot send), and must work when a stale session cookie is still around. Only the
/// sign-in itself is exempt: signing out (`DELETE /api/v1/session`, `POST /logout`) echoes
/// the session's token like every other change.
fn is_login(method: &Method, path: &str) -> bool {
    *method == Method::POST && (path == "/login" || path == "/api/v1/session")
}

/// The CSRF token the request presents, from the header or, for a form, from its body
/// (which is read and put back).
async fn presented_csrf(request: Request) -> Result<(Option<String>, Request), ApiError> {
    if let Some(value) = request
        .headers()
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
    {
        let value = value.to_owned();
        return Ok((Some(value), request));
    }
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    if content_type.starts_with("multipart/form-data") {
        return multipart_csrf(request, content_type).await;
    }
    if !content_type.starts_with("application/x-www-form-urlencoded") {
        return Ok((None, request));
    }
    let (parts, body) = request.into_parts();
    let bytes = to_bytes(body, MAX_FORM_BYTES)
        .await
        .map_err(|_| ApiError::BadRequest("表单过大".to_owned()))?;
    let token = form_urlencoded_field(&bytes, CSRF_FIELD);
    Ok((token, Request::from_parts(parts, Body::from(bytes))))
}

/// The `_csrf` field of an upload (a form with files), read from a copy of the body.
async fn multipart_csrf(
    request: Request,
    content_type: String,
) -> Result<(Option<String>, Request), ApiError> {
    let (parts, body) = request.into_parts();
    let bytes = to_bytes(body, MAX_UPLOAD_BYTES).await.map_err(|_| {
        ApiError::BadRequest(format!(
            "上传内容过大：一次最多上传 {} MiB，请只选择政策文件夹中的 rule.rhai、policy.toml 和 cases.toml",
            MAX_UPLOAD_BYTES / 1024 / 1024
        ))
    })?;
    let copy = Request::builder()
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(bytes.clone()))
        .map_err(|e| ApiError::Internal(e.into()))?;
    let mut token = None;
    if let Ok(mut form) = axum::extract::Multipart::from_request(copy, &()).await {
        while let Ok(Some(field)) = form.next_field().await {
            if field.name() == Some(CSRF_FIELD) {
                token = field.text().await.ok();
                break;
            }
        }
    }
    Ok((token, Request::from_parts(parts, Body::from(bytes))))
}

fn form_urlencoded_field(body: &[u8], name: &str) -> Option<String> {
    form_urlencoded::parse(body)
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<CurrentUser>()
            .cloned()
            .ok_or_else(ApiError::unauthorized)
    }
}

/// A set of roles allowed on a family of routes.
pub trait RoleSet: Send + Sync + 'static {
    /// The roles allowed.
    const ROLES: &'static [Role];
}

/// The signed-in account, refused with 403 unless its role is in `R`.
#[derive(Debug)]
pub struct Authorized<R: RoleSet>(pub CurrentUser, pub PhantomData<R>);

impl<R: RoleSet> FromRequestParts<AppState> for Authorized<R> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let current = CurrentUser::from_request_parts(parts, state).await?;
        current.require_own_password()?;
        if R::ROLES.contains(&current.user.role) {
            Ok(Authorized(current, PhantomData))
        } else {
            Err(ApiError::Forbidden(format!(
                "当前角色（{}）无权执行此操作",
                current.user.role.label()
            )))
        }
    }
}

/// Anyone who may look at firm records: the firm itself (scoped to its own) and staff
/// who review, pay or audit. Policy authors work on aggregates, not on single firms.
#[derive(Debug)]
pub struct FirmReaders;
impl RoleSet for FirmReaders {
    const ROLES: &'static [Role] = &[
        Role::Enterprise,
        Role::Reviewer,
        Role::FinanceMaker,
        Role::FinanceChecker,
        Role::Auditor,
        Role::Admin,
    ];
}

/// Account administration.
#[derive(Debug)]
pub struct Admins;
impl RoleSet for Admins {
    const ROLES: &'static [Role] = &[Role::Admin];
}

/// Reading the audit log.
#[derive(Debug)]
pub struct AuditReaders;
impl RoleSet for AuditReaders {
    const ROLES: &'static [Role] = &[Role::Auditor, Role::Admin];
}

impl axum::extract::OptionalFromRequestParts<AppState> for CurrentUser {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &AppState,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(parts.extensions.get::<CurrentUser>().cloned())
    }
}

/// Staff who may see every firm's profile and the quarantine.
#[derive(Debug)]
pub struct Staff;
impl RoleSet for Staff {
    const ROLES: &'static [Role] = &[
        Role::Reviewer,
        Role::FinanceMaker,
        Role::FinanceChecker,
        Role::Auditor,
        Role::Admin,
    ];
}

/// Staff who answer objections (auditors only read).
#[derive(Debug)]
pub struct Answerers;
impl RoleSet for Answerers {
    const ROLES: &'static [Role] = &[Role::Reviewer, Role::Admin];
}

/// Only enterprise accounts raise objections, on their own profile.
#[derive(Debug)]
pub struct Enterprises;
impl RoleSet for Enterprises {
    const ROLES: &'static [Role] = &[Role::Enterprise];
}

/// Who may see versions and their dry runs.
#[derive(Debug)]
pub struct PolicyReaders;
impl RoleSet for PolicyReaders {
    const ROLES: &'static [Role] = &[
        Role::PolicyAuthor,
        Role::Reviewer,
        Role::Auditor,
        Role::Admin,
    ];
}

/// Who may submit a policy folder as a draft.
#[derive(Debug)]
pub struct Authors;
impl RoleSet for Authors {
    const ROLES: &'static [Role] = &[Role::PolicyAuthor];
}

/// Who may publish or retire (never the version's author: checked per version).
#[derive(Debug)]
pub struct Publishers;
impl RoleSet for Publishers {
    const ROLES: &'static [Role] = &[Role::Reviewer];
}

/// Who may start a dry run (试算) of a version: its authors and the reviewers weighing it.
#[derive(Debug)]
pub struct PolicyWorkers;
impl RoleSet for PolicyWorkers {
    const ROLES: &'static [Role] = &[Role::PolicyAuthor, Role::Reviewer];
}
