//! The public policy library (政策库, `/zhengce`) over real HTTP: its filters by words, mode,
//! issuing department, region and industry, the conditions each entry reads from its rule,
//! and where a signed-in firm stands on each policy.

use mianshen::accounts::Role;
use mianshen::matching::{replay, run_matching};

use crate::helpers::{browser, spawn_app};
use crate::matching_support::{as_of, insert_firms, publish_all};

const JN_ABOVE_SCALE: &str = "济南市“小升规”企业奖励(2026年兑现)";
const JN_RD: &str = "济南市企业研发投入增量奖励(2026年兑现)";
const QD_HIGH_TECH: &str = "青岛市高新技术企业认定奖励(2026年兑现)";
const QD_LITTLE_GIANT: &str = "青岛市专精特新“小巨人”企业奖励(2026年兑现)";
const SD_EXPANSION: &str = "2026年一次性扩岗补助";
const SD_STABLE: &str = "2026年失业保险稳岗返还";

/// A filter case: its name, the query, the titles expected.
type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a [&'a str]);

/// The titles the page lists (each entry's `<h2>`), sorted.
fn titles(page: &str) -> Vec<String> {
    let mut found: Vec<String> = page
        .split("<h2>")
        .skip(1)
        .filter_map(|rest| rest.split("</h2>").next())
        .map(str::to_owned)
        .collect();
    found.sort();
    found
}

fn sorted(titles: &[&str]) -> Vec<String> {
    let mut all: Vec<String> = titles.iter().map(|t| (*t).to_owned()).collect();
    all.sort();
    all
}

#[tokio::test]
async fn the_library_filters_by_department_region_industry_words_and_mode() {
    let app = spawn_app().await;
    publish_all(&app.app_pool).await;
    let client = browser();
    let all = [
        JN_ABOVE_SCALE,
        JN_RD,
        QD_HIGH_TECH,
        QD_LITTLE_GIANT,
        SD_EXPANSION,
        SD_STABLE,
    ];
    let cases: &[Case] = &[
        ("no filter", &[], &all),
        (
            "one department",
            &[("issuer", "青岛市科学技术局")],
            &[QD_HIGH_TECH],
        ),
        (
            "a department with two policies",
            &[("issuer", "山东省人力资源和社会保障厅")],
            &[SD_EXPANSION, SD_STABLE],
        ),
        (
            "青岛市: its own policies and the province's",
            &[("area", "3702")],
            &[QD_HIGH_TECH, QD_LITTLE_GIANT, SD_EXPANSION, SD_STABLE],
        ),
        (
            "山东省: the province-wide policies only",
            &[("area", "37")],
            &[SD_EXPANSION, SD_STABLE],
        ),
        (
            "region and department together",
            &[("area", "3701"), ("issuer", "济南市科学技术局")],
            &[JN_RD],
        ),
        (
            "a department of another region",
            &[("area", "3701"), ("issuer", "青岛市科学技术局")],
            &[],
        ),
        (
            "words and mode",
            &[("q", "青岛"), ("mode", "确认即享")],
            &[QD_HIGH_TECH, QD_LITTLE_GIANT],
        ),
        ("mode alone", &[("mode", "免申即享")], &[SD_STABLE]),
        (
            "words matching nothing",
            &[("q", "稳岗"), ("mode", "确认即享")],
            &[],
        ),
        (
            "a department no policy has is ignored",
            &[("issuer", "不存在的部门")],
            &all,
        ),
        (
            "a region no policy has is ignored",
            &[("area", "3706")],
            &all,
        ),
        (
            "制造业: covered by every policy",
            &[("industry", "C")],
            &all,
        ),
        (
            "建筑业: not a section the above-scale reward covers",
            &[("industry", "E")],
            &[
                JN_RD,
                QD_HIGH_TECH,
                QD_LITTLE_GIANT,
                SD_EXPANSION,
                SD_STABLE,
            ],
        ),
        (
            "industry and region together",
            &[("industry", "K"), ("area", "3701")],
            &[JN_RD, SD_EXPANSION, SD_STABLE],
        ),
        (
            "重点服务业 (租赁和商务服务业) in 济南",
            &[("industry", "L"), ("area", "3701")],
            &[JN_ABOVE_SCALE, JN_RD, SD_EXPANSION, SD_STABLE],
        ),
        (
            "a section that does not exist is ignored",
            &[("industry", "Z")],
            &all,
        ),
    ];
    for (name, query, expected) in cases {
        let response = client
            .get(app.url("/zhengce"))
            .query(query)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{name}");
        let page = response.text().await.unwrap();
        assert_eq!(titles(&page), sorted(expected), "{name}");
    }

    // The selects offer the published policies' departments and regions by name.
    let page = client
        .get(app.url("/zhengce"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for option in [
        r#"<option value="3702">青岛市</option>"#,
        r#"<option value="3701">济南市</option>"#,
        r#"<option value="37">山东省</option>"#,
        r#">青岛市民营经济发展局</option>"#,
        r#"<option value="C">制造业</option>"#,
        r#"<option value="E">建筑业</option>"#,
        // Each entry names the industries it covers, from `industry_sections`.
        "<dd>采矿业、制造业、电力、热力、燃气及水生产和供应业、批发和零售业、信息传输、软件和信息技术服务业、租赁和商务服务业、科学研究和技术服务业</dd>",
        "<dd>全部行业</dd>",
    ] {
        assert!(page.contains(option), "{option}: {page}");
    }
}

#[tokio::test]
async fn each_entry_shows_the_conditions_and_amount_its_rule_checks() {
    let app = spawn_app().await;
    publish_all(&app.app_pool).await;
    let page = browser()
        .get(app.url("/zhengce"))
        .query(&[("issuer", "青岛市科学技术局")])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();

    // Read from qd-2026-high-tech-reward/rule.rhai, with its parameters filled in and the
    // firm's own values left out.
    for expected in [
        "<dd>青岛市</dd>",
        "<li>注册地在青岛市</li>",
        "<li>企业登记状态为存续</li>",
        "<li>未被列入严重失信主体名单</li>",
        "<li>首次认定奖励 100000.00 元</li>",
        "<li>重新认定奖励 50000.00 元</li>",
    ] {
        assert!(page.contains(expected), "{expected}: {page}");
    }
    // A failure's explanation (`require(false, …)`) is not a condition.
    assert!(!page.contains("未找到"), "{page}");
}

/// The page's entry of the policy titled `title`: from its `<h2>` to the next one.
fn entry<'p>(page: &'p str, title: &str) -> &'p str {
    let start = page
        .find(&format!("<h2>{title}</h2>"))
        .unwrap_or_else(|| panic!("{title} not listed: {page}"));
    let rest = &page[start + 4..];
    &rest[..rest.find("<h2>").unwrap_or(rest.len())]
}

fn title_of(policy_id: &str) -> &'static str {
    match policy_id {
        "jn-2026-above-scale-reward" => JN_ABOVE_SCALE,
        "jn-2026-rd-growth-reward" => JN_RD,
        "qd-2026-high-tech-reward" => QD_HIGH_TECH,
        "qd-2026-little-giant-reward" => QD_LITTLE_GIANT,
        "sd-2026-job-expansion-grant" => SD_EXPANSION,
        "sd-2026-stable-jobs-refund" => SD_STABLE,
        other => panic!("unknown policy {other}"),
    }
}

