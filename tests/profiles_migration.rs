//! Migration 0062 moves each profile's document into its snapshots: on a database written by
//! the schema before it, every profile ends pointing to the snapshot of its own content, and
//! reads the same document and provenance as before.
#![allow(clippy::unwrap_used)]

use mianshen::db::{self, MIGRATOR};
use serde_json::{Value, json};
use sqlx::migrate::Migrator;

/// The first migration that stores profiles as pointers to their snapshots.
const POINTERS: i64 = 62;

#[tokio::test]
async fn every_profile_keeps_its_document_and_provenance() {
    // Arrange: the schema before the migration, with three kinds of stored profiles.
    let before = Migrator::with_migrations(
        MIGRATOR
            .iter()
            .filter(|m| m.version < POINTERS)
            .cloned()
            .collect(),
    );
    let db = db::fresh_database(&before).await.unwrap();
    let cases: [(&str, &str, &[&str]); 3] = [
        // (uscc, content of the profile, contents of its snapshots in the order written)
        ("91370200MA00000001", "b", &["a", "b"]),
        ("91370200MA00000002", "a", &["a", "b"]),
        ("91370200MA00000003", "c", &[]),
    ];
    for (uscc, content, snapshots) in cases {
        for taken in snapshots.iter() {
            sqlx::query(
                "INSERT INTO profile_snapshots (uscc, doc, provenance, content_hash)
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(uscc)
            .bind(doc(taken))
            .bind(provenance(taken))
            .bind(taken.as_bytes())
            .execute(&db.pool)
            .await
            .unwrap();
        }
        sqlx::query(
            "INSERT INTO profiles (uscc, doc, provenance, content_hash) VALUES ($1, $2, $3, $4)",
        )
        .bind(uscc)
        .bind(doc(content))
        .bind(provenance(content))
        .bind(content.as_bytes())
        .execute(&db.pool)
        .await
        .unwrap();
    }

    // Act
    MIGRATOR.run(&db.pool).await.unwrap();

    // Assert: each profile reads its own content through the snapshot it points to.
    let rows: Vec<(String, Value, Value, Vec<u8>)> = sqlx::query_as(
        "SELECT p.uscc, s.doc, s.provenance, s.content_hash
         FROM profiles p JOIN profile_snapshots s ON s.id = p.snapshot_id AND s.uscc = p.uscc
         ORDER BY p.uscc",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let expected: Vec<(String, Value, Value, Vec<u8>)> = cases
        .iter()
        .map(|(uscc, content, _)| {
            let bytes = content.as_bytes().to_vec();
            (uscc.to_string(), doc(content), provenance(content), bytes)
        })
        .collect();
    assert_eq!(rows, expected);
    let snapshots: i64 = sqlx::query_scalar("SELECT count(*) FROM profile_snapshots")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(snapshots, 5, "only the profile without a snapshot gets one");
}

fn doc(content: &str) -> Value {
    json!({"name": format!("企业{content}"), "registered_capital": content})
}

fn provenance(content: &str) -> Value {
    json!({"name": {"source": "registry", "as_of": content}})
}
