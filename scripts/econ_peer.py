#!/usr/bin/env python3
"""Peer implementations for `cocare bench econ`: the same computations as cocare's econ crate,
written the way an analyst would in Python, timed for side-by-side comparison.

    python3 scripts/econ_peer.py costing --events EVENTS.parquet --unit-costs UNIT_COSTS.csv --rate 0.035
    python3 scripts/econ_peer.py bootstrap --data DATA.csv --replicates 10000 --thresholds 100 --seed 1

Each tool prints one line of JSON to stdout:
    {"tool": ..., "seconds": ..., "rows": ..., "checksum": ..., ...}
"seconds" is the wall time of the computation, including reading the input but excluding
interpreter start-up and module imports.

costing
    events Parquet: pid INT32, day INT32 (days since 1970-01-01), resource UTF8, quantity FLOAT64
    unit costs CSV: resource,category,cost (category: direct_medical, direct_non_medical, indirect)
    For each pid, f = min(day); year index t = floor(4*(day - f)/1461) (whole years of 365.25 days
    since the person's first event); discounted cost = quantity * cost / (1 + rate)^t. Output
    per (pid, category): undiscounted and discounted sums. Events whose resource has no unit
    cost are dropped (inner join). Runs pandas (tool "pandas") and, if duckdb imports, DuckDB SQL
    (tool "duckdb", DuckDB's default thread count unless --threads is given).
    rows = events read; groups = (pid, category) rows produced; checksum = total discounted cost.

bootstrap
    CSV: pathway,cost,effect with exactly two pathways; the first appearing is the reference.
    B replicates, each resampling each pathway's people with replacement (numpy Generator
    integers, same n; per chunk the reference's indices are drawn first); dc = mean cost(other)
    - mean cost(reference), de likewise; CEAC at np.linspace(0, 100000, T) = share of replicates
    with k*de - dc > 0; 2.5/97.5 percentiles of dc. Vectorised in chunks of 200 replicates, one
    thread. tool "numpy"; rows = people read; checksum = mean of dc over replicates.

Needs numpy, pandas and pyarrow (costing), numpy and pandas (bootstrap); duckdb is optional.
"""

import argparse
import json
import os
import sys
import time

# One thread for numpy's linear-algebra backends (set before numpy is imported).
for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

CHUNK = 200
CATEGORIES = ("direct_medical", "direct_non_medical", "indirect")


def die(msg, code=2):
    print(f"econ_peer: {msg}", file=sys.stderr)
    sys.exit(code)


def need(*modules):
    """Import the given modules or exit non-zero naming the missing one."""
    import importlib

    out = []
    for m in modules:
        try:
            out.append(importlib.import_module(m))
        except ImportError as e:
            die(f"missing Python module '{m}' ({e}); install it, e.g. `pip install {m}`")
    return out


def emit(**fields):
    print(json.dumps(fields), flush=True)


# ---------------------------------------------------------------- costing


def costing_pandas(np, pd, events, unit_costs, rate):
    t0 = time.perf_counter()
    ev = pd.read_parquet(events, columns=["pid", "day", "resource", "quantity"])
    uc = pd.read_csv(unit_costs, dtype={"resource": str, "category": str, "cost": np.float64})
    bad = set(uc["category"]) - set(CATEGORIES)
    if bad:
        die(f"unknown cost categories in {unit_costs}: {sorted(bad)}")
    n_rows = len(ev)
    first = ev.groupby("pid", sort=False)["day"].transform("min")
    t = (4 * (ev["day"].to_numpy(np.int64) - first.to_numpy(np.int64))) // 1461
    # Carry t as a column through the join (the join need not preserve row order).
    df = ev.assign(t=t)[["pid", "resource", "quantity", "t"]].merge(uc, on="resource", how="inner")
    undisc = df["quantity"].to_numpy() * df["cost"].to_numpy()
    df = pd.DataFrame(
        {
            "pid": df["pid"].to_numpy(),
            "category": df["category"].to_numpy(),
            "undiscounted": undisc,
            "discounted": undisc / np.power(1.0 + rate, df["t"].to_numpy(np.float64)),
        }
    )
    out = df.groupby(["pid", "category"], sort=True, observed=True)[["undiscounted", "discounted"]].sum()
    seconds = time.perf_counter() - t0
    emit(
        tool="pandas",
        seconds=seconds,
        rows=int(n_rows),
        groups=int(len(out)),
        checksum=float(out["discounted"].sum()),
        undiscounted_total=float(out["undiscounted"].sum()),
    )


