//! The architecture's invariants, checked as tests (rust-analyzer's tidy).

use std::path::PathBuf;

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The names in a crate manifest's `[dependencies]` table (not dev-dependencies).
fn dependencies(krate: &str) -> Vec<String> {
    let manifest = std::fs::read_to_string(workspace().join("crates").join(krate).join("Cargo.toml")).unwrap();
    let mut in_deps = false;
    let mut out = Vec::new();
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_deps = line == "[dependencies]";
            continue;
        }
        if in_deps && let Some((name, _)) = line.split_once(['=', '.']) {
            out.push(name.trim().to_owned());
        }
    }
    out
}

#[test]
fn domain_crates_do_no_io() {
    for krate in ["core", "policy", "careplan", "records", "econ", "qual"] {
        let deps = dependencies(krate);
        for forbidden in [
            "sqlx",
            "tokio",
            "axum",
            "cocare-store",
            "cocare-web",
            "reqwest",
            "datafusion",
            "cocare-analytics",
        ] {
            assert!(
                !deps.iter().any(|d| d == forbidden),
                "cocare-{krate} must not depend on {forbidden}: {deps:?}"
            );
        }
    }
}

/// DataFusion (and Ballista) stay in the analytics crate: the use cases and the web layer build
/// without them, reaching the engine through `cocare_records::engine::RecordsEngine`.
#[test]
fn only_the_analytics_crate_and_the_binary_know_datafusion() {
    for krate in ["core", "policy", "careplan", "records", "econ", "store", "app", "web"] {
        let deps = dependencies(krate);
        for heavy in ["datafusion", "ballista", "cocare-analytics", "parquet", "arrow"] {
            assert!(
                !deps.iter().any(|d| d == heavy),
                "cocare-{krate} depends on {heavy}: {deps:?}"
            );
        }
    }
}

#[test]
fn the_web_layer_never_touches_sql() {
    let deps = dependencies("web");
    assert!(
        !deps.iter().any(|d| d == "sqlx" || d == "cocare-store"),
        "cocare-web depends on {deps:?}"
    );
    let dir = workspace().join("crates/web/src");
    let mut stack = vec![dir];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let source = std::fs::read_to_string(&path).unwrap();
                assert!(!source.contains("sqlx::"), "{} uses sqlx", path.display());
            }
        }
    }
}

#[test]
fn no_source_file_logs_request_bodies_or_names() {
    // Logging calls carry ids and events; a `body`, `name` or `password` field in a log line
    // would put personal data in the logs.
    let mut stack = vec![workspace().join("crates")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                if !path.ends_with("tests") {
                    stack.push(path);
                }
            } else if path.extension().is_some_and(|e| e == "rs") {
                let source = std::fs::read_to_string(&path).unwrap();
                for (number, line) in source.lines().enumerate() {
                    let logs = ["tracing::info!", "tracing::warn!", "tracing::error!", "tracing::debug!"]
                        .iter()
                        .any(|m| line.contains(m));
                    if logs {
                        for field in [
                            "body",
                            "password",
                            "given_name",
                            "family_name",
                            "display_name",
                            "username",
                        ] {
                            assert!(!line.contains(field), "{}:{}: logs {field}", path.display(), number + 1);
                        }
                    }
                }
            }
        }
    }
}
