#!/usr/bin/env python3
"""Measures what topic history holds (issue 13, item 2): the server's resident memory under an unkeyed
scenario of 9,000 rows evaluated every 100 ms whose result changes at each evaluation (through now()),
with no client connected. Prints RSS at start, after 25 s, and the `ioc_fanout_history_bytes` gauge.

    tools/history_rss.py target/release/ioc-stream [SECONDS]

It does not judge the figures; it prints them. Standard library only.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

ROWS = 9000

CATALOG = """[streams.orders]
event_time = "event_time"
id = "event_id"
retention = "24h"
columns = [
  { name = "event_id",   type = "utf8" },
  { name = "event_time", type = "timestamp_ms" },
  { name = "region",     type = "utf8" },
  { name = "amount",     type = "int64" },
]
"""

SCENARIO = """-- title: Every order, stamped with now()
-- every: 100ms
SELECT event_id, region, amount, now() AS at FROM orders
"""


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main():
    binary = sys.argv[1]
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 25.0
    work = tempfile.mkdtemp(prefix="ioc-history-rss-")
    queries = os.path.join(work, "q")
    os.makedirs(queries)
    with open(os.path.join(queries, "streams.toml"), "w") as f:
        f.write(CATALOG)
    server = subprocess.Popen(
        [binary, "serve", "--listen", "127.0.0.1:0", "--queries", queries, "--data-dir", os.path.join(work, "data")],
        stdout=subprocess.PIPE,
        env={**os.environ, "RUST_LOG": "warn"},
        text=True,
    )
    try:
        base = re.match(r"listening on (\S+)", server.stdout.readline()).group(1)
        now = int(time.time() * 1000)
        body = "".join(
            json.dumps({"event_id": f"o{i}", "event_time": now, "region": f"r{i % 50}", "amount": i}) + "\n"
            for i in range(ROWS)
        )
        req = urllib.request.Request(
            f"{base}/api/v1/streams/orders/events", body.encode(), {"content-type": "application/x-ndjson"}
        )
        urllib.request.urlopen(req).read()
        time.sleep(1)
        rss0 = rss_kib(server.pid)
        with open(os.path.join(queries, "all_orders.sql"), "w") as f:
            f.write(SCENARIO)
        time.sleep(seconds)
        rss1 = rss_kib(server.pid)
        metrics = urllib.request.urlopen(f"{base}/metrics").read().decode()
        history = re.search(r"^ioc_fanout_history_bytes (\S+)", metrics, re.M)
        info = json.loads(urllib.request.urlopen(f"{base}/api/v1/scenarios").read())
        seq = next((s["seq"] for s in info if s["name"] == "all_orders"), 0)
        print(
            f"history_rss: {ROWS} rows every 100 ms, no client, {seconds:.0f} s, {seq} updates: "
            f"RSS {rss0 // 1024} MiB -> {rss1 // 1024} MiB (+{(rss1 - rss0) / 1024:.1f} MiB); "
            f"ioc_fanout_history_bytes {history.group(1) if history else 'n/a'}"
        )
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