/// As askama writes text into a page.
fn escaped(text: &str) -> String {
    text.replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

#[tokio::test]
async fn a_signed_in_firm_sees_what_it_lacks_and_what_does_not_apply_to_it() {
    // Arrange: 200 synthetic firms matched against the published samples; a firm that fails
    // an in-scope policy by more than one condition (stored without its reasons) and that is
    // outside another policy's scope.
    let app = spawn_app().await;
    insert_firms(&app.db.pool, 200).await;
    publish_all(&app.app_pool).await;
    run_matching(&app.app_pool, as_of(), 2).await.unwrap();
    let (uscc, behind, outside): (String, String, String) = sqlx::query_as(
        "SELECT a.uscc, a.policy_id, b.policy_id
         FROM (SELECT r.uscc, v.policy_id FROM match_results r
               JOIN policy_versions v ON v.id = r.policy_version_id
               WHERE r.in_scope AND NOT r.eligible AND NOT r.explained AND r.error IS NULL) a
         JOIN (SELECT r.uscc, v.policy_id FROM match_results r
               JOIN policy_versions v ON v.id = r.policy_version_id
               WHERE NOT r.in_scope) b USING (uscc)
         ORDER BY a.uscc, a.policy_id, b.policy_id LIMIT 1",
    )
    .fetch_one(&app.db.pool)
    .await
    .expect("a firm both behind on one policy and outside another");
    let lacks: Vec<String> = replay(&app.app_pool, &uscc, &behind)
        .await
        .unwrap()
        .map(|r| serde_json::to_value(&r.replayed.reasons).unwrap())
        .and_then(|reasons| reasons.as_array().cloned())
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r["passed"] == false)
        .map(|r| r["text"].as_str().unwrap().to_owned())
        .collect();
    assert!(lacks.len() >= 2, "{behind}: {lacks:?}");
    app.create_user("library-firm", Role::Enterprise, Some(&uscc))
        .await;
    let client = app.login("library-firm").await.client;

    // Act
    let page = client
        .get(app.url("/zhengce"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();

    // Assert: what it lacks, replayed from the stored decision's version and snapshot.
    let behind_entry = entry(&page, title_of(&behind));
    assert!(behind_entry.contains(">尚差</span>"), "{behind_entry}");
    for text in &lacks {
        assert!(
            behind_entry.contains(&escaped(text)),
            "{text}: {behind_entry}"
        );
    }
    // Outside the policy's scope: not applicable, with the scope condition it does not meet.
    let outside_entry = entry(&page, title_of(&outside));
    assert!(outside_entry.contains(">不适用</span>"), "{outside_entry}");
    assert!(
        outside_entry.contains("本政策不面向贵单位") && outside_entry.contains("适用范围："),
        "{outside_entry}"
    );
    assert!(!outside_entry.contains(">尚差</span>"), "{outside_entry}");
}
