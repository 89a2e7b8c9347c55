"""Time the main pages and API lists, and the workflow engine's throughput, on SQLite and MariaDB; write
benchmarks/RESULTS.md.

    python -m benchmarks.run [--scale 1.0] [--repeat 20] [--throughput 20] [--databases sqlite,mariadb]
    python -m benchmarks.run --only benefit    # only the targets whose name matches; a section of RESULTS.md

The runner starts one worker subprocess per database (`--worker`), so each gets fresh Django settings
with `IKT_DATABASE_URL` pointing at a throwaway database: a temporary SQLite file, or the database
`ikt_bench` on the MariaDB server of `scripts/test-services.sh start` (its URL comes from
`IKT_TEST_MARIADB_URL` or `.run/services.env`). The worker migrates, generates the synthetic data, and
requests every target of `benchmarks.targets.TARGETS` as each of its users, then times the workflow
engine on fresh needs (`benchmarks.throughput`); the runner then drops the database and writes the tables.
Notification delivery jobs go to the test Redis (`IKT_TEST_REDIS_URL`), in a database of their own
(`BENCH_REDIS_DB`), emptied afterwards.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
import warnings
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
SERVICES_ENV = ROOT / ".run" / "services.env"
BENCH_DATABASE = "ikt_bench"
BENCH_REDIS_DB = 15  # a Redis database of the benchmark's own on the test server (the tests use 0)
SLOW_P95_MS = 500
REPEATED_QUERY_LIMIT = 5  # the same statement (literals aside) this often in one request: likely N+1
CAPACITY_BACKEND = "ikt_portfolio.members.backends.CapacityPermissionBackend"


def log(message: str) -> None:
    print(message, flush=True)


# ------------------------------------------------------------------------------------------------ worker


def normalise_sql(sql: str) -> str:
    sql = re.sub(r"'(?:[^']|'')*'", "?", sql)
    sql = re.sub(r"\b\d+(?:\.\d+)?\b", "?", sql)
    sql = re.sub(r"\(\s*\?(?:\s*,\s*\?)*\s*\)", "(?…)", sql)
    return re.sub(r"\s+", " ", sql).strip()


def compact_sql(sql: str) -> str:
    """A normalised statement, short enough for a table: column lists elided, no identifier quotes."""
    sql = sql.replace('"', "").replace("`", "")
    match = re.match(r"SELECT (DISTINCT )?(.*?) FROM ", sql)
    if match and len(match.group(2)) > 40:  # keep short lists such as exists()' "? AS a"
        sql = f"SELECT {match.group(1) or ''}… FROM {sql[match.end() :]}"
    return sql


def repeated_statements(captured: list[dict]) -> list[tuple[int, str]]:
    counts = Counter(normalise_sql(query["sql"]) for query in captured)
    return [(n, sql) for sql, n in counts.most_common() if n >= REPEATED_QUERY_LIMIT]


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def request(client, path: str, api: bool):
    """GET `path`; returns (status, error text or None, bytes)."""
    headers = {"HTTP_ACCEPT": "application/json"} if api else {}
    try:
        response = client.get(path, **headers)
    except Exception as error:  # the view raised: Client re-raises by default
        return 0, f"{type(error).__name__}: {error}\n{traceback.format_exc(limit=-3)}", 0
    content = b"" if response.streaming else response.content
    error = None
    if response.status_code != 200:
        location = response.headers.get("Location", "")
        error = f"HTTP {response.status_code} {location}".strip()
    return response.status_code, error, len(content)


def measure(ctx, targets, repeat: int, warmup: int) -> list[dict]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    clients = {}
    for key in sorted({user for target in targets for user in target.users}):
        client = Client()
        client.force_login(ctx.users[key], backend=CAPACITY_BACKEND)  # force_login bypasses django-axes
        clients[key] = client
    results = []
    for target in targets:
        path = target.url(ctx.ids)
        for user_key in target.users:
            client = clients[user_key]
            row = {"target": target.name, "path": path, "user": user_key, "username": ctx.users[user_key].username}
            # Warm-ups: the last one counts the queries (timed runs go without the capture overhead).
            for _ in range(max(1, warmup)):
                with CaptureQueriesContext(connection) as captured:
                    status, error, size = request(client, path, target.api)
            row.update(
                queries=len(captured.captured_queries),
                repeated=[{"count": n, "sql": sql[:1000]} for n, sql in repeated_statements(captured.captured_queries)],
                statements=[query["sql"][:500] for query in captured.captured_queries],
                bytes=size,
            )
            timings, statuses, errors = [], Counter(), []
            if error is None:
                for _ in range(repeat):
                    started = time.perf_counter()
                    status, error, _size = request(client, path, target.api)
                    timings.append((time.perf_counter() - started) * 1000)
                    statuses[status] += 1
                    if error:
                        errors.append(error)
            else:
                statuses[status] += 1
                errors.append(error)
            row.update(
                status=statuses.most_common(1)[0][0],
                ok=not errors,
                error=errors[0] if errors else None,
                p50_ms=round(statistics.median(timings), 1) if timings else None,
                p95_ms=round(percentile(timings, 0.95), 1) if timings else None,
                mean_ms=round(statistics.fmean(timings), 1) if timings else None,
                samples=len(timings),
            )
            flag = ""
            if errors:
                flag = f"  !!! FAILED: {errors[0].splitlines()[0]}"
            elif row["repeated"]:
                flag = f"  !! {row['repeated'][0]['count']}× the same query"
            p50 = f"{row['p50_ms']:8.1f}" if timings else "       –"
            p95 = f"{row['p95_ms']:8.1f}" if timings else "       –"
            log(f"  {target.name:<36} {user_key:<8} p50 {p50} ms  p95 {p95} ms  {row['queries']:4d} q{flag}")
            if errors:
                print(f"\n!!! {target.name} as {user_key} ({path}) did not answer 200:\n{errors[0]}\n", file=sys.stderr)
            results.append(row)
    return results


def resolves(path: str) -> bool:
    from django.urls import Resolver404, resolve

    try:
        resolve(urlsplit(path).path)
    except Resolver404:
        return False
    return True


def log_throughput(data: dict, seconds: float) -> None:
    log(
        f"  {data['operations']} operations, {data['ops_per_second']} per second of engine time; "
        f"Redis {data['redis']}; {seconds:.1f} s in all"
    )
    for row in data["rows"]:
        flag = f"  !! {row['repeated'][0]['count']}× the same query" if row["repeated"] else ""
        queries = row_queries(row)
        log(
            f"  {row['operation']:<24} n {row['samples']:4d}  p50 {row['p50_ms']:8.1f} ms  p95 {row['p95_ms']:8.1f} ms"
            f"  {row['ops_per_second']:6.1f}/s  {queries:>7} q{flag}"
        )


def row_queries(row: dict) -> str:
    low, high = row["queries_min"], row["queries_max"]
    return str(low) if low == high else f"{low}–{high}"


def database_version() -> str:
    from django.db import connection

    if connection.vendor == "sqlite":
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version}"
    with connection.cursor() as cursor:
        cursor.execute("SELECT VERSION()")
        (version,) = cursor.fetchone()
    name = "MariaDB" if "mariadb" in version.lower() else connection.display_name
    return f"{name} {version}"


def worker(args) -> int:
    os.environ["IKT_DATABASE_URL"] = args.database_url
    os.environ["IKT_ALLOWED_HOSTS"] = "testserver"
    if args.redis_url:
        os.environ["IKT_REDIS_URL"] = args.redis_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "ikt_site.settings"
    # WhiteNoise warns once that collectstatic has not run; the pages do not need the files.
    warnings.filterwarnings("ignore", message=r"No directory at: .*staticfiles")
    import django

    django.setup()
    from django.core.management import call_command

    from . import generate as generator
    from .targets import TARGETS
    from .throughput import measure_throughput

    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    migrate_seconds = time.perf_counter() - started
    version = database_version()
    log(f"[worker] {version}: migrated in {migrate_seconds:.1f} s")
    started = time.perf_counter()
    ctx = generator.generate(scale=args.scale, seed=args.seed, progress=log)
    generate_seconds = time.perf_counter() - started
    counts = generator.row_counts()
    targets, skipped = [], []
    for target in selected(TARGETS, args.only):
        if target.optional and not resolves(target.url(ctx.ids)):
            log(f"[worker] skipping {target.name}: {target.url(ctx.ids)} does not resolve (not built yet)")
            skipped.append({"target": target.name, "path": target.url(ctx.ids)})
        else:
            targets.append(target)
    log(f"[worker] timing {len(targets)} targets, {args.warmup} warm-ups + {args.repeat} runs each")
    results = measure(ctx, targets, args.repeat, args.warmup)
    throughput = None
    if args.throughput > 0 and not args.only:
        log(f"[worker] throughput: {args.throughput} fresh needs from report to council decision")
        started = time.perf_counter()
        try:
            throughput = measure_throughput(ctx, args.throughput, log)
        except Exception as error:  # keep the page timings; report the failure loudly
            print(f"\n!!! throughput failed:\n{traceback.format_exc()}", file=sys.stderr)
            throughput = {"error": f"{type(error).__name__}: {error}"}
        else:
            log_throughput(throughput, time.perf_counter() - started)
    computations = None if args.only else measure_computations()
    Path(args.result_file).write_text(
        json.dumps(
            {
                "database": version,
                "migrate_seconds": round(migrate_seconds, 1),
                "generate_seconds": round(generate_seconds, 1),
                "phase_seconds": ctx.extra.get("phase_seconds", {}),
                "counts": counts,
                "ids": ctx.ids,
                "users": {key: user.username for key, user in ctx.users.items()},
                "results": results,
                "skipped": skipped,
                "throughput": throughput,
                "computations": computations,
            },
            indent=1,
            ensure_ascii=False,
        )
    )
    throughput_ok = throughput is None or not throughput.get("error")
    return 0 if all(row["ok"] for row in results) and throughput_ok else 1


def selected(targets, only: str | None) -> list:
    """The targets whose name matches `only` (a regular expression, case-insensitive), or all of them."""
    if not only:
        return list(targets)
    pattern = re.compile(only, re.IGNORECASE)
    return [target for target in targets if pattern.search(target.name)]


def measure_computations() -> dict:
    """What runs without pages: the portfolio solver on 500 candidates and cost allocation for 357 members ×
    1 000 budget lines (pure computations; the database does not take part, so one run of them is enough)."""
    from .costs import measure_costs
    from .solver import measure_solver

    found = {}
    for name, measure in (("solver", measure_solver), ("costs", measure_costs)):
        try:
            found[name] = measure(log=log)
        except Exception as error:  # keep the rest of the results; report the failure loudly
            print(f"\n!!! {name} failed:\n{traceback.format_exc()}", file=sys.stderr)
            found[name] = {"error": f"{type(error).__name__}: {error}"}
    return found


def computations_section(run: dict) -> list[str]:
    data = run.get("computations")
    if not data:
        return []
    lines = ["### Computations", "", "| computation | median ms | worst ms | notes |", "|---|---:|---:|---|"]
    solver, costs = data.get("solver", {}), data.get("costs", {})
    if solver.get("error"):
        lines.append(f"| portfolio solver | | | **FAILED:** {solver['error']} |")
    elif solver:
        lines.append(
            f"| portfolio solver, {solver['items']} candidates | {_ms(solver['median_ms'])} | {_ms(solver['max_ms'])} "
            f"| {solver['status']}; {solver['chosen']} chosen; budget {solver['budget_used_share']:.0%} and capacity "
            f"{solver['capacity_used_share']:.0%} used |"
        )
    if costs.get("error"):
        lines.append(f"| cost allocation | | | **FAILED:** {costs['error']} |")
    elif costs:
        lines.append(
            f"| cost allocation, {costs['members']} members × {costs['lines']} lines | {_ms(costs['median_ms'])} | "
            f"{_ms(costs['max_ms'])} | {costs['per_line_ms']} ms a line, exact to the øre |"
        )
    return lines + [""]


# ------------------------------------------------------------------------------------------------ runner


def mariadb_url() -> str | None:
    url = os.environ.get("IKT_TEST_MARIADB_URL")
    if not url and SERVICES_ENV.exists():
        for line in SERVICES_ENV.read_text().splitlines():
            if line.startswith("IKT_TEST_MARIADB_URL="):
                url = line.split("=", 1)[1].strip()
    if not url:
        return None
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{BENCH_DATABASE}"))


def redis_url() -> str | None:
    """The test Redis (IKT_TEST_REDIS_URL or .run/services.env), in the benchmark's own database."""
    url = os.environ.get("IKT_TEST_REDIS_URL")
    if not url and SERVICES_ENV.exists():
        for line in SERVICES_ENV.read_text().splitlines():
            if line.startswith("IKT_TEST_REDIS_URL="):
                url = line.split("=", 1)[1].strip()
    if not url:
        return None
    return urlunsplit(urlsplit(url)._replace(path=f"/{BENCH_REDIS_DB}"))


