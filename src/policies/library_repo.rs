//! SQL of the public policy library (政策库): the published versions with what their
//! `policy.toml` says, searched by words, mode, issuing department, region and industry; the
//! conditions each rule checks, read from its source; and where one firm stands on each.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::Value;
use sqlx::PgExecutor;

use super::conditions::rule_conditions;
use crate::profiles::{area_name, section_name};
use crate::rules::Param;

/// A published policy as the library lists it.
#[derive(Debug, Clone)]
pub struct LibraryEntry {
    pub id: i64,
    pub policy_id: String,
    pub title: String,
    pub mode: String,
    pub issuer: Option<String>,
    pub source: Option<String>,
    pub window_from: Option<String>,
    pub window_to: Option<String>,
    pub period: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    /// The `region_prefix` parameter (`3702`), `None` for a policy of the whole province.
    pub region_prefix: Option<String>,
    /// The `industry_sections` parameter (`B,C,D`), `None` for a policy of every industry.
    pub industry_sections: Option<String>,
    /// `policy.toml`'s `params`, as stored.
    pub params: Option<Value>,
    /// `rule.rhai`.
    pub rule: Option<String>,
}

/// A policy without `region_prefix` applies in the whole province.
pub const PROVINCE_PREFIX: &str = "37";

impl LibraryEntry {
    /// The code prefix of the area the policy applies in (`37` 山东省 when it names none).
    pub fn area(&self) -> &str {
        self.region_prefix.as_deref().unwrap_or(PROVINCE_PREFIX)
    }

    /// The area's Chinese name (青岛市), or its code prefix when the table does not know it.
    pub fn area_name(&self) -> String {
        area_name(self.area()).map_or_else(|| self.area().to_owned(), str::to_owned)
    }

    /// The industries (门类) it covers by name (`制造业`), `全部行业` when it names none.
    pub fn industry_names(&self) -> String {
        match &self.industry_sections {
            None => "全部行业".to_owned(),
            Some(sections) => sections
                .split(',')
                .map(str::trim)
                .map(|letter| section_name(letter).unwrap_or(letter))
                .collect::<Vec<_>>()
                .join("、"),
        }
    }

    /// The rule's conditions and amount in plain Chinese, from its reason texts.
    pub fn conditions(&self) -> Vec<String> {
        let params: Vec<Param> = self
            .params
            .clone()
            .and_then(|p| serde_json::from_value(p).ok())
            .unwrap_or_default();
        self.rule
            .as_deref()
            .map(|src| rule_conditions(src, &params))
            .unwrap_or_default()
    }
}

/// What the library can be filtered by.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LibraryFilter<'a> {
    /// Words in the title or issuer.
    pub words: Option<&'a str>,
    pub mode: Option<&'a str>,
    /// The issuing department, exactly.
    pub issuer: Option<&'a str>,
    /// An area's code prefix (`3702`): the policies that apply there, province-wide ones included.
    pub area: Option<&'a str>,
    /// A section letter (`C`): the policies that cover it, those of every industry included.
    pub industry: Option<&'a str>,
}

/// The choices of the library's filters: the published policies' issuers and areas (code
/// prefix and name), each once, in order.
#[derive(Debug, Clone, Default)]
pub struct LibraryChoices {
    pub issuers: Vec<String>,
    pub areas: Vec<(String, String)>,
}

/// The published versions that pass every filter that is set (see [`LibraryFilter`]), newest
/// publication first.
pub async fn library(
    executor: impl PgExecutor<'_>,
    filter: &LibraryFilter<'_>,
) -> sqlx::Result<Vec<LibraryEntry>> {
    sqlx::query_as!(
        LibraryEntry,
        r#"SELECT v.id, v.policy_id, v.title, v.mode, v.meta->>'issuer' AS issuer,
                  v.meta->>'source' AS source, v.meta->'window'->>'from' AS window_from,
                  v.meta->'window'->>'to' AS window_to, v.meta->>'period' AS period, v.published_at,
                  p.prefix AS region_prefix, p.sections AS industry_sections,
                  v.meta->'params' AS params,
                  v.files->>'rule.rhai' AS rule
           FROM policy_versions v
           LEFT JOIN LATERAL (
               SELECT min(e->>'text') FILTER (WHERE e->>'name' = 'region_prefix') AS prefix,
                      min(e->>'text') FILTER (WHERE e->>'name' = 'industry_sections') AS sections
               FROM jsonb_array_elements(
                   CASE WHEN jsonb_typeof(v.meta->'params') = 'array' THEN v.meta->'params' ELSE '[]'::jsonb END) e
               ) p ON true
           WHERE v.status = 'published'
             AND ($1::text IS NULL OR strpos(lower(v.title || ' ' || coalesce(v.meta->>'issuer', '')), lower($1)) > 0)
             AND ($2::text IS NULL OR v.mode = $2)
             AND ($3::text IS NULL OR v.meta->>'issuer' = $3)
             AND ($4::text IS NULL OR starts_with($4, coalesce(p.prefix, $5)))
             AND ($6::text IS NULL OR p.sections IS NULL
                  OR $6 = ANY(regexp_split_to_array(trim(p.sections), '\s*,\s*')))
           ORDER BY v.published_at DESC NULLS LAST, v.id DESC"#,
        filter.words,
        filter.mode,
        filter.issuer,
        filter.area,
        PROVINCE_PREFIX,
        filter.industry
    )
    .fetch_all(executor)
    .await
}

/// The issuers and areas of every published version, for the library's filters.
pub async fn library_choices(executor: impl PgExecutor<'_>) -> sqlx::Result<LibraryChoices> {
    let all = library(executor, &LibraryFilter::default()).await?;
    let mut choices = LibraryChoices::default();
    for e in &all {
        if let Some(issuer) = e.issuer.as_ref().filter(|i| !choices.issuers.contains(i)) {
            choices.issuers.push(issuer.clone());
        }
        if !choices.areas.iter().any(|(code, _)| code == e.area()) {
            choices.areas.push((e.area().to_owned(), e.area_name()));
        }
    }
    choices.issuers.sort();
    choices.areas.sort();
    Ok(choices)
}

/// Where a firm stands on one published version: its latest decision and its grant.
#[derive(Debug, Clone)]
pub struct Standing {
    pub policy_version_id: i64,
    pub policy_id: String,
    pub eligible: bool,
    pub amount: Decimal,
    pub reasons: Value,
    pub failed: i32,
    pub error: Option<String>,
    /// False when the firm is outside the policy's scope (its region, status…).
    pub in_scope: bool,
    /// False when only the decision was stored; its reasons come from a replay.
    pub explained: bool,
    pub grant_id: Option<i64>,
}

/// The latest decisions of firm `uscc` on every published version.
pub async fn standings(executor: impl PgExecutor<'_>, uscc: &str) -> sqlx::Result<Vec<Standing>> {
    sqlx::query_as!(
        Standing,
        r#"SELECT r.policy_version_id, v.policy_id, r.eligible, r.amount, r.reasons, r.failed,
                  r.error, r.in_scope, r.explained,
                  (SELECT max(g.id) FROM grants g
                    WHERE g.policy_version_id = r.policy_version_id AND g.uscc = r.uscc) AS grant_id
           FROM match_results r
           JOIN policy_versions v ON v.id = r.policy_version_id AND v.status = 'published'
           WHERE r.uscc = $1"#,
        uscc
    )
    .fetch_all(executor)
    .await
}
