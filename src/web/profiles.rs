//! Profile pages in Chinese: a firm's profile with each field's source and date and its
//! history (staff), "我的企业档案" with a data objection on a field picked from a list
//! (enterprise).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::Redirect;
use serde::Deserialize;

use super::chrome::Chrome;
use super::format;
use super::profile_view::ProfileView;
use crate::edge::auth::{Authorized, CurrentUser, Enterprises, FirmReaders};
use crate::edge::{ApiError, ApiForm, ApiPath, AppState, load_profile};
use crate::firms::FirmScope;
use crate::ingest;

/// One entry of a profile's history.
#[derive(Debug, Clone)]
pub struct Change {
    pub at: String,
    pub fields: String,
}

/// One data objection and its answer.
#[derive(Debug, Clone)]
pub struct ObjectionRow {
    pub field: String,
    pub message: String,
    pub raised_at: String,
    pub answer: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "profile.html")]
pub(super) struct ProfilePage {
    chrome: Chrome,
    own: bool,
    profile: ProfileView,
    history: Vec<Change>,
    objections: Vec<ObjectionRow>,
    objectable: Vec<(String, String)>,
}

async fn history(
    state: &AppState,
    scope: &FirmScope,
    profile: &ProfileView,
) -> Result<Vec<Change>, ApiError> {
    let snaps = ingest::list_snapshots(&state.pool, scope, &profile.uscc, i64::MAX, 100).await?;
    Ok((0..snaps.len())
        .map(|i| {
            let changed = ingest::changed_fields(snaps.get(i + 1).map(|s| &s.doc), &snaps[i].doc);
            let labels: Vec<String> = changed.iter().map(|f| profile.label_of(f)).collect();
            Change {
                at: format::beijing(snaps[i].taken_at),
                fields: labels.join("、"),
            }
        })
        .collect())
}

async fn page(
    state: &AppState,
    current: &CurrentUser,
    uscc: &str,
    own: bool,
) -> Result<ProfilePage, ApiError> {
    let scope = FirmScope::of(&current.user);
    let profile = ProfileView::of(&load_profile(state, &scope, uscc).await?);
    let history = history(state, &scope, &profile).await?;
    let objections = if own {
        ingest::list_objections(&state.pool, &scope, i64::MAX, 50)
            .await?
            .into_iter()
            .map(|o| ObjectionRow {
                field: profile.label_of(&o.field),
                message: o.message,
                raised_at: format::beijing(o.raised_at),
                answer: o.answer.unwrap_or_else(|| "待答复".to_owned()),
            })
            .collect()
    } else {
        Vec::new()
    };
    let title = if own {
        "我的企业档案"
    } else {
        "企业档案"
    };
    Ok(ProfilePage {
        chrome: Chrome::new(title, Some(current)),
        own,
        objectable: profile.objectable(),
        profile,
        history,
        objections,
    })
}

pub(super) async fn firm_page(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<FirmReaders>,
    ApiPath(uscc): ApiPath<String>,
) -> Result<ProfilePage, ApiError> {
    let own = current
        .user
        .uscc
        .as_ref()
        .is_some_and(|u| u.as_str() == uscc.trim().to_uppercase());
    page(&state, &current, &uscc, own).await
}

fn own_uscc(current: &CurrentUser) -> String {
    current
        .user
        .uscc
        .as_ref()
        .map(|u| u.as_str().to_owned())
        .unwrap_or_default()
}

pub(super) async fn my_page(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<Enterprises>,
) -> Result<ProfilePage, ApiError> {
    let own = own_uscc(&current);
    page(&state, &current, &own, true).await
}

#[derive(Debug, Deserialize)]
pub(super) struct ObjectionForm {
    field: String,
    message: String,
}

pub(super) async fn my_objection(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<Enterprises>,
    ApiForm(form): ApiForm<ObjectionForm>,
) -> Result<Redirect, ApiError> {
    let scope = FirmScope::of(&current.user);
    let own = own_uscc(&current);
    let (field, message) = (form.field.trim(), form.message.trim());
    if field.is_empty() || message.is_empty() || message.chars().count() > 2000 {
        return Err(ApiError::Unprocessable(
            "请选择有异议的字段，并填写异议说明（不超过2000字）".to_owned(),
        ));
    }
    ingest::raise_objection(
        &state.pool,
        &scope,
        &own,
        field,
        message,
        &current.user.username,
    )
    .await?
    .ok_or_else(|| ApiError::NotFound("未找到企业档案".to_owned()))?;
    Ok(Redirect::to("/my/profile#objections"))
}
