//! Keyset paging, the same for every list endpoint: `?after=<cursor>&limit=<n>`. `after` is
//! the key of the last item of the previous page in the list's own order (an id, a USCC,
//! a sequence number); `limit` defaults to [`DEFAULT_LIMIT`] and may not exceed
//! [`MAX_LIMIT`]. The body stays a JSON array; a full page carries a
//! `Link: <…?after=…&limit=…>; rel="next"` header to the next one.

use axum::Json;
use axum::extract::FromRequestParts;
use axum::http::{HeaderValue, header, request::Parts};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::ApiError;
use super::extract::check_text;

/// Items per page when the caller names no `limit`.
pub const DEFAULT_LIMIT: i64 = 100;
/// The most items one page may hold.
pub const MAX_LIMIT: i64 = 500;

/// The paging parameters as the API description shows them; [`Page`] reads them.
#[derive(Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// The cursor of the last item of the previous page (from the `Link` header).
    pub after: Option<String>,
    /// Items wanted, 1 to 500 (100 when absent).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// The page a caller asks for.
#[derive(Debug, Clone)]
pub struct Page {
    /// The key after which the page starts, as given.
    pub after: Option<String>,
    /// Items wanted (1 to [`MAX_LIMIT`]).
    pub limit: i64,
    path: String,
    query: Vec<(String, String)>,
}

impl<S: Send + Sync> FromRequestParts<S> for Page {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query: Vec<(String, String)> =
            form_urlencoded::parse(parts.uri.query().unwrap_or_default().as_bytes())
                .into_owned()
                .collect();
        let mut after = None;
        let mut limit = DEFAULT_LIMIT;
        for (name, value) in &query {
            check_text("查询参数", value)?;
            match name.as_str() {
                // `after_seq` is the audit log's older name for it.
                "after" | "after_seq" if !value.is_empty() => after = Some(value.clone()),
                "limit" => {
                    limit = value
                        .trim()
                        .parse()
                        .ok()
                        .filter(|n| (1..=MAX_LIMIT).contains(n))
                        .ok_or_else(|| {
                            ApiError::BadRequest(format!(
                                "limit 必须是 1 到 {MAX_LIMIT} 之间的整数 / limit must be a whole number from 1 to {MAX_LIMIT}"
                            ))
                        })?;
                }
                _ => {}
            }
        }
        let query = query
            .into_iter()
            .filter(|(name, _)| !matches!(name.as_str(), "after" | "after_seq" | "limit"))
            .collect();
        Ok(Self {
            after,
            limit,
            path: parts.uri.path().to_owned(),
            query,
        })
    }
}

impl Page {
    /// `after` as a whole-number key (ids, sequence numbers), or `none` when absent.
    pub fn after_number(&self, none: i64) -> Result<i64, ApiError> {
        match &self.after {
            None => Ok(none),
            Some(text) => text.trim().parse().map_err(|_| {
                ApiError::BadRequest(format!(
                    "after 应为上一页最后一项的编号 / after must be the id of the last item seen, not {text:?}"
                ))
            }),
        }
    }

    /// `after` as a text key (USCCs), or the empty string.
    pub fn after_text(&self) -> &str {
        self.after.as_deref().unwrap_or_default()
    }

    /// The answer: `items` as a JSON array, with a link to the next page when this one is
    /// full; `key` gives an item's cursor.
    pub fn answer<T: Serialize>(self, items: Vec<T>, key: impl Fn(&T) -> String) -> Response {
        let full = i64::try_from(items.len()).is_ok_and(|n| n >= self.limit);
        let next = items.last().filter(|_| full).map(key);
        let mut response = Json(items).into_response();
        if let Some(cursor) = next {
            let mut query = form_urlencoded::Serializer::new(String::new());
            for (name, value) in &self.query {
                query.append_pair(name, value);
            }
            query.append_pair("after", &cursor);
            query.append_pair("limit", &self.limit.to_string());
            let link = format!("<{}?{}>; rel=\"next\"", self.path, query.finish());
            if let Ok(value) = HeaderValue::from_str(&link) {
                response.headers_mut().insert(header::LINK, value);
            }
        }
        response
    }
}
