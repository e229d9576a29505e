//! The service's role refreshes planner statistics after bulk work through the owner's
//! function, which the role cannot redefine.
#![allow(clippy::unwrap_used)]

use mianshen::db::{MIGRATOR, app_pool, fresh_database, refresh_planner_statistics};

#[tokio::test]
async fn the_app_role_refreshes_statistics_of_the_night_tables() {
    let db = fresh_database(&MIGRATOR).await.unwrap();
    let app = app_pool(db.url(), 2).await.unwrap();
    let analysed = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM pg_stat_user_tables
             WHERE relname IN ('source_records', 'profile_dirty', 'profiles', 'profile_snapshots',
                               'match_results') AND last_analyze IS NOT NULL",
        )
        .fetch_one(&db.pool)
        .await
        .unwrap()
    };
    assert_eq!(analysed().await, 0);
    refresh_planner_statistics(&app).await.unwrap();
    // The statistics collector reports asynchronously; give it a moment.
    let mut seen = 0;
    for _ in 0..50 {
        seen = analysed().await;
        if seen == 5 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(seen, 5);
    let replaced = sqlx::query(
        "CREATE OR REPLACE FUNCTION refresh_planner_statistics() RETURNS void LANGUAGE sql AS 'SELECT 1'",
    )
    .execute(&app)
    .await;
    assert!(
        replaced.is_err(),
        "the service may not redefine the owner's function"
    );
}
