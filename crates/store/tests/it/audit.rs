use cocare_store::{AuditVerdict, Backend, NewAuditEvent, Store};
use cocare_testkit::{TestDb, backends};

fn event(n: usize) -> NewAuditEvent {
    NewAuditEvent {
        actor: format!("account:{n}"),
        role: "clinician".into(),
        action: "person.read".into(),
        subject: format!("person:{n}"),
        outcome: "permit".into(),
    }
}

async fn store_with_entries(backend: Backend, n: usize) -> (TestDb, Store) {
    let db = TestDb::new(backend).await;
    let store = db.store().await;
    for i in 0..n {
        let mut tx = store.begin_write().await.unwrap();
        tx.audit_event(&event(i)).await.unwrap();
        tx.commit().await.unwrap();
    }
    (db, store)
}

fn broken_at(verdict: AuditVerdict) -> (i64, String) {
    match verdict {
        AuditVerdict::Broken(b) => (b.seq, b.reason),
        AuditVerdict::Intact { entries, .. } => panic!("expected a broken chain, found {entries} intact entries"),
    }
}

async fn exec(store: &Store, sql: &'static str) {
    sqlx::query(sql).execute(store.pool()).await.unwrap();
}

#[tokio::test]
async fn an_altered_entry_is_named() {
    for backend in backends().await {
        let (_db, store) = store_with_entries(backend, 6).await;
        assert!(matches!(
            store.verify_audit().await.unwrap(),
            AuditVerdict::Intact { entries: 6, .. }
        ));
        exec(
            &store,
            "UPDATE audit_log SET subject = 'person:someone-else' WHERE seq = 4",
        )
        .await;
        let (seq, reason) = broken_at(store.verify_audit().await.unwrap());
        assert_eq!(seq, 4, "{backend:?}");
        assert!(reason.contains("altered"), "{reason}");
    }
}

#[tokio::test]
async fn a_removed_entry_is_named_even_the_last_one() {
    for backend in backends().await {
        let (_db, store) = store_with_entries(backend, 6).await;
        exec(&store, "DELETE FROM audit_log WHERE seq = 3").await;
        let (seq, reason) = broken_at(store.verify_audit().await.unwrap());
        assert_eq!(seq, 3, "{backend:?}: {reason}");
        assert!(reason.contains("missing"), "{reason}");

        let (_db, store) = store_with_entries(backend, 6).await;
        exec(&store, "DELETE FROM audit_log WHERE seq = 6").await;
        let (seq, reason) = broken_at(store.verify_audit().await.unwrap());
        assert_eq!(seq, 6, "{backend:?}: {reason}");
        assert!(reason.contains("removed"), "{reason}");
    }
}

#[tokio::test]
async fn reordered_entries_break_the_chain() {
    for backend in backends().await {
        let (_db, store) = store_with_entries(backend, 6).await;
        exec(&store, "UPDATE audit_log SET seq = 100 WHERE seq = 2").await;
        exec(&store, "UPDATE audit_log SET seq = 2 WHERE seq = 5").await;
        exec(&store, "UPDATE audit_log SET seq = 5 WHERE seq = 100").await;
        let (seq, _) = broken_at(store.verify_audit().await.unwrap());
        assert_eq!(seq, 2, "{backend:?}");
    }
}

#[tokio::test]
async fn concurrent_appends_keep_one_unbroken_chain() {
    for backend in backends().await {
        let (_db, store) = store_with_entries(backend, 0).await;
        let mut tasks = Vec::new();
        for i in 0..24 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                let mut tx = store.begin_write().await.unwrap();
                tx.audit_event(&event(i)).await.unwrap();
                tx.commit().await.unwrap();
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        assert!(
            matches!(
                store.verify_audit().await.unwrap(),
                AuditVerdict::Intact { entries: 24, .. }
            ),
            "{backend:?}"
        );
    }
}
