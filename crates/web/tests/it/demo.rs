use cocare_core::Actor;
use cocare_store::Backend;
use cocare_testkit::TestDb;

async fn people_of(seed: u64) -> Vec<(String, String, String)> {
    let db = TestDb::new(Backend::Sqlite).await;
    let app = cocare_app::App::new(db.store().await, cocare_app::AppConfig::default());
    let summary = app.seed_demo(seed, &|_| {}).await.unwrap();
    assert!(summary.created);
    let again = app.seed_demo(seed, &|_| {}).await.unwrap();
    assert!(!again.created, "seeding twice changes nothing");
    let alex = app
        .actor(app.store().account_by_username("alex").await.unwrap().unwrap().id)
        .await
        .unwrap()
        .unwrap();
    let mut out = Vec::new();
    for person in app.list_people(&alex).await.unwrap() {
        let detail = app.person(&Actor::system("test"), person.id).await.unwrap();
        out.push((person.id.to_string(), person.name, detail.person.ethnicity));
    }
    out
}

#[tokio::test]
async fn the_demo_organisation_is_the_same_for_the_same_seed_and_varied() {
    let first = people_of(11).await;
    assert_eq!(first, people_of(11).await);
    assert_ne!(first, people_of(12).await);
    let mut ethnicities: Vec<&str> = first.iter().map(|(_, _, e)| e.as_str()).collect();
    ethnicities.sort();
    ethnicities.dedup();
    assert!(ethnicities.len() >= 4, "varied demographics: {ethnicities:?}");
}
