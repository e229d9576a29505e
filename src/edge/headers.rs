//! The security headers of every answer, set in one layer: a Content-Security-Policy that
//! allows our own style sheet and scripts, and inline script only with the request's nonce
//! ([`CspNonce`]); no framing (`frame-ancestors 'none'`, `X-Frame-Options: DENY`);
//! `nosniff`; no referrer; `Cache-Control: no-store` unless a handler chose otherwise
//! (pages and API answers hold personal data; only static assets are cached); and HSTS
//! when the public URL is https.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::{HeaderName, HeaderValue, header, request::Parts};
use axum::middleware::Next;
use axum::response::Response;

use super::AppState;

/// A random value per request that lets a page run one inline `<script nonce="…">`.
#[derive(Debug, Clone)]
pub struct CspNonce(pub String);

impl<S: Send + Sync> FromRequestParts<S> for CspNonce {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<CspNonce>()
            .cloned()
            .unwrap_or_else(|| CspNonce(String::new())))
    }
}

/// Adds the headers above to every response.
pub async fn security_headers(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let nonce = hex::encode(rand::random::<[u8; 16]>());
    request.extensions_mut().insert(CspNonce(nonce.clone()));
    let mut response = next.run(request).await;
    let csp = format!(
        "default-src 'none'; script-src 'self' 'nonce-{nonce}'; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'; form-action 'self'; \
         frame-ancestors 'none'; base-uri 'none'"
    );
    let headers = response.headers_mut();
    let mut set = |name: HeaderName, value: &str| {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
    };
    set(header::CONTENT_SECURITY_POLICY, &csp);
    set(header::X_FRAME_OPTIONS, "DENY");
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::REFERRER_POLICY, "no-referrer");
    if state.settings.http.public_url().starts_with("https://") {
        set(header::STRICT_TRANSPORT_SECURITY, "max-age=31536000");
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}
