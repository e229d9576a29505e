//! `GET /policies/{id}/diff?against={other}`: what changed between two versions of one
//! policy, file by file, line by line (the older version on the left of each change).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use serde::Deserialize;

use super::versions::{VersionLine, find, line};
use crate::edge::auth::{Authorized, PolicyReaders};
use crate::edge::{ApiError, ApiPath, ApiQuery, AppState};
use crate::policies::{self, FileDiff};
use crate::web::chrome::Chrome;

#[derive(Debug, Deserialize)]
pub(super) struct Against {
    against: i64,
}

#[derive(Template, WebTemplate)]
#[template(path = "version_diff.html")]
pub(super) struct DiffPage {
    chrome: Chrome,
    old: VersionLine,
    new: VersionLine,
    files: Vec<FileDiff>,
}

pub(super) async fn diff_page(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<PolicyReaders>,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(Against { against }): ApiQuery<Against>,
) -> Result<DiffPage, ApiError> {
    let (a, b) = (find(&state, id).await?, find(&state, against).await?);
    if a.policy_id != b.policy_id {
        return Err(ApiError::Unprocessable(format!(
            "只能比较同一政策的版本：版本 {} 属于 {}，版本 {} 属于 {}",
            a.id, a.policy_id, b.id, b.policy_id
        )));
    }
    let (old, new) = if a.id < b.id { (a, b) } else { (b, a) };
    Ok(DiffPage {
        chrome: Chrome::new(
            format!("{}：版本 {} 与 {} 的差异", new.title, old.id, new.id),
            Some(&current),
        ),
        files: policies::diff_versions(&old, &new),
        old: line(&old),
        new: line(&new),
    })
}
