use convene::db::{Backend, Database};

use crate::helpers::spawn_app;

#[tokio::test]
async fn migrations_are_idempotent_and_safe_to_run_from_several_instances() {
    let app = spawn_app().await;
    assert_eq!(
        app.db.migrate().unwrap(),
        0,
        "everything was applied at start"
    );
    if app.db.backend() == Backend::Postgres {
        // Several instances starting at once against one fresh database.
        let url = app.fresh_postgres_database();
        let settings = convene::config::DatabaseSettings {
            url,
            pool_size: 2,
            connect_timeout_secs: 5,
        };
        let runs: Vec<_> = (0..4)
            .map(|_| {
                let db = Database::connect(&settings).unwrap();
                std::thread::spawn(move || db.migrate())
            })
            .collect();
        let applied: Vec<usize> = runs
            .into_iter()
            .map(|run| run.join().unwrap().unwrap())
            .collect();
        assert_eq!(applied.iter().filter(|n| **n > 0).count(), 1, "{applied:?}");
    }
}
