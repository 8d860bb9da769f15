"""Benchmark: a streaming list view (async_drf.streaming) under uvicorn.

For each row count, a SQLite file with that many posts and a fresh uvicorn process
serving ``AsyncStreamingListAPIView`` (``bench/stacks/streaming``).  Each format is
streamed ``--repeat`` times to a client that reads as fast as it can; reported: time
to the first body byte and total time (medians), rows per second, bytes, and the
server's resident memory before the first request and at its highest during them
(sampled from /proc every 5 ms).

    .venv/bin/python bench/streaming.py                      # 1,000 and 100,000 rows
    .venv/bin/python bench/streaming.py --rows 1000,10000 --formats ndjson --chunk-size 200
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import os
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from run import SCHEMA, free_port, stop  # bench/run.py: this script runs from bench/

ROOT = Path(__file__).resolve().parent.parent
ACCEPT = {"json": "application/json", "ndjson": "application/x-ndjson", "csv": "text/csv"}
# "list": the same rows from an AsyncListAPIView without pagination, rendered whole.
ACCEPT["list"] = ACCEPT["json"]
N_AUTHORS = 50


def make_database(path: Path, rows: int) -> None:
    """``rows`` posts (titles, ~400-character bodies) over 50 authors, in WAL mode."""
    rng = random.Random(20240601)
    words = "async django rest tortoise query serializer stream chunk socket row".split()
    base = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.executescript(SCHEMA)
        conn.executemany(
            "INSERT INTO author (id, name) VALUES (?, ?)",
            [(i, f"Author {i}") for i in range(1, N_AUTHORS + 1)],
        )
        conn.executemany(
            "INSERT INTO post (title, body, published, created_at, author_id) "
            "VALUES (?, ?, ?, ?, ?)",
            (
                (
                    f"Post {i}: " + " ".join(rng.choices(words, k=6)),
                    " ".join(rng.choices(words, k=60)),
                    i % 3 != 0,
                    (base + dt.timedelta(seconds=i)).isoformat(" "),
                    i % N_AUTHORS + 1,
                )
                for i in range(1, rows + 1)
            ),
        )
        conn.commit()
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


@contextlib.contextmanager
def serve(db: Path, chunk_size: int, log: Path) -> Iterator[tuple[int, int]]:
    """uvicorn over ``db``; yields (port, server pid)."""
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "BENCH_DB": str(db),
        "DJANGO_SETTINGS_MODULE": "bench.stacks.streaming.settings",
        "BENCH_STREAM_CHUNK_SIZE": str(chunk_size),
    }
    command = [sys.executable, "-m", "uvicorn", "bench.stacks.streaming.asgi:application"]
    command += ["--port", str(port), "--lifespan", "on", "--no-access-log"]
    with open(log, "w") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=out)
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start: {log.read_text()[-2000:]}")
            time.sleep(0.05)
        yield port, process.pid
    finally:
        stop(process)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


class PeakRSS(threading.Thread):
    """Samples a process's resident memory until stopped; ``peak`` is the largest."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = rss_mb(pid)
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.005):
            self.peak = max(self.peak, rss_mb(self.pid))

    def stop(self) -> float:
        self.done.set()
        self.join()
        return max(self.peak, rss_mb(self.pid))


def stream(port: int, fmt: str, query: str = "") -> tuple[float, float, int, int]:
    """(seconds to the first body byte, total seconds, bytes, lines) of one export."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        started = time.perf_counter()
        path = "/posts/all/" if fmt == "list" else f"/posts/export/{query}"
        conn.request("GET", path, headers={"Accept": ACCEPT[fmt]})
        response = conn.getresponse()
        if response.status != 200:
            raise RuntimeError(f"{fmt}: {response.status} {response.read()[:500]!r}")
        first = response.read1(65536)
        first_byte = time.perf_counter() - started
        size, lines = len(first), first.count(b"\n")
        while block := response.read1(65536):
            size += len(block)
            lines += block.count(b"\n")
        return first_byte, time.perf_counter() - started, size, lines
    finally:
        conn.close()


def measure(port: int, pid: int, fmt: str, rows: int) -> tuple[float, float, int, float, float]:
    """One export: (first byte s, total s, bytes, RSS before MB, peak RSS MB)."""
    before = rss_mb(pid)
    sampler = PeakRSS(pid)
    sampler.start()
    first_byte, total, size, count = stream(port, fmt)
    peak = sampler.stop()
    expected = {"ndjson": rows, "csv": rows + 1}.get(fmt)
    if expected is not None and count != expected:
        raise RuntimeError(f"{fmt}: {count} lines, expected {expected}")
    return first_byte, total, size, before, peak


def bench(rows: int, formats: list[str], chunk_size: int, repeat: int, workdir: Path) -> None:
    """Times are medians of ``repeat`` runs; memory is the first RSS and the highest peak."""
    db = workdir / f"posts-{rows}.sqlite3"
    make_database(db, rows)
    with serve(db, chunk_size, workdir / f"server-{rows}.log") as (port, pid):
        stream(port, "json", "?search=nothing")  # warm-up: imports, plans, one query
        for fmt in formats:
            runs = [measure(port, pid, fmt, rows) for _ in range(repeat)]
            first_byte = statistics.median(run[0] for run in runs)
            total = statistics.median(run[1] for run in runs)
            before, peak = runs[0][3], max(run[4] for run in runs)
            print(
                f"| {rows:,} | {fmt} | {first_byte * 1000:.1f} | {total:.2f} | "
                f"{rows / total:,.0f} | {runs[0][2] / 2**20:.1f} | {before:.1f} | {peak:.1f} | "
                f"{peak - before:+.1f} |",
                flush=True,
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", default="1000,100000", help="row counts, comma-separated")
    parser.add_argument(
        "--formats", default="json,ndjson,csv,list", help='"list": not streamed, to compare'
    )
    parser.add_argument("--chunk-size", type=int, default=500, help="rows per query")
    parser.add_argument("--repeat", type=int, default=3, help="runs per format (median)")
    args = parser.parse_args(argv)
    formats = args.formats.split(",")
    header = [
        "| rows | format | first byte (ms) | total (s) | rows/s | MB sent "
        "| server RSS before (MB) | peak (MB) | growth (MB) |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    print("\n".join(header), flush=True)
    with tempfile.TemporaryDirectory(prefix="async_drf_stream_bench_") as tmp:
        for rows in (int(n) for n in args.rows.split(",")):
            bench(rows, formats, args.chunk_size, args.repeat, Path(tmp))
    print(
        f"\nchunk size {args.chunk_size}, median of {args.repeat} runs; "
        f"Python {sys.version.split()[0]}; {os.cpu_count()} CPUs"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
