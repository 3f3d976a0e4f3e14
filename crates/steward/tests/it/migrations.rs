//! Both backends migrate to the same tables and columns, and refuse a schema from the future.

use steward_store::{Store, StoreError, StoreOptions, MIGRATIONS_KNOWN};

use crate::harness::{Db, TestApp, PG_VAR};

#[tokio::test]
async fn both_backends_reach_the_same_schema() {
    let sqlite = TestApp::start(Db::Sqlite).await.unwrap();
    let lite = sqlite.store.describe_schema().await.unwrap();
    assert!(lite.contains(&("tickets".into(), "priority".into())));
    assert!(lite.contains(&("ticket_events".into(), "old_value".into())));
    assert_eq!(
        sqlite.store.schema_version().await.unwrap(),
        MIGRATIONS_KNOWN
    );
    // Migrating again is a no-op.
    let again = sqlite.store.migrate().await.unwrap();
    assert_eq!((again.from, again.to), (MIGRATIONS_KNOWN, MIGRATIONS_KNOWN));
    sqlite.stop().await;

    let Some(pg) = TestApp::start(Db::Postgres).await else {
        eprintln!("SKIPPED: schema comparison with PostgreSQL needs {PG_VAR}");
        return;
    };
    let post = pg.store.describe_schema().await.unwrap();
    assert_eq!(schema_diff(&lite, &post), Vec::<String>::new());
    assert_eq!(pg.store.schema_version().await.unwrap(), MIGRATIONS_KNOWN);
    pg.stop().await;
}

fn schema_diff(a: &[(String, String)], b: &[(String, String)]) -> Vec<String> {
    let mut out = Vec::new();
    for x in a.iter().filter(|x| !b.contains(x)) {
        out.push(format!("only on SQLite: {}.{}", x.0, x.1));
    }
    for x in b.iter().filter(|x| !a.contains(x)) {
        out.push(format!("only on PostgreSQL: {}.{}", x.0, x.1));
    }
    out
}

#[tokio::test]
async fn a_newer_schema_is_refused() {
    let dir = std::env::temp_dir().join(format!("steward-newer-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = Store::sqlite_url_for_dir(&dir);
    let store = Store::open(&url, &StoreOptions::default()).await.unwrap();
    store.migrate().await.unwrap();
    store.close().await;
    // A later Steward added migration 999.
    {
        use sqlx::Connection;
        let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::query(
            "INSERT INTO steward_schema (version, name, applied_at) VALUES (999, 'future', 0)",
        )
        .execute(&mut c)
        .await
        .unwrap();
        c.close().await.unwrap();
    }
    let store = Store::open(&url, &StoreOptions::default()).await.unwrap();
    let err = store.migrate().await.unwrap_err();
    assert!(
        matches!(err, StoreError::SchemaTooNew { found: 999, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("upgrade Steward"));
    store.close().await;
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn unknown_database_urls_are_refused() {
    for url in [
        "mysql://root@localhost/steward",
        "steward.db",
        "sqlite::memory:",
        "",
    ] {
        match Store::open(url, &StoreOptions::default()).await {
            Err(StoreError::BadUrl(msg)) => assert!(!msg.is_empty()),
            Err(other) => panic!("{url:?}: wrong error {other}"),
            Ok(_) => panic!("{url:?} was accepted"),
        }
    }
}
