"""A small load generator: logs in once, then GETs one path from several threads for a fixed time.

Prints JSON: requests, errors, requests per second and the 99th percentile latency in milliseconds.
It runs in its own process, so it does not share the server's CPU time slices with the app's code.
"""

import argparse
import http.client
import json
import re
import statistics
import threading
import time
import urllib.parse


def session_cookie(port: int, email: str, password: str) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", "/login")
    response = connection.getresponse()
    page = response.read().decode()
    cookie = (response.getheader("Set-Cookie") or "").split(";")[0]
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token" value="([^"]+)"', page
    )
    body = urllib.parse.urlencode({"email": email, "password": password, "csrf_token": token.group(1) if token else ""})
    connection.request(
        "POST", "/login", body=body, headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
    )
    response = connection.getresponse()
    response.read()
    if response.status != 302:
        raise SystemExit(f"login failed: {response.status}")
    return (response.getheader("Set-Cookie") or cookie).split(";")[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", required=True)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--email", required=True)
    parser.add_argument("--password", required=True)
    args = parser.parse_args()
    cookie = session_cookie(args.port, args.email, args.password)
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + args.seconds

    def worker():
        connection = http.client.HTTPConnection("127.0.0.1", args.port, timeout=10)
        mine, failed = [], 0
        while time.monotonic() < deadline:
            start = time.perf_counter()
            try:
                connection.request("GET", args.path, headers={"Cookie": cookie})
                response = connection.getresponse()
                response.read()
                if response.status != 200:
                    failed += 1
            except OSError:
                failed += 1
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", args.port, timeout=10)
                continue
            mine.append(time.perf_counter() - start)
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    threads = [threading.Thread(target=worker) for _ in range(args.threads)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99) - 1] if latencies else 0
    print(
        json.dumps(
            {
                "requests": len(latencies),
                "errors": errors[0],
                "rps": len(latencies) / elapsed,
                "p99_ms": p99 * 1000,
                "median_ms": statistics.median(latencies) * 1000 if latencies else 0,
            }
        )
    )


if __name__ == "__main__":
    main()