def mariadb_admin(url: str, *statements: str) -> None:
    import MySQLdb

    parts = urlsplit(url)
    connection = MySQLdb.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 3306,
        user=parts.username or "",
        password=parts.password or "",
        connect_timeout=10,
    )
    try:
        cursor = connection.cursor()
        for statement in statements:
            cursor.execute(statement)
    finally:
        connection.close()


class Database:
    """A throwaway database: created before the worker runs, removed after."""

    def __init__(self, name: str, keep: bool):
        self.name, self.keep, self.url, self.path = name, keep, None, None

    def __enter__(self) -> str:
        if self.name == "sqlite":
            fd, path = tempfile.mkstemp(prefix="ikt_bench_", suffix=".sqlite3", dir="/tmp")
            os.close(fd)
            self.path = Path(path)
            self.url = f"sqlite:///{self.path}"
        elif self.name == "mariadb":
            self.url = mariadb_url()
            if self.url is None:
                raise RuntimeError(
                    "no MariaDB URL: run `scripts/test-services.sh start` (writes .run/services.env) "
                    "or set IKT_TEST_MARIADB_URL"
                )
            mariadb_admin(
                self.url,
                f"DROP DATABASE IF EXISTS `{BENCH_DATABASE}`",
                f"CREATE DATABASE `{BENCH_DATABASE}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
            )
        else:
            raise RuntimeError(f"unknown database {self.name!r} (sqlite or mariadb)")
        return self.url

    def __exit__(self, *exc) -> None:
        if self.keep:
            log(f"[run] kept the {self.name} database: {self.url}")
            return
        if self.path is not None:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        elif self.url is not None:
            try:
                mariadb_admin(self.url, f"DROP DATABASE IF EXISTS `{BENCH_DATABASE}`")
            except Exception as error:  # the server may have been stopped under us
                log(f"[run] could not drop {BENCH_DATABASE}: {error}")


