//! The same plans on a Ballista cluster (an in-process scheduler and executor speaking gRPC
//! over loopback) give the same answer as locally.

use ballista::prelude::SessionContextExt;
use cocare_analytics::datafusion::prelude::SessionContext;
use cocare_analytics::query::characterise_in;

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ballista_cluster_gives_the_local_answer() {
    let (_root, engine) = engine();
    let dir = tempfile::tempdir().unwrap();
    let synth = cocare_records::synth::Synth::new(11, chrono::NaiveDate::from_ymd_opt(2025, 12, 31).unwrap());
    cocare_analytics::synth::write_extract(dir.path(), &synth, 2_000, &|_| {}).unwrap();
    import(&engine, dir.path()).unwrap();
    let (version, _) = engine.current("org").unwrap().unwrap();
    let def = definition();

    let local = characterise_in(&cocare_analytics::query::local_context(), &version, &def)
        .await
        .unwrap();
    let cluster = SessionContext::standalone().await.unwrap();
    let remote = characterise_in(&cluster, &version, &def).await.unwrap();
    assert!(local.table1.n[0] > 20, "a real cohort: {:?}", local.table1.n);
    assert_eq!(remote, local);
}