def costing_duckdb(duckdb, events, unit_costs, rate, threads):
    t0 = time.perf_counter()
    con = duckdb.connect(":memory:")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    n_threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
    con.execute(
        "CREATE TEMP TABLE uc AS SELECT * FROM read_csv(?, header = true, "
        "columns = {'resource': 'VARCHAR', 'category': 'VARCHAR', 'cost': 'DOUBLE'})",
        [unit_costs],
    )
    bad = con.execute(
        "SELECT DISTINCT category FROM uc WHERE category NOT IN ('direct_medical', 'direct_non_medical', 'indirect')"
    ).fetchall()
    if bad:
        die(f"unknown cost categories in {unit_costs}: {sorted(b[0] for b in bad)}")
    n_rows = con.execute("SELECT count(*) FROM read_parquet(?)", [events]).fetchone()[0]
    res = con.execute(
        """
        WITH ev AS (
            SELECT pid, resource, quantity,
                   (4 * (CAST(day AS BIGINT) - min(CAST(day AS BIGINT)) OVER (PARTITION BY pid))) // 1461 AS t
            FROM read_parquet(?)
        )
        SELECT ev.pid, uc.category,
               sum(ev.quantity * uc.cost) AS undiscounted,
               sum(ev.quantity * uc.cost / pow(1 + ?, ev.t)) AS discounted
        FROM ev JOIN uc USING (resource)
        GROUP BY ev.pid, uc.category
        ORDER BY ev.pid, uc.category
        """,
        [events, float(rate)],
    ).fetchnumpy()
    seconds = time.perf_counter() - t0
    emit(
        tool="duckdb",
        seconds=seconds,
        rows=int(n_rows),
        groups=int(len(res["pid"])),
        checksum=float(res["discounted"].sum()),
        undiscounted_total=float(res["undiscounted"].sum()),
        threads=int(n_threads),
    )


def cmd_costing(args):
    if not (0.0 <= args.rate < 1.0):
        die(f"--rate must be in [0, 1), got {args.rate}")
    for p in (args.events, args.unit_costs):
        if not os.path.exists(p):
            die(f"no such file: {p}")
    np, pd, _ = need("numpy", "pandas", "pyarrow")
    try:
        import duckdb
    except ImportError:
        duckdb = None
        print("econ_peer: duckdb not installed; running pandas only", file=sys.stderr)
    costing_pandas(np, pd, args.events, args.unit_costs, args.rate)
    if duckdb is not None:
        costing_duckdb(duckdb, args.events, args.unit_costs, args.rate, args.threads)


# ---------------------------------------------------------------- bootstrap


def cmd_bootstrap(args):
    if args.replicates < 1:
        die("--replicates must be at least 1")
    if args.thresholds < 1:
        die("--thresholds must be at least 1")
    if not os.path.exists(args.data):
        die(f"no such file: {args.data}")
    np, pd = need("numpy", "pandas")

    t0 = time.perf_counter()
    df = pd.read_csv(args.data, dtype={"pathway": str, "cost": np.float64, "effect": np.float64})
    pathways = list(pd.unique(df["pathway"]))
    if len(pathways) != 2:
        die(f"expected exactly two pathways in {args.data}, found {len(pathways)}: {pathways[:10]}")
    ref, oth = pathways
    c0 = df.loc[df["pathway"] == ref, "cost"].to_numpy()
    e0 = df.loc[df["pathway"] == ref, "effect"].to_numpy()
    c1 = df.loc[df["pathway"] == oth, "cost"].to_numpy()
    e1 = df.loc[df["pathway"] == oth, "effect"].to_numpy()
    n0, n1 = len(c0), len(c1)

    rng = np.random.default_rng(args.seed)
    B = args.replicates
    k = np.linspace(0.0, 100000.0, args.thresholds)
    dc = np.empty(B)
    de = np.empty(B)
    wins = np.zeros(args.thresholds, dtype=np.int64)
    for s in range(0, B, CHUNK):
        m = min(CHUNK, B - s)
        i0 = rng.integers(0, n0, size=(m, n0))
        i1 = rng.integers(0, n1, size=(m, n1))
        dcc = c1[i1].mean(axis=1) - c0[i0].mean(axis=1)
        dec = e1[i1].mean(axis=1) - e0[i0].mean(axis=1)
        dc[s : s + m] = dcc
        de[s : s + m] = dec
        wins += np.count_nonzero(k[:, None] * dec[None, :] - dcc[None, :] > 0, axis=1)
    ceac = wins / B
    lo, hi = np.percentile(dc, [2.5, 97.5])
    seconds = time.perf_counter() - t0
    emit(
        tool="numpy",
        seconds=seconds,
        rows=int(len(df)),
        replicates=B,
        thresholds=int(args.thresholds),
        reference=str(ref),
        checksum=float(dc.mean()),
        dc_interval=[float(lo), float(hi)],
        ceac_mean=float(ceac.mean()),
    )


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("costing", help="per-person, per-category discounted costs")
    c.add_argument("--events", required=True, help="events Parquet (pid, day, resource, quantity)")
    c.add_argument("--unit-costs", required=True, help="unit costs CSV (resource, category, cost)")
    c.add_argument("--rate", type=float, default=0.035, help="annual discount rate (default 0.035)")
    c.add_argument("--threads", type=int, default=0, help="DuckDB threads (default: DuckDB's own)")
    c.set_defaults(func=cmd_costing)
    b = sub.add_parser("bootstrap", help="bootstrap CEAC over two pathways")
    b.add_argument("--data", required=True, help="CSV (pathway, cost, effect)")
    b.add_argument("--replicates", type=int, default=10000)
    b.add_argument("--thresholds", type=int, default=100)
    b.add_argument("--seed", type=int, default=1)
    b.set_defaults(func=cmd_bootstrap)
    args = ap.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
