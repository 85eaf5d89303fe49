#!/usr/bin/env python3
"""Bounded load on the WebApi sample, on loopback only: CONCURRENCY clients x REQUESTS requests, then stops.

usage: webapi-load.py URL EXPECTED_JSON CONCURRENCY REQUESTS
EXPECTED_JSON is `mlnetcnn predict --json` over the images (path, label, probability). Every request must answer
200 with the offline label and a probability within 1e-5 of the offline one; bad uploads must answer 400 with an
error message, and the next request must succeed. Prints one summary line; exits 1 on any failure.
"""
import json
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

url, expected_path, concurrency, per_client = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
if not url.startswith("http://127.0.0.1:"):
    sys.exit("webapi-load: loopback only")
expected = json.load(open(expected_path))
images = [(e["path"], open(e["path"], "rb").read(), e["label"], e["probability"]) for e in expected]


def post(body):
    request = urllib.request.Request(url + "/predict", data=body, method="POST", headers={"Content-Type": "application/octet-stream"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def client(k):
    failures = []
    for i in range(per_client):
        path, body, label, probability = images[(k * per_client + i) % len(images)]
        status, answer = post(body)
        if status != 200 or answer.get("label") != label or abs(answer.get("probability", -1) - probability) > 1e-5:
            failures.append(f"{path}: {status} {answer} (offline: {label}, {probability})")
    return failures


started = time.time()
with ThreadPoolExecutor(concurrency) as pool:
    failures = [f for result in pool.map(client, range(concurrency)) for f in result]
seconds = time.time() - started
total = concurrency * per_client

bad = {"empty": b"", "not an image": b"this is text, not a PNG" * 10, "truncated": images[0][1][: len(images[0][1]) // 3]}
for name, body in bad.items():
    status, answer = post(body)
    if status != 400 or not answer.get("error"):
        failures.append(f"{name} upload: {status} {answer} (expected 400 with an error)")
    status, answer = post(images[0][1])
    if status != 200:
        failures.append(f"the request after the {name} upload: {status} {answer}")

print(f"webapi-load: {total - len([f for f in failures if 'upload' not in f])} of {total} requests right in {seconds:.1f} s "
      f"({total / seconds:.0f} requests/s, {concurrency} clients); bad uploads: {len(bad)} answered 400")
for failure in failures[:10]:
    print("  " + failure)
sys.exit(1 if failures else 0)
