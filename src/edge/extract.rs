//! The extractors every handler takes its input through, and the one check that keeps
//! control characters out: a JSON body ([`ApiJson`]), a form ([`ApiForm`]), path segments
//! ([`ApiPath`]) and query strings ([`ApiQuery`]). PostgreSQL cannot store NUL in text, and
//! no field of ours has a use for other control characters, so they are refused here with
//! a 400 that says so, before any handler or query sees them. The path and query of every
//! request are also checked by [`reject_control_characters`], a layer on the whole router,
//! so a handler that reads the URI some other way is covered too. Header values (an
//! `Idempotency-Key`, cookies) cannot carry control characters at all: the HTTP parser
//! refuses the request, and `HeaderValue::to_str` yields visible ASCII only.

use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::{Form, Json, RequestExt as _};
use percent_encoding::percent_decode_str;
use serde::de::DeserializeOwned;

use super::ApiError;

/// The first character PostgreSQL cannot store or that no text field of ours accepts:
/// NUL and the other C0 controls except tab, line feed and carriage return, DEL, and the
/// C1 controls (U+0080–U+009F).
pub fn forbidden_char(text: &str) -> Option<char> {
    text.chars().find(|&c| {
        let code = u32::from(c);
        (code < 0x20 && !matches!(c, '\t' | '\n' | '\r')) || (0x7f..=0x9f).contains(&code)
    })
}

/// The refusal of a control character in `place` (a phrase such as "查询参数").
pub fn control_character(place: &str, c: char) -> ApiError {
    ApiError::BadRequest(format!(
        "{place}含有不允许的控制字符 U+{:04X}，请删除后重试 / the {} contains the control \
         character U+{:04X}, which is not accepted",
        u32::from(c),
        english(place),
        u32::from(c)
    ))
}

fn english(place: &str) -> &'static str {
    match place {
        "请求地址" => "request path",
        "查询参数" => "query string",
        "表单" => "form",
        _ => "request body",
    }
}

/// Fails when `text` holds a forbidden character.
pub fn check_text(place: &str, text: &str) -> Result<(), ApiError> {
    forbidden_char(text).map_or(Ok(()), |c| Err(control_character(place, c)))
}

/// The first forbidden character a JSON text carries, raw or as a `\uXXXX` escape.
/// Backslashes appear in valid JSON only inside strings, each starting one escape, so a
/// walk over the bytes finds every escape without parsing the document.
fn json_forbidden_char(text: &str) -> Option<char> {
    if let Some(c) = forbidden_char(text) {
        return Some(c);
    }
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'\\' {
            i += 1;
            continue;
        }
        if bytes.get(i + 1) == Some(&b'u') {
            let escaped = text
                .get(i + 2..i + 6)
                .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                .and_then(char::from_u32);
            if let Some(c) =
                escaped.filter(|c| forbidden_char(c.encode_utf8(&mut [0; 4])).is_some())
            {
                return Some(c);
            }
        }
        i += 2;
    }
    None
}

/// A percent-encoded URI part, decoded (bad UTF-8 replaced: the check is for controls).
fn decoded(part: &str) -> String {
    percent_decode_str(part).decode_utf8_lossy().into_owned()
}

/// Refuses any request whose path or query string, once percent-decoded, holds a
/// forbidden character (`/api/v1/profiles/X%00`, `?after=%00`).
pub async fn reject_control_characters(request: Request, next: Next) -> Response {
    let uri = request.uri();
    let path = check_text("请求地址", &decoded(uri.path()));
    let query = uri.query().map_or(Ok(()), |q| {
        check_text("查询参数", &decoded(&q.replace('+', " ")))
    });
    match path.and(query) {
        Ok(()) => next.run(request).await,
        Err(error) => error.into_response(),
    }
}

/// Reads the whole body within the router's body limit, and gives the request back.
async fn buffered(request: Request) -> Result<(Bytes, Request), ApiError> {
    let (parts, body) = request.with_limited_body().into_parts();
    let bytes = to_bytes(body, usize::MAX)
        .await
        .map_err(|_| ApiError::BadRequest("请求体过大或无法读取".to_owned()))?;
    Ok((bytes.clone(), Request::from_parts(parts, Body::from(bytes))))
}

/// `axum::Json`, refusing control characters, with bad bodies answered in our error shape.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (bytes, request) = buffered(request).await?;
        if let Ok(text) = std::str::from_utf8(&bytes)
            && let Some(c) = json_forbidden_char(text)
        {
            return Err(control_character("请求体", c));
        }
        let Json(value) = Json::<T>::from_request(request, state).await?;
        Ok(Self(value))
    }
}

/// `axum::Form` (an `application/x-www-form-urlencoded` body), refusing control characters.
#[derive(Debug)]
pub struct ApiForm<T>(pub T);

impl<T, S> FromRequest<S> for ApiForm<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (bytes, request) = buffered(request).await?;
        for (name, value) in form_urlencoded::parse(&bytes) {
            check_text("表单", &name)?;
            check_text("表单", &value)?;
        }
        let Form(value) = Form::<T>::from_request(request, state)
            .await
            .map_err(|e| ApiError::BadRequest(format!("表单无效：{}", e.body_text())))?;
        Ok(Self(value))
    }
}

/// `axum::extract::Path`, with a bad segment answered in our error shape (control
/// characters never get here: see [`reject_control_characters`]).
#[derive(Debug, axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

/// `axum::extract::Query`, with a bad query answered in our error shape.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(query) = parts.uri.query() {
            check_text("查询参数", &decoded(&query.replace('+', " ")))?;
        }
        let axum::extract::Query(value) =
            axum::extract::Query::<T>::from_request_parts(parts, state).await?;
        Ok(Self(value))
    }
}

#[cfg(test)]
mod tests {
    use super::{forbidden_char, json_forbidden_char};

    #[test]
    fn control_characters_are_found_raw_and_escaped() {
        let cases: [(&str, Option<char>); 10] = [
            ("plain 中文 text", None),
            ("tab\tline\nreturn\r", None),
            ("nul\0", Some('\0')),
            ("bell\u{7}", Some('\u{7}')),
            ("del\u{7f}", Some('\u{7f}')),
            ("c1\u{85}", Some('\u{85}')),
            (r#"{"a":"x\u0000"}"#, Some('\0')),
            (r#"{"a":"x\u001B"}"#, Some('\u{1b}')),
            (r#"{"a":"x\\u0000"}"#, None),
            (r#"{"a":"line\nnext\u000a"}"#, None),
        ];
        for (text, expected) in cases {
            let found = json_forbidden_char(text).or_else(|| forbidden_char(text));
            assert_eq!(found, expected, "{text:?}");
        }
    }
}
