#!/usr/bin/env python3
"""DuckDB oracle for bench-indicators: the footfall index (lag 364) per town and day in SQL.

Reads DIR/counts.csv (town,sensor,day,total; valid sensor-days only), times the load and the
query, compares with DIR/swift.csv (town,day,idx,pairs) to a relative 1e-9, prints key=value.
DuckDB is a test oracle only (pip install duckdb); TownBench never depends on it.
"""
import math
import sys
import time

import duckdb

QUERY = """
SELECT c.town, c.day, 100 * SUM(c.total) / SUM(b.total) AS idx, COUNT(*) AS pairs
FROM counts c
JOIN counts b ON b.town = c.town AND b.sensor = c.sensor AND b.day = c.day - 364
GROUP BY c.town, c.day
"""


def main(directory, repeats):
    print(f"duckdb_version={duckdb.__version__}")
    for threads in (1, 2):
        con = duckdb.connect()
        con.execute(f"SET threads = {threads}")
        start = time.perf_counter()
        con.execute(
            "CREATE TABLE counts AS SELECT * FROM read_csv(?, header = true, "
            "columns = {'town': 'INTEGER', 'sensor': 'INTEGER', 'day': 'INTEGER', 'total': 'DOUBLE'})",
            [f"{directory}/counts.csv"],
        )
        print(f"duckdb_threads{threads}_load_s={time.perf_counter() - start}")
        # Timed: the query materialised inside DuckDB (as the Swift side keeps its arrays).
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            con.execute("CREATE OR REPLACE TEMP TABLE result AS " + QUERY)
            times.append(time.perf_counter() - start)
        times.sort()
        print(f"duckdb_threads{threads}_query_best_s={times[0]}")
        print(f"duckdb_threads{threads}_query_median_s={times[len(times) // 2]}")
        rows = con.execute("SELECT * FROM result").fetchall()
        con.close()

    duck = {(t, d): (v, p) for t, d, v, p in rows}
    swift = {}
    with open(f"{directory}/swift.csv") as f:
        next(f)
        for line in f:
            t, d, v, p = line.rstrip("\n").split(",")
            swift[(int(t), int(d))] = (float(v), int(p))
    problems = 0
    if duck.keys() != swift.keys():
        print(f"mismatch_keys duckdb_only={len(duck.keys() - swift.keys())} swift_only={len(swift.keys() - duck.keys())}")
        problems += 1
    worst = 0.0
    for key in duck.keys() & swift.keys():
        (a, pa), (b, pb) = duck[key], swift[key]
        rel = abs(a - b) / max(1.0, abs(a))
        worst = max(worst, rel)
        if pa != pb or not math.isfinite(b) or rel > 1e-9:
            if problems < 5:
                print(f"mismatch town={key[0]} day={key[1]} duckdb={a} ({pa} pairs) swift={b} ({pb} pairs)")
            problems += 1
    print(f"compared={len(duck)} worst_relative_difference={worst:.3e}")
    print("agreement=" + ("ok" if problems == 0 else f"FAILED ({problems} problems)"))
    return 0 if problems == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 5))
