//! Errors as pages for browsers, JSON for everyone else. The API and the pages answer every
//! failure in the one JSON shape ([`crate::edge::ApiError`]); this layer, outermost, looks
//! at the request's `Accept`: a browser (`text/html`) gets a page in Chinese that says what
//! happened and what to do, and a signed-out visit to a page (`GET`, 401) is sent to the
//! sign-in page, which brings it back afterwards.

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::chrome::Chrome;
use crate::edge::ErrorInfo;

#[derive(Template, WebTemplate)]
#[template(path = "error.html")]
pub(super) struct ErrorPage {
    chrome: Chrome,
    status: u16,
    message: String,
    advice: &'static str,
    sign_in: Option<String>,
}

/// Whether the caller reads HTML (a browser's navigation asks for `text/html`).
fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
}

fn is_html(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"))
}

/// `/login?next=<target>`, the target percent-encoded.
pub fn sign_in_link(target: &str) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("next", target)
        .finish();
    format!("/login?{query}")
}

/// What a person can do about an error with this status.
fn advice(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "请求的内容有误。请检查填写的内容或地址后重试。",
        401 => "您尚未登录或登录已过期。请登录后重试。",
        403 => "您的账号无权进行此操作或查看此页面。如确需办理，请联系系统管理员开通权限。",
        404 => "页面不存在，或您无权查看。请检查地址，或从首页重新进入。",
        405 => "该地址不支持此操作。请从页面上的链接或按钮进入。",
        409 => "该事项已被处理或与现有记录冲突。请刷新页面查看最新状态。",
        422 => "填写的内容未通过校验。请返回上一页，按提示修改后重新提交。",
        423 => "账号已被锁定。请联系系统管理员解锁。",
        429 => "操作过于频繁。请稍等片刻再试。",
        _ => "服务暂时出现问题。请稍后重试；如仍不能办理，请联系管理员并提供页面上的请求编号。",
    }
}

/// The layer: error answers to browsers become pages (or a redirect to sign in).
pub async fn error_pages(request: Request, next: Next) -> Response {
    let html = wants_html(request.headers());
    let get = request.method() == Method::GET;
    let target = request
        .uri()
        .path_and_query()
        .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    let status = response.status();
    if !html || !(status.is_client_error() || status.is_server_error()) || is_html(&response) {
        return response;
    }
    let message = response
        .extensions()
        .get::<ErrorInfo>()
        .map_or_else(String::new, |i| i.message.clone());
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    if status == StatusCode::UNAUTHORIZED && get {
        parts.status = StatusCode::SEE_OTHER;
        if let Ok(location) = HeaderValue::from_str(&sign_in_link(&target)) {
            parts.headers.insert(header::LOCATION, location);
        }
        parts.headers.remove(header::CONTENT_TYPE);
        return Response::from_parts(parts, Body::empty());
    }
    let page = ErrorPage {
        chrome: Chrome::new(format!("出错了（{}）", status.as_u16()), None),
        status: status.as_u16(),
        message,
        advice: advice(status),
        sign_in: (status == StatusCode::UNAUTHORIZED).then(|| sign_in_link("/")),
    };
    let rendered = page.into_response();
    let (rendered_parts, body) = rendered.into_parts();
    for (name, value) in &rendered_parts.headers {
        parts.headers.insert(name.clone(), value.clone());
    }
    Response::from_parts(parts, body)
}
