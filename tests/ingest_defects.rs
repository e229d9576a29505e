//! The defect table: one record per kind of defect of the schema and the data rules, each
//! quarantined with its field and reason while the valid records of the same feed are
//! stored; then idempotence, and a change in one source making exactly one new snapshot.
#![allow(clippy::unwrap_used, clippy::cmp_owned)]

mod ingest_support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use ingest_support::{population, settings_for, start_platform, uscc};
use mianshen::db::{self, MIGRATOR};
use mianshen::firms::FirmScope;
use mianshen::ingest::{NoProgress, find_profile, list_quarantine, list_snapshots, run_ingest};
use serde_json::{Value, json};

/// (source, record, expected field, expected part of the reason)
fn defects() -> Vec<(&'static str, Value, &'static str, &'static str)> {
    let u = uscc(900);
    vec![
        ("market_regulation", json!([1, 2]), "", "档案应为JSON对象"),
        (
            "market_regulation",
            json!("91370212MA0000900X"),
            "",
            "档案应为JSON对象",
        ),
        (
            "market_regulation",
            json!({"name": "无代码公司"}),
            "uscc",
            "缺少必填字段",
        ),
        (
            "market_regulation",
            json!({"uscc": "91350203M0001QAY9B"}),
            "uscc",
            "校验码应为 '9'",
        ),
        (
            "market_regulation",
            json!({"uscc": "91350203M0001QAY9"}),
            "uscc",
            "应为18位",
        ),
        (
            "market_regulation",
            json!({"uscc": "91350203M0001QAYIB"}),
            "uscc",
            "不在统一社会信用代码字符集内",
        ),
        (
            "market_regulation",
            json!({"uscc": 913502}),
            "uscc",
            "应为字符串",
        ),
        (
            "market_regulation",
            json!({"uscc": u, "registered_capital": 1000000}),
            "registered_capital",
            "不能是JSON数字",
        ),
        (
            "market_regulation",
            json!({"uscc": u, "registered_capital": "100.123"}),
            "registered_capital",
            "金额格式不合法",
        ),
        (
            "market_regulation",
            json!({"uscc": u, "colour": "red"}),
            "colour",
            "未知字段",
        ),
        (
            "market_regulation",
            json!({"uscc": u, "status": "Active"}),
            "status",
            "取值不合法",
        ),
        (
            "market_regulation",
            json!({"uscc": u, "size_class": "huge"}),
            "size_class",
            "取值不合法",
        ),
        (
            "market_regulation",
            json!({"uscc": u, "established_on": "2015-13-01"}),
            "established_on",
            "日期应为YYYY-MM-DD",
        ),
        (
            "market_regulation",
            json!({"uscc": u, "established_on": "2015/06/01"}),
            "established_on",
            "日期应为YYYY-MM-DD",
        ),
        (
            "market_regulation",
            json!({"uscc": u, "region_code": "070212"}),
            "region_code",
            "行政区划代码",
        ),
        (
            "market_regulation",
            json!({"uscc": u, "industry_code": "3484"}),
            "industry_code",
            "行业代码",
        ),
        (
            "market_regulation",
            json!({"uscc": u, "above_scale_since": "2025-13"}),
            "above_scale_since",
            "月份应为YYYY-MM",
        ),
        (
            "market_regulation",
            json!({"uscc": u, "name": ""}),
            "name",
            "长度应为1-200",
        ),
        (
            "market_regulation",
            json!({"uscc": u, "abnormal_operation": "no"}),
            "abnormal_operation",
            "应为true或false",
        ),
        (
            "market_regulation",
            json!({"uscc": u, "tax_credit_grade": "A"}),
            "tax_credit_grade",
            "该字段不属于数据源 market_regulation",
        ),
        (
            "tax",
            json!({"uscc": u, "tax_credit_grade": "E"}),
            "tax_credit_grade",
            "应为A、B、M、C、D之一",
        ),
        (
            "tax",
            json!({"uscc": u, "annual": [{"year": 2025}, {"year": 2025}]}),
            "annual[1].year",
            "2025年度记录重复",
        ),
        (
            "tax",
            json!({"uscc": u, "annual": [{"year": 1900}]}),
            "annual[0].year",
            "应在1949到2100之间",
        ),
        (
            "tax",
            json!({"uscc": u, "annual": [{"revenue": "1.00"}]}),
            "annual[0].year",
            "缺少必填字段",
        ),
        (
            "tax",
            json!({"uscc": u, "annual": [{"year": 2025, "profit": "1.00"}]}),
            "annual[0].profit",
            "未知字段",
        ),
        (
            "tax",
            json!({"uscc": u, "annual": [{"year": 2025, "revenue": 12.5}]}),
            "annual[0].revenue",
            "不能是JSON数字",
        ),
        (
            "tax",
            json!({"uscc": u, "annual": [{"year": 2025, "employees_avg": 3}]}),
            "annual[0].employees_avg",
            "该字段不属于数据源 tax",
        ),
        (
            "tax",
            json!({"uscc": u, "annual": {"year": 2025}}),
            "annual",
            "应为数组",
        ),
        (
            "hrss",
            json!({"uscc": u, "annual": [{"year": 2025, "employees_avg": -1}]}),
            "annual[0].employees_avg",
            "应在0到",
        ),
        (
            "hrss",
            json!({"uscc": u, "hires": [{"person": "ab", "category": "other", "hired_on": "2025-01-01"}]}),
            "hires[0].person",
            "应为64位小写十六进制",
        ),
        (
            "hrss",
            json!({"uscc": u, "hires": [{"person": "a".repeat(64), "category": "student", "hired_on": "2025-01-01"}]}),
            "hires[0].category",
            "取值不合法",
        ),
        (
            "science",
            json!({"uscc": u, "certifications": [{"kind": "high_tech"}]}),
            "certifications[0].recognized_on",
            "缺少必填字段",
        ),
        (
            "science",
            json!({"uscc": u, "certifications": [{"kind": "giant", "recognized_on": "2024-01-01"}]}),
            "certifications[0].kind",
            "取值不合法",
        ),
        (
            "credit",
            json!({"uscc": u, "serious_dishonesty": "yes"}),
            "serious_dishonesty",
            "应为true或false",
        ),
        (
            "credit",
            json!({"uscc": u, "name": "别的名字"}),
            "name",
            "该字段不属于数据源 credit",
        ),
    ]
}

