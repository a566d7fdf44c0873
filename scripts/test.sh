#!/usr/bin/env bash
# The whole test suite: Rust unit and integration tests (SQLite and PostgreSQL), then the
# browser tests (Debian chromium + playwright-core + axe-core) against a real `cocare serve`.
#
# PostgreSQL: COCARE_TEST_POSTGRES (default postgres://postgres@127.0.0.1:5432/postgres).
# With CI set, an unreachable PostgreSQL fails the run instead of being skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
target_dir="${CARGO_TARGET_DIR:-target}"

cargo test --workspace --locked
cargo build --locked --bin cocare

cd tests/browser
if [ ! -d node_modules/playwright-core ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
case "$target_dir" in
  /*) bin="$target_dir/debug/cocare" ;;
  *) bin="$(cd ../.. && pwd)/$target_dir/debug/cocare" ;;
esac
COCARE_BIN="$bin" npm test
