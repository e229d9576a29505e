//! Submitting a draft: upload the policy folder (`<input type=file webkitdirectory>`,
//! multipart), or edit its three files in the browser, check them (the findings of
//! `rules check` with their lines, and the failed cases of `rules test`) and save. Saving
//! goes through [`policies::submit`], as the API and the CLI do: a draft that fails a check
//! or a case is refused with the findings, and nothing is stored.

use std::collections::BTreeMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::versions::{Verdict, find, verdict_of};
use crate::edge::auth::{Authorized, Authors, CurrentUser};
use crate::edge::{ApiError, ApiForm, ApiQuery, AppState, check_text};
use crate::policies::{self, MAX_FILE_BYTES, SubmitError};
use crate::web::chrome::Chrome;

/// The three files of a policy folder, by name.
const RULE: &str = "rule.rhai";
const META: &str = "policy.toml";
const CASES: &str = "cases.toml";

#[derive(Template, WebTemplate)]
#[template(path = "draft_new.html")]
pub(super) struct DraftPage {
    chrome: Chrome,
    policy_id: String,
    rule: String,
    meta: String,
    cases: String,
    verdict: Option<Verdict>,
    max_kib: usize,
}

impl DraftPage {
    fn new(current: &CurrentUser, policy_id: String, files: &BTreeMap<String, String>) -> Self {
        let file = |name: &str| files.get(name).cloned().unwrap_or_default();
        Self {
            chrome: Chrome::new("提交政策草稿", Some(current)),
            policy_id,
            rule: file(RULE),
            meta: file(META),
            cases: file(CASES),
            verdict: None,
            max_kib: MAX_FILE_BYTES / 1024,
        }
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct From {
    from: Option<i64>,
}

/// `GET /policies/drafts/new[?from={id}]`: the upload form and the editor, filled with
/// version `from`'s files when given.
pub(super) async fn new_page(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<Authors>,
    ApiQuery(From { from }): ApiQuery<From>,
) -> Result<DraftPage, ApiError> {
    let (policy_id, files) = match from {
        Some(id) => {
            let v = find(&state, id).await?;
            let files = policies::files_of(&v);
            (v.policy_id, files)
        }
        None => (String::new(), BTreeMap::new()),
    };
    Ok(DraftPage::new(&current, policy_id, &files))
}

/// The editor's form.
#[derive(Debug, Deserialize)]
pub(super) struct EditForm {
    policy_id: String,
    rule_rhai: String,
    policy_toml: String,
    cases_toml: String,
    /// `check` or `save`.
    action: String,
}

/// `POST /policies/drafts/edit`: checks the edited files, or saves them as a draft.
pub(super) async fn edit(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<Authors>,
    ApiForm(form): ApiForm<EditForm>,
) -> Result<Response, ApiError> {
    // Browsers send text areas with CRLF line ends; the files keep the author's LF.
    let files = BTreeMap::from([
        (RULE.to_owned(), form.rule_rhai.replace("\r\n", "\n")),
        (META.to_owned(), form.policy_toml.replace("\r\n", "\n")),
        (CASES.to_owned(), form.cases_toml.replace("\r\n", "\n")),
    ]);
    let policy_id = form.policy_id.trim().to_owned();
    match form.action.as_str() {
        "check" => {
            let checked = policies::check_folder(&policy_id, &files).map(|(_, cases)| cases);
            let status = if checked.is_ok() {
                StatusCode::OK
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            Ok(answer(&current, policy_id, &files, &checked, status))
        }
        "save" => save(&state, &current, policy_id, &files).await,
        _ => Err(ApiError::BadRequest(
            "请点击“检查”或“保存草稿”按钮提交".to_owned(),
        )),
    }
}

/// `POST /policies/drafts/upload`: the files of one policy folder, as the browser sends a
/// chosen folder (each file named `folder/file`); the folder's name is the policy's id
/// unless the form gives one.
pub(super) async fn upload(
    State(state): State<AppState>,
    Authorized(current, ..): Authorized<Authors>,
    form: Result<Multipart, MultipartRejection>,
) -> Result<Response, ApiError> {
    let mut form = form.map_err(|_| {
        ApiError::BadRequest(
            "请用“上传政策文件夹”表单提交（multipart/form-data），并选择一个政策文件夹".to_owned(),
        )
    })?;
    let unreadable = |_| {
        ApiError::BadRequest(
            "上传的表单无法读取（可能被中断或过大）：请重新选择文件夹后再提交".to_owned(),
        )
    };
    let (mut given_id, mut folder) = (String::new(), String::new());
    let mut files = BTreeMap::new();
    while let Some(field) = form.next_field().await.map_err(unreadable)? {
        match field.name() {
            Some("policy_id") => given_id = field.text().await.map_err(unreadable)?,
            Some("files") => {
                let path = field.file_name().unwrap_or_default().replace('\\', "/");
                let mut parts = path.rsplit('/');
                let name = parts.next().unwrap_or_default().to_owned();
                if let Some(dir) = parts.next() {
                    folder = dir.to_owned();
                }
                let bytes = field.bytes().await.map_err(unreadable)?;
                // Files the system adds to folders (.DS_Store and the like) are not the
                // policy's.
                if name.is_empty() || name.starts_with('.') {
                    continue;
                }
                if bytes.len() > MAX_FILE_BYTES {
                    return Err(ApiError::Unprocessable(format!(
                        "文件 {name} 有 {} KiB，超过上限 {} KiB：请只上传政策的规则文件",
                        bytes.len() / 1024,
                        MAX_FILE_BYTES / 1024
                    )));
                }
                let text = String::from_utf8(bytes.to_vec()).map_err(|_| {
                    ApiError::Unprocessable(format!(
                        "文件 {name} 不是 UTF-8 编码的文本：请用 UTF-8 保存后重新上传"
                    ))
                })?;
                check_text(&format!("文件 {name} "), &text)?;
                files.insert(name, text);
            }
            _ => {}
        }
    }
    if files.is_empty() {
        return Err(ApiError::Unprocessable(
            "没有收到文件：请选择政策文件夹（含 rule.rhai、policy.toml、cases.toml）后再提交"
                .to_owned(),
        ));
    }
    let policy_id = match given_id.trim() {
        "" => folder,
        id => id.to_owned(),
    };
    save(&state, &current, policy_id, &files).await
}

/// Saves `files` as a draft by `current`; refused with the findings when a check fails.
async fn save(
    state: &AppState,
    current: &CurrentUser,
    policy_id: String,
    files: &BTreeMap<String, String>,
) -> Result<Response, ApiError> {
    match policies::submit(&state.pool, &policy_id, files, &current.user.username).await {
        Ok(saved) => Ok(Redirect::to(&format!("/policies/{}", saved.id)).into_response()),
        Err(SubmitError::Other(e)) => Err(ApiError::Internal(e)),
        Err(refused) => Ok(answer(
            current,
            policy_id,
            files,
            &Err(refused),
            StatusCode::UNPROCESSABLE_ENTITY,
        )),
    }
}

/// The draft page again with the files as sent and what the check found.
fn answer(
    current: &CurrentUser,
    policy_id: String,
    files: &BTreeMap<String, String>,
    checked: &Result<usize, SubmitError>,
    status: StatusCode,
) -> Response {
    let mut page = DraftPage::new(current, policy_id, files);
    page.verdict = Some(verdict_of(checked));
    (status, page).into_response()
}
