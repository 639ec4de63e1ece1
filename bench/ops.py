"""Cost of the operations endpoints, and evidence throughput on both stores.

    .venv/bin/python bench/ops.py [--requests 500] [--files 40] [--size-kb 1024]
                                  [--database URL] [--redis URL]

(a) Time per request, in process through the WSGI test client (no network, the same client for all):
    a bare Flask "hello", then the portal's /healthz, /readyz and /metrics (scratch SQLite migrated to head,
    the demo world loaded, the worker clock's heartbeat set; a private redis-server unless --redis).
    Goals (platform choices): /readyz ≤ 10 ms, i.e. polling it every second costs ≤ 1 % of a core;
    /metrics ≤ 100 ms per scrape (≤ 0.7 % of a core at Prometheus' 15 s interval).
(b) Evidence upload (save) and download (open) in MB/s: LocalStorage on this machine's disk (fsync'd), and
    S3Storage against moto's S3 server on 127.0.0.1 — a STAND-IN for the object store (a real provider's
    network dominates there), run in its own process; S3Storage is compared with bare boto3 put_object /
    get_object on the same server, interleaved file by file, goal ≥ 80 % (the portal's layer adds little);
    local goal ≥ 20 MB/s.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TOKEN = "bench-metrics-token"

from notifications import _free_port, start_redis  # noqa: E402  (the benches share one Redis starter)
from progress_poll import hello_app  # noqa: E402  (and one bare Flask "hello")


def per_request_ms(client, path: str, n: int, headers: dict | None = None) -> float:
    """Median of 5 rounds of n/5 requests, in ms per request (after 20 warm-up requests)."""
    for _ in range(20):
        assert client.get(path, headers=headers).status_code == 200, path
    rounds = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(max(n // 5, 1)):
            client.get(path, headers=headers)
        rounds.append((time.perf_counter() - start) * 1000 / max(n // 5, 1))
    return statistics.median(rounds)


def endpoints(database: str, redis_url: str, upload_folder: str, n: int) -> None:
    import flask_migrate
    from redis import Redis

    from portal import create_app
    from portal.demo.builder import build
    from portal.extensions import db
    from portal.queueing import CLOCK_HEARTBEAT_KEY

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database,
            "REDIS_URL": redis_url,
            "SECRET_KEY": "bench-secret",
            "DEV_PAGES": True,  # a development start (development secrets)
            "METRICS_TOKEN": TOKEN,
            "UPLOAD_FOLDER": upload_folder,
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )
    with app.app_context():
        flask_migrate.upgrade()
        build()
        db.session.remove()
    Redis.from_url(redis_url).set(CLOCK_HEARTBEAT_KEY, f"{time.time() + 3600:.3f}")  # fresh for the whole run

    hello = per_request_ms(hello_app.test_client(), "/hello", n)
    portal = app.test_client()
    rows = [
        ("hello (bare Flask)", hello, None),
        ("/healthz", per_request_ms(portal, "/healthz", n), None),
        ("/readyz", per_request_ms(portal, "/readyz", n), 10.0),
        ("/metrics", per_request_ms(portal, "/metrics", n // 5, {"Authorization": f"Bearer {TOKEN}"}), 100.0),
    ]
    print(f"(a) per request, in process, median of 5 rounds ({n} requests; /metrics {n // 5})")
    for name, ms, goal in rows:
        verdict = "" if goal is None else (f"goal ≤ {goal:g} ms  " + ("ok" if ms <= goal else "MISSED"))
        print(f"    {name:<20} {ms:8.3f} ms  {ms / hello:6.1f}× hello  {verdict}")


def throughput(store_save, store_open, files: int, size: int) -> tuple[float, float]:
    """(upload MB/s, download MB/s) for `files` files of `size` bytes."""
    payloads = [os.urandom(size) for _ in range(files)]
    start = time.perf_counter()
    keys = [store_save(data) for data in payloads]
    up = time.perf_counter() - start
    start = time.perf_counter()
    for key, data in zip(keys, payloads, strict=True):
        assert store_open(key) == data
    down = time.perf_counter() - start
    mb = files * size / 1e6
    return mb / up, mb / down


def evidence(workdir: Path, files: int, size: int) -> None:
    import boto3

    from portal.evidence.storage import LocalStorage, build_storage, new_key

    print(f"(b) evidence throughput, {files} files of {size // 1024} KB")
    local = LocalStorage(workdir / "local")
    up, down = throughput(lambda d: local.save(d, ".jpg"), local.open, files, size)
    print(f"    local disk           upload {up:7.1f} MB/s  download {down:7.1f} MB/s  goal ≥ 20 MB/s  "
          + ("ok" if min(up, down) >= 20 else "MISSED"))  # fmt: skip

    port = _free_port()
    # The stand-in in its own process, so that it does not share this process's GIL with the client.
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        settings = {
            "EVIDENCE_STORAGE": "s3",
            "EVIDENCE_S3_BUCKET": "bench",
            "EVIDENCE_S3_ENDPOINT_URL": f"http://127.0.0.1:{port}",
            "EVIDENCE_S3_REGION": "us-east-1",
            "EVIDENCE_S3_ACCESS_KEY_ID": "stand-in",
            "EVIDENCE_S3_SECRET_ACCESS_KEY": "stand-in-secret",
            "EVIDENCE_S3_ADDRESSING_STYLE": "path",
        }
        s3 = build_storage(settings, "evidence")
        for _ in range(200):
            try:
                s3.client.create_bucket(Bucket="bench")
                break
            except Exception:
                time.sleep(0.1)
        raw = boto3.session.Session().client(
            "s3", endpoint_url=settings["EVIDENCE_S3_ENDPOINT_URL"], region_name="us-east-1",
            aws_access_key_id="stand-in", aws_secret_access_key="stand-in-secret",
        )  # fmt: skip
        # Interleaved file by file (bare boto3, then the portal's S3Storage), so that both meet the same load.
        payloads = [os.urandom(size) for _ in range(files)]
        spent = {"raw up": 0.0, "raw down": 0.0, "ours up": 0.0, "ours down": 0.0}
        keys = []
        for data in payloads:
            start = time.perf_counter()
            raw_key = "raw/" + new_key(".jpg")
            raw.put_object(Bucket="bench", Key=raw_key, Body=data)
            spent["raw up"] += time.perf_counter() - start
            start = time.perf_counter()
            keys.append((raw_key, s3.save(data, ".jpg")))
            spent["ours up"] += time.perf_counter() - start
        for (raw_key, key), data in zip(keys, payloads, strict=True):
            start = time.perf_counter()
            assert raw.get_object(Bucket="bench", Key=raw_key)["Body"].read() == data
            spent["raw down"] += time.perf_counter() - start
            start = time.perf_counter()
            assert s3.open(key) == data
            spent["ours down"] += time.perf_counter() - start
        mb = files * size / 1e6
        rate = {name: mb / seconds for name, seconds in spent.items()}
        up, down = rate["ours up"] / rate["raw up"], rate["ours down"] / rate["raw down"]
        verdict = "ok" if min(up, down) >= 0.8 else "MISSED"
        for who, label in (("raw", "boto3 "), ("ours", "portal")):
            print(f"    S3 stand-in, {label}  upload {rate[who + ' up']:7.1f} MB/s", end="")
            print(f"  download {rate[who + ' down']:7.1f} MB/s", end="")
            print(f"  {up:.0%} / {down:.0%} of boto3  goal ≥ 80 %  {verdict}" if who == "ours" else "")
    finally:
        server.terminate()
        server.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--files", type=int, default=40)
    parser.add_argument("--size-kb", type=int, default=1024)
    parser.add_argument("--database", help="default: a scratch SQLite file (a given database is migrated)")
    parser.add_argument("--redis", help="default: a private redis-server")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="rc-bench-ops-"))
    redis_proc = None
    try:
        redis_url = args.redis
        if not redis_url:
            redis_proc, redis_url = start_redis(workdir)
        database = args.database or f"sqlite:///{workdir / 'bench.db'}"
        endpoints(database, redis_url, str(workdir / "uploads"), args.requests)
        evidence(workdir, args.files, args.size_kb * 1024)
    finally:
        if redis_proc:
            redis_proc.terminate()
            redis_proc.wait(5)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
