//! An enterprise account reaches its own firm's records only, enforced in the queries.

use mianshen::accounts::Role;
use mianshen::firms::{self, FirmScope};
use mianshen::profiles::Uscc;

use crate::helpers::{FIRM_A, FIRM_B, error_of, spawn_app};

#[tokio::test]
async fn an_enterprise_user_asking_for_another_firm_gets_404() {
    let app = spawn_app().await;
    app.create_firm(FIRM_A, "甲公司").await;
    app.create_firm(FIRM_B, "乙公司").await;
    let firm_a = app.session_as(Role::Enterprise).await;

    let own = firm_a
        .client
        .get(app.url(&format!("/api/v1/firms/{FIRM_A}")))
        .send()
        .await
        .unwrap();
    let other = firm_a
        .client
        .get(app.url(&format!("/api/v1/firms/{FIRM_B}")))
        .send()
        .await
        .unwrap();
    let lower_case_other = firm_a
        .client
        .get(app.url(&format!("/api/v1/firms/{}", FIRM_B.to_lowercase())))
        .send()
        .await
        .unwrap();
    let list: Vec<serde_json::Value> = firm_a
        .client
        .get(app.url("/api/v1/firms"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    assert_eq!(own.status(), 200);
    assert_eq!(other.status(), 404);
    assert_eq!(error_of(other).await.0, "not_found");
    assert_eq!(lower_case_other.status(), 404);
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["uscc"], FIRM_A);
}

#[tokio::test]
async fn staff_see_any_firm() {
    let app = spawn_app().await;
    app.create_firm(FIRM_A, "甲公司").await;
    app.create_firm(FIRM_B, "乙公司").await;
    let reviewer = app.session_as(Role::Reviewer).await;

    let other = reviewer
        .client
        .get(app.url(&format!("/api/v1/firms/{FIRM_B}")))
        .send()
        .await
        .unwrap();
    let list: Vec<serde_json::Value> = reviewer
        .client
        .get(app.url("/api/v1/firms"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    assert_eq!(other.status(), 200);
    assert_eq!(list.len(), 2);
}

#[tokio::test]
async fn the_scope_is_applied_by_the_query_itself() {
    let app = spawn_app().await;
    app.create_firm(FIRM_A, "甲公司").await;
    app.create_firm(FIRM_B, "乙公司").await;
    let own_a = FirmScope::Own(Uscc::parse(FIRM_A).unwrap());

    let found = firms::find_firm(&app.app_pool, &own_a, FIRM_B)
        .await
        .unwrap();
    let listed = firms::list_firms(&app.app_pool, &own_a, "", 100)
        .await
        .unwrap();
    let nothing = firms::list_firms(&app.app_pool, &FirmScope::Nothing, "", 100)
        .await
        .unwrap();

    assert_eq!(found, None);
    assert_eq!(
        listed.iter().map(|f| f.uscc.as_str()).collect::<Vec<_>>(),
        [FIRM_A]
    );
    assert!(nothing.is_empty());
}
