"""End-to-end driver for `cargo xtask bench`: Cloudflare's official Python SDK (`cloudflare`).

    python python_sdk.py get  --base-url U --token T --zone Z --pack P --n 1000 --warmup 50
    python python_sdk.py list --base-url U --token T --zone Z --per-page 50 --repeat 5

Prints one JSON object like the Rust drivers. Retries are off (max_retries=0) so a slow answer
is never sent twice; the timeout is generous so it never fires.
"""

import json
import sys
import time

import cloudflare
from cloudflare import Cloudflare


def parse(argv):
    mode, rest = argv[0], argv[1:]
    values = {rest[i].lstrip("-"): rest[i + 1] for i in range(0, len(rest), 2)}
    return mode, values


def main():
    mode, a = parse(sys.argv[1:])
    client = Cloudflare(
        api_token=a["token"], base_url=a["base-url"], max_retries=0, timeout=60.0
    )
    zone = a["zone"]
    if mode == "get":
        pack = a["pack"]
        get = client.ssl.certificate_packs.get
        for _ in range(int(a.get("warmup", 50))):
            get(pack, zone_id=zone)
        samples = []
        clock = time.perf_counter_ns
        cpu = time.process_time_ns()
        for _ in range(int(a.get("n", 1000))):
            start = clock()
            got = get(pack, zone_id=zone)
            samples.append(clock() - start)
            assert got is not None
        report = {"samples_ns": samples, "cpu_ns": time.process_time_ns() - cpu}
    elif mode == "list":
        per_page = int(a.get("per-page", 50))
        client.ssl.certificate_packs.list(zone_id=zone, per_page=5)  # opens the connection
        walks, items = [], 0
        for _ in range(int(a.get("repeat", 5))):
            start = time.perf_counter_ns()
            items = 0
            for _pack in client.ssl.certificate_packs.list(zone_id=zone, per_page=per_page):
                items += 1
            walks.append(time.perf_counter_ns() - start)
        report = {"walks_ns": walks, "items": items}
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    report["sdk_version"] = cloudflare.__version__
    print(json.dumps(report))


if __name__ == "__main__":
    main()
