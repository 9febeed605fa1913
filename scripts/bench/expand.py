"""Writes reports-data.sql.in for one backend: expands its @NAME(args)@ macros into SQLite or
PostgreSQL SQL. Usage: expand.py sqlite|postgres ANCHOR < reports-data.sql.in > data.sql"""

import sys


def split_args(text):
    """Splits at top-level commas."""
    args, depth, current = [], 0, ""
    for c in text:
        if c == "," and depth == 0:
            args.append(current.strip())
            current = ""
            continue
        depth += (c == "(") - (c == ")")
        current += c
    args.append(current.strip())
    return args


def expand(sql, macros):
    """Replaces the innermost macros first until none is left."""
    while True:
        end = sql.find(")@")
        if end < 0:
            return sql
        start = sql.rfind("@", 0, end)
        while start >= 0 and "(" not in sql[start:end]:
            start = sql.rfind("@", 0, start)
        name, _, args = sql[start + 1 : end].partition("(")
        sql = sql[:start] + macros[name](*split_args(args)) + sql[end + 2 :]


def main():
    backend, anchor = sys.argv[1], sys.argv[2]
    if backend == "sqlite":
        macros = {
            "SERIES": lambda n: f"(SELECT i FROM seq WHERE i <= {n}) AS s",
            "AGO": lambda _i, days, minutes: (
                f"datetime('{anchor}', (-({days})) || ' days', (-({minutes})) || ' minutes')"
            ),
            "HOURS_AFTER": lambda ts, hours: f"datetime({ts}, ({hours}) || ' hours')",
            "HOST_ID": lambda n: f"printf('00000000-0000-7000-9000-%012d', {n})",
            "TYPE_ID": lambda n: f"printf('00000000-0000-7000-8000-%012d', {n})",
        }
        prologue = (
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF;\n"
            "CREATE TEMP TABLE seq (i INTEGER PRIMARY KEY);\n"
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000)\n"
            "INSERT INTO seq SELECT i FROM n;\nBEGIN;\n"
        )
        epilogue = "COMMIT;\nANALYZE;\n"
    else:
        macros = {
            "SERIES": lambda n: f"generate_series(1, {n}) AS s(i)",
            "AGO": lambda _i, days, minutes: (
                f"(TIMESTAMP '{anchor}' - ({days}) * INTERVAL '1 day' - ({minutes}) * INTERVAL '1 minute')"
            ),
            "HOURS_AFTER": lambda ts, hours: f"({ts} + ({hours}) * INTERVAL '1 hour')",
            "HOST_ID": lambda n: f"('00000000-0000-7000-9000-' || lpad(({n})::text, 12, '0'))",
            "TYPE_ID": lambda n: f"('00000000-0000-7000-8000-' || lpad(({n})::text, 12, '0'))",
        }
        prologue = "BEGIN;\n"
        epilogue = "COMMIT;\nVACUUM ANALYZE;\n"
    sys.stdout.write(prologue + expand(sys.stdin.read(), macros) + epilogue)


main()