def run_database(name: str, args) -> dict:
    log(f"\n=== {name} ===")
    with Database(name, args.keep) as url, tempfile.NamedTemporaryFile(suffix=".json") as result_file:
        command = [
            sys.executable, "-m", "benchmarks.run", "--worker", "--database-url", url,
            "--scale", str(args.scale), "--repeat", str(args.repeat), "--warmup", str(args.warmup),
            "--seed", str(args.seed), "--result-file", result_file.name, "--throughput", str(args.throughput),
        ]  # fmt: skip
        if args.only:
            command += ["--only", args.only]
        redis = redis_url()
        if redis:
            command += ["--redis-url", redis]
        else:
            log("[run] no test Redis URL (scripts/test-services.sh start): delivery jobs will fail to queue")
        env = {**os.environ, "IKT_DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "ikt_site.settings"}
        started, load_before = time.perf_counter(), load_average()
        completed = subprocess.run(command, cwd=ROOT, env=env)
        data = json.loads(Path(result_file.name).read_text() or "{}")
    data.update(name=name, returncode=completed.returncode, seconds=round(time.perf_counter() - started, 1))
    data.update(load_before=load_before, load_after=load_average())
    if completed.returncode and not data.get("results"):
        data["error"] = f"the worker exited with status {completed.returncode} before measuring"
    return data


def load_average() -> float | None:
    """The machine's 1-minute load average: other work on it slows every number down."""
    try:
        return round(os.getloadavg()[0], 1)
    except OSError:
        return None


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    try:
        nproc = subprocess.run(["nproc"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        nproc = str(os.cpu_count())
    import django

    return {
        "nproc": nproc,
        "cpu": cpu,
        "memory": memory,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "django": django.get_version(),
    }


def _ms(value) -> str:
    return "–" if value is None else f"{value:.1f}"


def reading(runs: list[dict], args) -> str:
    """One paragraph on what the numbers say, computed from them."""
    measured = [run for run in runs if run.get("results")]
    if not measured:
        return "No database produced results; see the errors above."
    sentences = []
    for run in measured:
        rows = [row for row in run["results"] if row["p50_ms"] is not None]
        if not rows:
            continue
        slowest = max(rows, key=lambda row: row["p95_ms"])
        most_queries = max(rows, key=lambda row: row["queries"])
        median_p50 = statistics.median(row["p50_ms"] for row in rows)
        sentences.append(
            f"On {run['database']} the median page answers in {median_p50:.0f} ms (p50); the slowest is "
            f"{slowest['target']} as {slowest['user']} at {slowest['p95_ms']:.0f} ms p95, and the most queries "
            f"are {most_queries['queries']} ({most_queries['target']} as {most_queries['user']})."
        )
    if len(measured) == 2:
        a, b = measured
        pairs = {(r["target"], r["user"]): r for r in a["results"] if r["p50_ms"] is not None}
        common = [(pairs[(r["target"], r["user"])], r) for r in b["results"] if (r["target"], r["user"]) in pairs]
        common = [(x, y) for x, y in common if y["p50_ms"] is not None]
        if common:
            ratio = sum(y["p50_ms"] for _, y in common) / max(0.1, sum(x["p50_ms"] for x, _ in common))
            same_queries = all(x["queries"] == y["queries"] for x, y in common)
            sentences.append(
                f"Summed over all targets, {b['database'].split()[0]} takes {ratio:.2f}× the time of "
                f"{a['database'].split()[0]}"
                + (
                    "; query counts differ between the two for some targets (see the tables)."
                    if not same_queries
                    else " with identical query counts: most likely per-statement overhead (a round trip to the "
                    "server for each query, where SQLite reads an in-process file)."
                    if ratio > 1
                    else " with identical query counts: the work is in Python and in the queries' plans, not in "
                    "round trips (mind the load averages: a busier machine during one run slows all its numbers)."
                )
            )
    for run in measured:
        data = run.get("throughput") or {}
        if not data.get("rows"):
            continue
        by_name = {row["operation"]: row for row in data["rows"]}
        slowest = max(data["rows"], key=lambda row: row["p95_ms"])
        most = max(data["rows"], key=lambda row: row["queries_max"])
        sentence = (
            f"The engine on {run['database'].split()[0]} does {data['ops_per_second']:.0f} operations a second one "
            f"at a time ({data['route_ms']:.0f} ms per need from report to council decision); the slowest operation "
            f"is {slowest['operation']} at {slowest['p95_ms']:.0f} ms p95, the most statements "
            f"{most['queries_max']} ({most['operation']})."
        )
        up, down = by_name.get("queue_delivery (Redis up)"), by_name.get("queue_delivery (Redis down)")
        if up and down:
            sentence += (
                f" Queueing the delivery job after commit costs {up['p50_ms']:.1f} ms p50 with Redis up and "
                f"{down['p50_ms']:.1f} ms when it is unreachable (refused at once; the outbox keeps the rows)."
            )
        sentences.append(sentence)
    slow = sorted(
        {
            (row["target"], row["user"])
            for run in measured
            for row in run["results"]
            if (row["p95_ms"] or 0) > SLOW_P95_MS
        }
        | {
            (f"engine {row['operation']}", "–")
            for run in measured
            for row in throughput_rows(run)
            if row["p95_ms"] > SLOW_P95_MS
        }
    )
    repeated = sorted(
        {
            (row["target"], row["user"], row["repeated"][0]["count"])
            for run in measured
            for row in run["results"]
            if row["repeated"]
        }
        | {
            (f"engine {row['operation']}", "–", row["repeated"][0]["count"])
            for run in measured
            for row in throughput_rows(run)
            if row["repeated"]
        }
    )
    failed = sorted({(row["target"], row["user"]) for run in measured for row in run["results"] if not row["ok"]})
    sentences.append(
        f"Pages and engine operations over {SLOW_P95_MS} ms p95: "
        + ("none" if not slow else ", ".join(f"{t} ({u})" for t, u in slow))
        + ". Requests repeating one statement "
        + f"{REPEATED_QUERY_LIMIT}+ times (likely N+1): "
        + ("none" if not repeated else ", ".join(f"{t} ({u}, {n}×)" for t, u, n in repeated))
        + ". Failed requests: "
        + ("none" if not failed else ", ".join(f"{t} ({u})" for t, u in failed))
        + "."
    )
    growth = rich_against_plain(measured)
    if growth:
        sentences.append(
            "Queries of the same page for the rich need (every member co-signing, many comments, a long timeline) "
            "against a plain one, per user: " + "; ".join(growth) + "."
        )
    return " ".join(sentences)


def rich_against_plain(runs: list[dict]) -> list[str]:
    """For targets named "... (rich)" with a "... (plain)" twin: the query counts side by side, so a count that
    grows with the rows a page shows stands out."""
    found: dict[str, dict[str, set]] = {}
    for run in runs:
        rows = {(row["target"], row["user"]): row for row in run["results"]}
        for (target, user), row in rows.items():
            twin = rows.get((target.removesuffix(" (rich)") + " (plain)", user))
            if target.endswith(" (rich)") and twin is not None:
                base = target.removesuffix(" (rich)")
                found.setdefault(base, {}).setdefault(user, set()).add((row["queries"], twin["queries"]))
    lines = []
    for base, users in found.items():
        parts = []
        for user, counts in users.items():
            rich, plain = max(counts)
            parts.append(f"{user} {rich} against {plain}")
        same = all(rich == plain for counts in users.values() for rich, plain in counts)
        lines.append(f"{base}: " + ", ".join(parts) + (" (the same)" if same else ""))
    return lines


def throughput_rows(run: dict) -> list[dict]:
    data = run.get("throughput") or {}
    return data.get("rows", [])


def throughput_section(run: dict) -> list[str]:
    data = run.get("throughput")
    if not data:
        return []
    lines = ["### Workflow engine throughput", ""]
    if data.get("error"):
        return lines + [f"**FAILED:** {data['error']}", ""]
    lines += [
        f"{data['needs']} fresh needs in the largest collaboration, each reported (`create_need`), submitted, taken "
        f"up, recommended and sent to the council by the sector lead, then voted on by the {data['voters']} council "
        f"members in turn until the majority decided ({data['decided']} of {data['needs']} decided): "
        f"{data['operations']} operations, **{data['ops_per_second']} per second** of engine time, "
        f"{data['route_ms']:.0f} ms of engine time per need from report to decision. They wrote "
        f"{data['log_entries']} log entries, {data['votes']} votes and {data['notifications']} notifications; "
        f"Redis {data['redis']}, {data['jobs_queued']} delivery jobs queued (one per notifying transaction).",
        "",
        "| operation | n | p50 ms | p95 ms | per second | queries | notes |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for row in data["rows"]:
        notes = []
        if row["repeated"]:
            notes.append(f"N+1? {row['repeated'][0]['count']}× one statement")
        if row["p95_ms"] > SLOW_P95_MS:
            notes.append("**slow**")
        if row["queries_first"] < row["queries_last"]:
            notes.append(f"queries grew from {row['queries_first']} to {row['queries_last']}")
        lines.append(
            f"| {row['operation']} | {row['samples']} | {_ms(row['p50_ms'])} | {_ms(row['p95_ms'])} | "
            f"{row['ops_per_second']:.1f} | {row_queries(row)} | {'; '.join(notes)} |"
        )
    return lines + [""]


def results_table(run: dict) -> list[str]:
    """One database's timed targets as a Markdown table (and the targets skipped), for RESULTS.md."""
    lines = [
        "| target | user | p50 ms | p95 ms | queries | notes |",
        "|---|---|---:|---:|---:|---|",
    ]
    for row in run["results"]:
        notes = []
        if not row["ok"]:
            notes.append(f"**FAILED** {row['error'].splitlines()[0]}")
        if row["repeated"]:
            first = row["repeated"][0]
            notes.append(f"N+1? {first['count']}× one statement: `{compact_sql(first['sql'])[:120]}`")
        if (row["p95_ms"] or 0) > SLOW_P95_MS:
            notes.append("**slow**")
        lines.append(
            f"| {row['target']} | {row['user']} | {_ms(row['p50_ms'])} | {_ms(row['p95_ms'])} | "
            f"{row['queries']} | {'; '.join(notes)} |"
        )
    lines.append("")
    for skipped in run.get("skipped", []):
        lines += [f"Skipped {skipped['target']}: `{skipped['path']}` does not resolve yet.", ""]
    return lines


def write_results(runs: list[dict], args, output: Path) -> None:
    info = machine()
    lines = [
        "# Benchmark results",
        "",
        "Generated by `python -m benchmarks.run` (see `benchmarks/README.md`); regenerate rather than edit.",
        "",
        f"- Date: {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
        f"- Machine: {info['nproc']} CPUs (nproc), {info['cpu']}, {info['memory']} memory; {info['os']}",
        f"- Software: Python {info['python']}, Django {info['django']}",
        f"- Run: scale {args.scale}, seed {args.seed}, {args.warmup} warm-ups + {args.repeat} timed requests per "
        "row, one process, Django test `Client` (real routing, middleware, views, templates; no network to the "
        "web server). `DEBUG=False`.",
        "- Users: *operator* = superuser; *admin* = collaboration administrator of the largest collaboration "
        "(also secretary of its council and board); *member* = a sector representative of its largest member "
        "(scoped lists); *lead* = the sector lead of its first service area; *council* = a voting member of its "
        "portfolio council.",
        "- Queries: SQL statements in one request (django.test.utils.CaptureQueriesContext, last warm-up); "
        f"notes flag any statement repeated {REPEATED_QUERY_LIMIT}+ times in one request (N+1) and p95 over "
        f"{SLOW_P95_MS} ms.",
        f"- Engine throughput: {args.throughput} fresh needs per database taken from report to portfolio council "
        "decision through the engine's services (`benchmarks/throughput.py`), one operation per transaction, one "
        "at a time; every operation's statements counted.",
        "",
    ]
    counted = next((run for run in runs if run.get("counts")), None)
    if counted:
        lines += ["## Data volumes", "", "| table | rows |", "|---|---:|"]
        lines += [f"| {name} | {count:,} |".replace(",", " ") for name, count in counted["counts"].items()]
        others = [run for run in runs if run.get("counts") and run["counts"] != counted["counts"]]
        lines += [""] + [f"Counts differ on {run['database']}: {run['counts']}" for run in others]
        lines += [""] if others else []
    for run in runs:
        title = run.get("database") or run["name"]
        lines += [f"## {title}", ""]
        if run.get("error") or not run.get("results"):
            lines += [f"**FAILED:** {run.get('error', 'no results')}", ""]
            continue
        lines += [
            f"Migrate {run['migrate_seconds']} s, generate {run['generate_seconds']} s, whole run {run['seconds']} s"
            + (
                f"; load average (1 min) {run['load_before']} before and {run['load_after']} after, on "
                f"{info['nproc']} CPUs."
                if run.get("load_before") is not None
                else "."
            ),
            "",
        ]
        lines += results_table(run)
        lines += throughput_section(run)
        lines += computations_section(run)
    repeated: dict[tuple[str, str, int, str], list[str]] = {}
    for run in runs:
        rows = list(run.get("results", []))
        rows += [
            {"target": f"engine: {row['operation']}", "user": "–", "repeated": row["repeated"]}
            for row in throughput_rows(run)
        ]
        for row in rows:
            for item in row["repeated"]:
                key = (row["target"], row["user"], item["count"], compact_sql(item["sql"])[:200])
                repeated.setdefault(key, []).append(run["database"].split()[0])
    if repeated:
        lines += [
            "## Repeated statements",
            "",
            f"Statements run {REPEATED_QUERY_LIMIT}+ times in one request or engine operation (literals replaced "
            "by `?`):",
            "",
            "| target | user | times | statement | on |",
            "|---|---|---:|---|---|",
        ]
        for (target, user, count, sql), databases in repeated.items():
            lines.append(f"| {target} | {user} | {count} | `{sql}` | {', '.join(databases)} |")
        lines.append("")
    lines += ["## Reading", "", reading(runs, args), ""]
    output.write_text("\n".join(lines))


def partial_markers(only: str) -> tuple[str, str]:
    return f"<!-- partial run: --only {only} -->", f"<!-- end of partial run: --only {only} -->"


def full_run_counts(text: str) -> dict[str, int]:
    """The row counts of the "Data volumes" table of a RESULTS.md (the last full run)."""
    section = text.split("## Data volumes", 1)[1].split("\n## ", 1)[0] if "## Data volumes" in text else ""
    counts = {}
    for match in re.finditer(r"^\| ([\w.]+) \| ([\d ]+) \|$", section, re.MULTILINE):
        counts[match.group(1)] = int(match.group(2).replace(" ", ""))
    return counts


def write_partial(runs: list[dict], args, output: Path) -> None:
    """A run with `--only`: its tables go into a section of RESULTS.md of their own (marked by HTML comments, so a
    later run with the same `--only` replaces it); the rest of the file, from the last full run, stays."""
    info = machine()
    start, end = partial_markers(args.only)
    previous = output.read_text() if output.exists() else ""
    if start in previous and end in previous:
        head, rest = previous.split(start, 1)
        tail = rest.split(end, 1)[1]
    else:
        head, tail = previous.rstrip("\n") + "\n\n", "\n"
    lines = [
        start,
        f"## Partial run: the targets matching `{args.only}`",
        "",
        f"Generated by `python -m benchmarks.run --only {args.only}` (a section of its own: the rest of this file "
        "is the last full run, and a full run rewrites the whole file, this section included).",
        "",
        f"- Date: {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}; machine: {info['nproc']} CPUs (nproc), "
        f"{info['cpu']}, {info['memory']} memory; Python {info['python']}, Django {info['django']}",
        f"- Run: scale {args.scale}, seed {args.seed}, {args.warmup} warm-ups + {args.repeat} timed requests per row; "
        "the same data as a full run (every phase is generated); no engine throughput, no computations.",
        "",
    ]
    counted = next((run for run in runs if run.get("counts")), None)
    if counted:
        known = full_run_counts(previous)
        changed = {name: n for name, n in counted["counts"].items() if known.get(name) != n}
        if changed:
            lines += [
                "Tables new or grown since the full run above:",
                "",
                "| table | rows |",
                "|---|---:|",
            ]
            lines += [f"| {name} | {count:,} |".replace(",", " ") for name, count in changed.items()]
            lines.append("")
    for run in runs:
        title = run.get("database") or run["name"]
        lines += [f"### {title}", ""]
        if run.get("error") or not run.get("results"):
            lines += [f"**FAILED:** {run.get('error', 'no results')}", ""]
            continue
        phases = run.get("phase_seconds") or {}
        timing = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in phases.items() if seconds >= 1)
        lines += [
            f"Migrate {run['migrate_seconds']} s, generate {run['generate_seconds']} s"
            + (f" ({timing})" if timing else "")
            + f", whole run {run['seconds']} s"
            + (
                f"; load average (1 min) {run['load_before']} before and {run['load_after']} after."
                if run.get("load_before") is not None
                else "."
            ),
            "",
        ]
        lines += results_table(run)
    lines += ["#### Reading", "", reading(runs, args), ""]
    output.write_text(head + "\n".join(lines) + end + tail)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies the counts of people and later objects")
    parser.add_argument("--repeat", type=int, default=20, help="timed requests per target and user")
    parser.add_argument("--warmup", type=int, default=2, help="untimed requests first (the last counts queries)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--throughput", type=int, default=20, help="fresh needs taken through the engine (0: skip the measurement)"
    )
    parser.add_argument("--databases", default="sqlite,mariadb", help="comma-separated: sqlite, mariadb")
    parser.add_argument("--output", type=Path, default=HERE / "RESULTS.md")
    parser.add_argument("--json", type=Path, default=HERE / "out" / "results.json", help="raw results")
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards (prints their URLs)")
    parser.add_argument(
        "--only",
        help="time only the targets whose name matches this regular expression (case-insensitive), skip the engine "
        "throughput and the computations, and write a section of RESULTS.md instead of the whole file",
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--result-file", help=argparse.SUPPRESS)
    parser.add_argument("--redis-url", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.only:
        from .targets import TARGETS

        try:
            if not selected(TARGETS, args.only):
                parser.error(f"--only {args.only!r} matches no target")
        except re.error as error:
            parser.error(f"--only: {error}")
    if args.worker:
        return worker(args)

    runs = []
    for name in [part.strip() for part in args.databases.split(",") if part.strip()]:
        try:
            runs.append(run_database(name, args))
        except Exception as error:
            print(f"\n!!! {name}: {error}\n", file=sys.stderr)
            runs.append({"name": name, "error": str(error)})
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(runs, indent=1, ensure_ascii=False))
    if args.only:
        write_partial(runs, args, args.output)
    else:
        write_results(runs, args, args.output)
    log(f"\n[run] wrote {args.output} (raw: {args.json})")
    failures = [
        f"{run['name']}: {row['target']} as {row['user']}: {row['error'].splitlines()[0]}"
        for run in runs
        for row in run.get("results", [])
        if not row["ok"]
    ] + [f"{run['name']}: {run['error']}" for run in runs if run.get("error")]
    failures += [
        f"{run['name']}: throughput: {run['throughput']['error']}"
        for run in runs
        if (run.get("throughput") or {}).get("error")
    ]
    if failures:
        print("\n!!! FAILURES:\n  " + "\n  ".join(failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
