//! Payee accounts: refused unless in the firm's registered name with a plausible number
//! and bank (a table, nothing stored), stored and audited masked, and setting one moves
//! the firm's grants waiting for it to `ready` (another firm's stay).
#![allow(clippy::unwrap_used)]

mod grants_support;

use grants_support::{FIRM_A, FIRM_B, NAME_A, world};
use mianshen::grants::payee::{PayeeInput, payee_account, set_payee_account};
use mianshen::grants::steps::{Actor, GrantStatus, advance};

fn input(name: &str, number: &str, bank: &str) -> PayeeInput {
    PayeeInput {
        account_name: name.to_owned(),
        account_number: number.to_owned(),
        bank: bank.to_owned(),
    }
}

#[tokio::test]
async fn an_account_is_checked_stored_masked_and_releases_the_grants_waiting_for_it() {
    // Arrange: two grants of firm A and one of firm B waiting for an account.
    let w = world().await;
    let ids = w
        .grants(
            "免申即享",
            &[(FIRM_A, "100.00"), (FIRM_A, "200.00"), (FIRM_B, "300.00")],
        )
        .await;
    let mut conn = w.app_pool.acquire().await.unwrap();
    let reviewer = Actor::user(&w.reviewer);
    advance(
        &mut conn,
        &ids,
        GrantStatus::Created,
        GrantStatus::Reviewed,
        &reviewer,
        "审核通过",
    )
    .await
    .unwrap();
    let system = Actor::System("test");
    advance(
        &mut conn,
        &ids,
        GrantStatus::Reviewed,
        GrantStatus::AwaitingAccount,
        &system,
        "无账户",
    )
    .await
    .unwrap();
    let firm = Actor::user(&w.enterprise_a);

    // Bad input: each refused with its message, nothing stored, nothing moved.
    let cases = [
        (
            input("济南乙工贸有限公司", "62220212345678", "工商银行"),
            format!("收款账户名称须与企业登记名称“{NAME_A}”一致"),
        ),
        (
            input(NAME_A, "6222-0212-3456", "工商银行"),
            "银行账号格式不正确：应为8至32位数字".to_owned(),
        ),
        (
            input(NAME_A, "1234567", "工商银行"),
            "银行账号格式不正确：应为8至32位数字".to_owned(),
        ),
        (
            input(NAME_A, "62220212345678", "行"),
            "开户银行须为2至60个字".to_owned(),
        ),
    ];
    for (bad, message) in cases {
        let refused = set_payee_account(&w.app_pool, FIRM_A, &bad, &firm).await;
        assert_eq!(
            refused.err().map(|e| e.to_string()),
            Some(message),
            "{bad:?}"
        );
    }
    assert!(payee_account(&w.app_pool, FIRM_A).await.unwrap().is_none());
    assert!(
        w.statuses(&ids)
            .await
            .iter()
            .all(|s| s == "awaiting_account")
    );

    // Act: a good account.
    let set = set_payee_account(
        &w.app_pool,
        FIRM_A,
        &input(NAME_A, "6222 0212 3456 7890", "中国工商银行济南分行"),
        &firm,
    )
    .await
    .unwrap();

    // Assert: stored in clear for payment, shown masked, the firm's own grants released.
    assert_eq!(set.grants_ready, 2);
    assert_eq!(set.account.account_number, "************7890");
    let stored = payee_account(&w.app_pool, FIRM_A).await.unwrap().unwrap();
    assert_eq!(stored.account_number, "6222021234567890");
    assert_eq!(
        w.statuses(&ids).await,
        ["ready", "ready", "awaiting_account"]
    );
    let audit: Vec<String> = sqlx::query_scalar(
        "SELECT after::text FROM audit_events WHERE action = 'payee_account.set'",
    )
    .fetch_all(&w.db.pool)
    .await
    .unwrap();
    assert_eq!(audit.len(), 1);
    assert!(audit[0].contains("************7890") && !audit[0].contains("6222021234567890"));
    // The database refuses an account in another name even past the code.
    let forged = sqlx::query("UPDATE payee_accounts SET account_name = '别人' WHERE uscc = $1")
        .bind(FIRM_A)
        .execute(&w.app_pool)
        .await;
    assert!(forged.is_err());
}

#[tokio::test]
async fn confirming_a_grant_with_its_bank_gives_the_payee_account() {
    use mianshen::grants::{Answer, answer};
    let w = world().await;
    let ids = w
        .grants("确认即享", &[(FIRM_A, "100.00"), (FIRM_A, "50.00")])
        .await;
    let confirm = |bank: Option<&str>| Answer::Confirm {
        bank_account_name: NAME_A.to_owned(),
        bank_account_no: "6222 0212 3456 7890".to_owned(),
        commitment: "承诺属实".to_owned(),
        bank: bank.map(str::to_owned),
    };
    // A bank name too short is refused and nothing is stored.
    let refused = answer(&w.app_pool, &w.enterprise_a, ids[0], &confirm(Some("行"))).await;
    assert_eq!(
        refused.err().map(|e| e.to_string()),
        Some("开户银行须为2至60个字".to_owned())
    );
    assert!(payee_account(&w.app_pool, FIRM_A).await.unwrap().is_none());
    assert_eq!(w.statuses(&ids[..1]).await, ["created"]);
    // Without a bank the grant is confirmed but no account is set; with one, both.
    answer(&w.app_pool, &w.enterprise_a, ids[1], &confirm(None))
        .await
        .unwrap();
    assert!(payee_account(&w.app_pool, FIRM_A).await.unwrap().is_none());
    answer(
        &w.app_pool,
        &w.enterprise_a,
        ids[0],
        &confirm(Some("中国银行")),
    )
    .await
    .unwrap();
    let account = payee_account(&w.app_pool, FIRM_A).await.unwrap().unwrap();
    assert_eq!(
        (account.account_number.as_str(), account.bank.as_str()),
        ("6222021234567890", "中国银行")
    );
}
