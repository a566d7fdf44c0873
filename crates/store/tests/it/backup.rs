use std::io::Cursor;

use cocare_store::{AuditVerdict, Backend, NewAuditEvent, StoreError, Table};
use cocare_testkit::{TestDb, backends};

#[tokio::test]
async fn a_backup_restores_into_either_backend_with_its_audit_chain() {
    let all = backends().await;
    for from in &all {
        for to in &all {
            let source_db = TestDb::new(*from).await;
            let source = source_db.store().await;
            let mut tx = source.begin_write().await.unwrap();
            tx.insert_organisation(cocare_core::OrganisationId::new(), "Backup Trust – ünïcode")
                .await
                .unwrap();
            tx.audit_event(&NewAuditEvent {
                actor: "system:test".into(),
                role: "system".into(),
                action: "organisation.manage".into(),
                subject: "organisation:1".into(),
                outcome: "permit".into(),
            })
            .await
            .unwrap();
            tx.commit().await.unwrap();
            let mut file = Vec::new();
            let summary = source.backup(&mut file, "mem").await.unwrap();
            assert!(summary.rows >= 3, "{summary:?}");

            let target_db = TestDb::new(*to).await;
            let target = target_db.store().await;
            let restored = target.restore(&mut Cursor::new(&file), "mem").await.unwrap();
            assert_eq!(restored.rows, summary.rows, "{from:?} → {to:?}");
            assert_eq!(target.organisations().await.unwrap()[0].name, "Backup Trust – ünïcode");
            assert!(matches!(
                target.verify_audit().await.unwrap(),
                AuditVerdict::Intact { entries: 1, .. }
            ));
        }
    }
}

#[tokio::test]
async fn restore_refuses_bad_files_and_changes_nothing() {
    for backend in backends().await {
        let db = TestDb::new(backend).await;
        let store = db.store().await;
        let err = store
            .restore(&mut Cursor::new(b"hello\n".to_vec()), "x.jsonl")
            .await
            .unwrap_err();
        assert!(err.to_string().contains("x.jsonl:1"), "{err}");

        // A good header, then a broken line: nothing of it stays.
        let source_db = TestDb::new(Backend::Sqlite).await;
        let source = source_db.store().await;
        let mut tx = source.begin_write().await.unwrap();
        tx.insert_organisation(cocare_core::OrganisationId::new(), "Half")
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let mut file = Vec::new();
        source.backup(&mut file, "mem").await.unwrap();
        file.extend_from_slice(b"{\"table\":\"nope\",\"columns\":[\"id\"],\"row\":[1]}\n");
        let err = store.restore(&mut Cursor::new(&file), "half.jsonl").await.unwrap_err();
        assert!(matches!(err, StoreError::Backup { .. }), "{err}");
        assert!(err.to_string().contains("unknown table"), "{err}");
        assert_eq!(store.count(Table::Organisations).await.unwrap(), 0, "{backend:?}");
        assert!(matches!(
            store.verify_audit().await.unwrap(),
            AuditVerdict::Intact { entries: 0, .. }
        ));
    }
}

#[tokio::test]
async fn a_backup_whose_audit_chain_was_altered_restores_nothing() {
    for backend in backends().await {
        let source_db = TestDb::new(Backend::Sqlite).await;
        let source = source_db.store().await;
        let mut tx = source.begin_write().await.unwrap();
        tx.insert_organisation(cocare_core::OrganisationId::new(), "Tampered Trust")
            .await
            .unwrap();
        for subject in ["person:1", "person:2"] {
            tx.audit_event(&NewAuditEvent {
                actor: "system:test".into(),
                role: "system".into(),
                action: "person.read".into(),
                subject: subject.into(),
                outcome: "permit".into(),
            })
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
        let mut file = Vec::new();
        source.backup(&mut file, "mem").await.unwrap();
        let text = String::from_utf8(file).unwrap().replace("\"person:1\"", "\"person:9\"");
        let target_db = TestDb::new(backend).await;
        let target = target_db.store().await;
        let err = target
            .restore(&mut Cursor::new(text.into_bytes()), "tampered.jsonl")
            .await
            .unwrap_err();
        assert!(
            err.to_string().contains("does not verify at entry 1"),
            "{backend:?}: {err}"
        );
        assert_eq!(
            target.count(Table::Organisations).await.unwrap(),
            0,
            "nothing was restored"
        );
    }
}