#[tokio::test]
async fn each_defect_is_quarantined_and_the_rest_of_the_feed_is_stored() {
    // Arrange: 20 valid firms (one with a lower-case, space-padded USCC) and the defects.
    let db = db::fresh_database(&MIGRATOR).await.unwrap();
    let pool = db::app_pool(db.url(), 4).await.unwrap();
    let mut feeds = population(20);
    feeds.get_mut("market_regulation").unwrap()[3]["uscc"] =
        json!(format!("  {}  ", uscc(3).to_lowercase()));
    for (source, record, _, _) in defects() {
        let feed = feeds.get_mut(source).unwrap();
        feed.insert(feed.len().min(5), record);
    }
    let feeds = Arc::new(Mutex::new(feeds));
    let base = start_platform(feeds.clone(), Duration::ZERO).await;
    let settings = settings_for(&base, db.url(), 4);

    // Act
    let counts = run_ingest(&pool, &settings.ingest, None, &NoProgress)
        .await
        .unwrap();

    // Assert: every defect in quarantine with its field and reason.
    let quarantined = list_quarantine(&pool, None, i64::MAX, 1000).await.unwrap();
    assert_eq!(quarantined.len(), defects().len(), "{quarantined:#?}");
    for (source, record, field, reason) in defects() {
        let row = quarantined
            .iter()
            .find(|q| q.raw == record.to_string() && q.source == source)
            .unwrap_or_else(|| panic!("{record} not quarantined"));
        assert_eq!(row.field, field, "{record}: {row:?}");
        assert!(
            row.reason.contains(reason),
            "{record}: {} lacks {reason}",
            row.reason
        );
    }
    // ... and the valid records stored, merged, mapped and derived.
    assert_eq!(counts.quarantined, defects().len() as u64);
    assert_eq!((counts.merged, counts.snapshots), (20, 20));
    let profiles: i64 = sqlx::query_scalar("SELECT count(*) FROM profiles")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(profiles, 20);
    let p = find_profile(&pool, &FirmScope::All, &uscc(3))
        .await
        .unwrap()
        .expect("lower-case USCC stored");
    assert_eq!(p.doc["name"], "测试企业3");
    let p0 = find_profile(&pool, &FirmScope::All, &uscc(0))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(p0.doc["region_code"], "370215");
    assert_eq!(p0.provenance["region_code"]["original"], "370282");
    assert_eq!(p0.provenance["region_code"]["source"], "market_regulation");
    assert_eq!(p0.provenance["annual[2025].revenue"]["source"], "tax");
    assert_eq!(
        p0.provenance["annual[2025].employees_avg"]["source"],
        "hrss"
    );
    assert_eq!(p0.provenance["name"]["as_of"], "2026-11-23");
    assert_eq!(p0.doc["size_class"], "micro"); // revenue 100万 < 300万 (工业)
    assert_eq!(p0.provenance["size_class"]["source"], "derived");
    let firm_name: String = sqlx::query_scalar("SELECT name FROM firms WHERE uscc = $1")
        .bind(uscc(7))
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(firm_name, "测试企业7");

    // Act again: nothing new anywhere.
    let again = run_ingest(&pool, &settings.ingest, None, &NoProgress)
        .await
        .unwrap();
    assert_eq!((again.fetched, again.stored, again.snapshots), (0, 0, 0));

    // A re-delivery of the same records after a cursor reset changes nothing either.
    sqlx::query("DELETE FROM source_cursors")
        .execute(&pool)
        .await
        .unwrap();
    let replay = run_ingest(&pool, &settings.ingest, None, &NoProgress)
        .await
        .unwrap();
    assert_eq!((replay.stored, replay.merged, replay.snapshots), (0, 0, 0));
    assert!(replay.unchanged > 0);

    // A change in one source: exactly one new snapshot, with the right provenance.
    let changed = json!({"uscc": uscc(9), "tax_credit_grade": "B",
        "annual": [{"year": 2025, "revenue": "42.00", "total_assets": "5000000.00"}]});
    feeds.lock().unwrap().get_mut("tax").unwrap().push(changed);
    let third = run_ingest(&pool, &settings.ingest, None, &NoProgress)
        .await
        .unwrap();
    assert_eq!((third.stored, third.merged, third.snapshots), (1, 1, 1));
    let history = list_snapshots(&pool, &FirmScope::All, &uscc(9), i64::MAX, 100)
        .await
        .unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].doc["tax_credit_grade"], "B");
    assert_eq!(history[1].doc["tax_credit_grade"], "A");
    assert_eq!(history[0].provenance["tax_credit_grade"]["source"], "tax");
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM profile_snapshots")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(total, 21);
}

