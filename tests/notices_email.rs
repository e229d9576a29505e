//! The email channel over a real SMTP exchange on loopback: lettre's client against our
//! SMTP sink. Chinese subject and body arrive decoded, the delivery's idempotency key is
//! the `Message-ID` (a resend is dropped by it), 4xx and refused connections are retried,
//! 5xx is dead at once, and every attempt is recorded with its reply code.
#![allow(clippy::unwrap_used)]

mod notices_support;

use std::sync::atomic::Ordering;

use mianshen::config::Secret;
use mianshen::db::{MIGRATOR, fresh_database};
use mianshen::notices::channels::email::mask_email;
use mianshen::sandbox::smtp_sink::SmtpBehaviour;
use notices_support::{USCC, count, drain, email_policy, enqueue, set_channels, start_smtp_sink};
use sqlx::PgPool;

const ADDRESS: &str = "caiwu@example.cn";

/// (outcome, reply code) of each attempt.
type Attempts = Vec<(String, Option<i32>)>;
/// (case, sink behaviour or None for nothing listening, password sent, expected attempts,
/// final status, messages stored).
type Case = (
    &'static str,
    Option<SmtpBehaviour>,
    Option<&'static str>,
    Attempts,
    &'static str,
    usize,
);

/// (outcome, reply code) of every email attempt, in order.
async fn email_attempts(pool: &PgPool) -> Attempts {
    sqlx::query_as(
        "SELECT a.outcome, a.status_code FROM delivery_attempts a
         JOIN notice_deliveries d ON d.id = a.delivery_id
         WHERE d.channel = 'email' ORDER BY a.id",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn emails_arrive_in_chinese_with_the_idempotency_key_as_message_id() {
    // Arrange
    let db = fresh_database(&MIGRATOR).await.unwrap();
    let (port, log) = start_smtp_sink(SmtpBehaviour::default()).await;
    set_channels(&db.pool, USCC, None, Some(ADDRESS)).await;
    for n in 1..=3 {
        enqueue(&db.pool, n, USCC).await;
    }

    // Act
    drain(&db.pool, &email_policy(3, port)).await;

    // Assert
    let mails = log.messages();
    assert_eq!(mails.len(), 3);
    let keys: Vec<uuid::Uuid> = sqlx::query_scalar(
        "SELECT idempotency_key FROM notice_deliveries WHERE channel = 'email' ORDER BY id",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    for key in &keys {
        let id = format!("<{key}@mianshen.local>");
        let mail = mails.iter().find(|m| m.message_id == id).unwrap();
        assert_eq!(mail.envelope_to, [ADDRESS]);
        assert_eq!(mail.envelope_from, "noreply@mianshen.local");
        assert_eq!(mail.to, ADDRESS);
        assert_eq!(mail.subject, "【免申即享】研发增长奖励 74,074.07 元");
        assert!(
            mail.content_type
                .eq_ignore_ascii_case("text/plain; charset=utf-8"),
            "{}",
            mail.content_type
        );
        assert!(mail.body.contains("金额: 74,074.07 元"), "{}", mail.body);
        assert!(
            mail.body.contains("- 2025年研发费用增长 23.5%"),
            "{}",
            mail.body
        );
    }
    assert_eq!(
        email_attempts(&db.pool).await,
        vec![("delivered".into(), Some(250)); 3]
    );
}

#[tokio::test]
async fn a_resend_after_a_crash_is_the_same_message_and_is_dropped_by_its_id() {
    let db = fresh_database(&MIGRATOR).await.unwrap();
    let (port, log) = start_smtp_sink(SmtpBehaviour::default()).await;
    set_channels(&db.pool, USCC, None, Some(ADDRESS)).await;
    enqueue(&db.pool, 1, USCC).await;
    let policy = email_policy(3, port);
    drain(&db.pool, &policy).await;

    // As if the worker died after sending but before recording: pending again, lease over.
    sqlx::query(
        "UPDATE notice_deliveries SET status = 'pending', next_attempt_at = now()
         WHERE channel = 'email'",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    drain(&db.pool, &policy).await;

    assert_eq!(log.stored(), 1);
    assert_eq!(log.duplicates.load(Ordering::SeqCst), 1);
    assert_eq!(email_attempts(&db.pool).await.len(), 2);
}

#[tokio::test]
async fn transient_failures_are_retried_and_permanent_ones_are_dead_at_once() {
    // (case, sink behaviour or None for nothing listening, credentials sent,
    //  expected attempts, final status, messages stored)
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let closed_port = closed.local_addr().unwrap().port();
    drop(closed);
    let retry = |code| ("retry".to_owned(), code);
    let credentials = Some(("notices".to_owned(), "right".to_owned()));
    let table: Vec<Case> = vec![
        (
            "451 twice, then stored",
            Some(SmtpBehaviour {
                fail_first: 2,
                ..SmtpBehaviour::default()
            }),
            None,
            vec![
                retry(Some(451)),
                retry(Some(451)),
                ("delivered".into(), Some(250)),
            ],
            "delivered",
            1,
        ),
        (
            "550 unknown mailbox",
            Some(SmtpBehaviour {
                reject_rcpt: Some(550),
                ..SmtpBehaviour::default()
            }),
            None,
            vec![("permanent".into(), Some(550))],
            "dead",
            0,
        ),
        (
            "450 mailbox busy until the attempts run out",
            Some(SmtpBehaviour {
                reject_rcpt: Some(450),
                ..SmtpBehaviour::default()
            }),
            None,
            vec![retry(Some(450)); 3],
            "dead",
            0,
        ),
        (
            "connection refused",
            None,
            None,
            vec![retry(None); 3],
            "dead",
            0,
        ),
        (
            "AUTH PLAIN accepted",
            Some(SmtpBehaviour {
                credentials: credentials.clone(),
                ..SmtpBehaviour::default()
            }),
            Some("right"),
            vec![("delivered".into(), Some(250))],
            "delivered",
            1,
        ),
        (
            "AUTH PLAIN refused with 535",
            Some(SmtpBehaviour {
                credentials,
                ..SmtpBehaviour::default()
            }),
            Some("wrong"),
            vec![("permanent".into(), Some(535))],
            "dead",
            0,
        ),
    ];
    for (case, behaviour, password, expected, status, stored) in table {
        let db = fresh_database(&MIGRATOR).await.unwrap();
        let (port, log) = match behaviour {
            Some(b) => {
                let (port, log) = start_smtp_sink(b).await;
                (port, Some(log))
            }
            None => (closed_port, None),
        };
        set_channels(&db.pool, USCC, None, Some(ADDRESS)).await;
        enqueue(&db.pool, 1, USCC).await;
        let mut policy = email_policy(3, port);
        if let Some(password) = password {
            policy.email.username = Some("notices".into());
            policy.email.password = Some(Secret::new(password));
        }

        drain(&db.pool, &policy).await;

        assert_eq!(email_attempts(&db.pool).await, expected, "{case}");
        let errors: Vec<String> =
            sqlx::query_scalar("SELECT coalesce(error, '') FROM delivery_attempts ORDER BY id")
                .fetch_all(&db.pool)
                .await
                .unwrap();
        assert!(
            errors.iter().all(|e| !e.contains(ADDRESS)),
            "{case}: an attempt stored the recipient's address: {errors:?}"
        );
        if case.starts_with("550") {
            assert!(
                errors.iter().any(|e| e.contains(&mask_email(ADDRESS))),
                "{case}: {errors:?}"
            );
        }
        let sql = format!(
            "SELECT count(*) FROM notice_deliveries WHERE channel = 'email' AND status = '{status}'"
        );
        assert_eq!(count(&db.pool, &sql).await, 1, "{case}");
        assert_eq!(log.map_or(0, |l| l.stored()), stored, "{case}");
    }
}