#[tokio::test]
async fn a_file_source_takes_each_file_once_and_quarantines_bad_lines() {
    let db = db::fresh_database(&MIGRATOR).await.unwrap();
    let pool = db::app_pool(db.url(), 4).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let good = json!({"uscc": uscc(1), "serious_dishonesty": false});
    std::fs::write(dir.path().join("a.jsonl"), format!("{good}\nnot json\n\n")).unwrap();
    std::fs::write(
        dir.path().join("b.csv"),
        format!(
            "uscc,serious_dishonesty\n{},true\n{},maybe\n",
            uscc(2),
            uscc(3)
        ),
    )
    .unwrap();
    let mut settings = settings_for("http://127.0.0.1:9", db.url(), 1);
    settings.ingest.sources = serde_json::from_value::<Vec<_>>(json!([
        {"name": "credit", "kind": "file", "dir": dir.path(), "fields": ["serious_dishonesty"]}
    ]))
    .unwrap();

    let first = run_ingest(&pool, &settings.ingest, None, &NoProgress)
        .await
        .unwrap();
    let second = run_ingest(&pool, &settings.ingest, None, &NoProgress)
        .await
        .unwrap();

    assert_eq!((first.fetched, first.stored, first.quarantined), (4, 2, 2));
    assert_eq!(second.fetched, 0);
    let q = list_quarantine(&pool, Some("credit"), i64::MAX, 10)
        .await
        .unwrap();
    let fields: Vec<(&str, bool)> = q
        .iter()
        .map(|r| (r.field.as_str(), r.reason.contains("JSON")))
        .collect();
    assert!(fields.contains(&("", true)), "{q:?}");
    assert!(fields.contains(&("serious_dishonesty", false)), "{q:?}");
}
