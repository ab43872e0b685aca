#!/usr/bin/env python3
"""Bounded load test of pmatch serve on loopback with wrk (Debian package wrk).

    python3 bench/serve/bench-serve.py BUILD_DIR [ENTRIES] [SECONDS] [--db DIR] [--soak S]

Makes a list of ENTRIES random PDQ hashes (default 1,000,000) plus 40 hashes of generated
1024x768 JPEGs (with --db: uses the list in DIR, which must already hold ENTRIES entries,
e.g. 10M imported from hex text, and is kept; the bench adds small lists to it), then for 1
and 2 workers runs wrk for SECONDS (default 10) on
  - hash lookups: GET /v1/lookup?pdq=H (half hashes on the list, half random),
  - uploads: POST /v1/check with one of 40 1024x768 JPEGs (half of them on the list),
each with a list refresh (an import of 1,000 hashes and SIGHUP) in the middle, and reports
requests/s, p50/p99/p99.9 latency, non-2xx responses and socket errors, with the load
average. Then ten refreshes (each after an import of 1,000 hashes) while wrk drives lookups
and uploads, with the server's RSS after each and wrk's failures over the whole phase.
With --soak S: S seconds of lookups and uploads (with an import + refresh every 120 s),
the RSS sampled every 30 s. Everything on 127.0.0.1; bounded in count and time; temporary
files removed. Run it with `nice -n 10` on a shared machine."""
import argparse
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

# wrk's summary as one RESULT line, the end of every script below.
DONE_LUA = r'''
done = function(s, lat, req)
  io.write(string.format("RESULT requests=%d duration_us=%d status_errors=%d socket_errors=%d p50=%d p99=%d p999=%d\n",
    s.requests, s.duration, s.errors.status, s.errors.connect + s.errors.read + s.errors.write + s.errors.timeout,
    lat:percentile(50), lat:percentile(99), lat:percentile(99.9)))
end
'''

LOOKUP_LUA = r'''
local hashes = {}
for line in io.lines(os.getenv("BENCH_HASHES")) do hashes[#hashes + 1] = line end
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", "/v1/lookup?pdq=" .. hashes[(n * 7919) % #hashes + 1])
end
''' + DONE_LUA

UPLOAD_LUA = r'''
local bodies = {}
for path in io.lines(os.getenv("BENCH_IMAGES")) do
  local f = io.open(path, "rb"); bodies[#bodies + 1] = f:read("*a"); f:close()
end
local n = 0
request = function()
  n = n + 1
  return wrk.format("POST", "/v1/check", {["Content-Type"] = "image/jpeg"}, bodies[n % #bodies + 1])
end
''' + DONE_LUA


def rss_kb(pid, field="VmRSS:"):
    """Resident KiB; VmRSS counts the LMDB pages mapped in (RssFile) beside the heap and
    index (RssAnon), so both are reported."""
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(field):
            return int(line.split()[1])
    return 0


def anon_kb(pid):
    return rss_kb(pid, "RssAnon:")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build", nargs="?", default="build")
    ap.add_argument("entries", nargs="?", type=int, default=1_000_000)
    ap.add_argument("seconds", nargs="?", type=int, default=10)
    ap.add_argument("--db", help="an existing list holding ENTRIES random entries (kept)")
    ap.add_argument("--soak", type=int, default=0, help="seconds of soak with RSS samples")
    a = ap.parse_args()
    pmatch = os.path.join(a.build, "cli", "pmatch")
    make_images = os.path.join(a.build, "tests", "tools", "lm-make-images")
    if not shutil.which("wrk"):
        sys.exit("wrk not installed (apt-get install wrk, or LM_INSTALL_EXTRAS=1 scripts/install-deps.sh)")
    tmp = tempfile.mkdtemp(prefix="lm-bench-serve-")
    rng = random.Random(18)
    try:
        run(tmp, pmatch, make_images, a.entries, a.seconds, rng, a.db, a.soak)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def load():
    return "load %.2f" % os.getloadavg()[0]


def import_hashes(pmatch, db, tmp, name, hashes):
    path = os.path.join(tmp, name + ".txt")
    with open(path, "w") as f:
        f.write("\n".join(hashes) + "\n")
    t0 = time.time()
    subprocess.run([pmatch, "db", "import", "--db", db, "--list", name, "--format", "hex", path],
                   check=True, capture_output=True)
    os.unlink(path)
    return time.time() - t0


def run(tmp, pmatch, make_images, entries, seconds, rng, given_db, soak):
    if given_db:
        db = given_db
        print(f"list: {db} (prebuilt, {entries} random PDQ hashes)")
    else:
        db = os.path.join(tmp, "db")
        subprocess.run([pmatch, "db", "init", "--db", db], check=True, capture_output=True)
        t = import_hashes(pmatch, db, tmp, "random", [f"{rng.getrandbits(256):064x}" for _ in range(entries)])
        print(f"list: {entries} random PDQ hashes imported in {t:.1f} s")
    tag = f"{os.getpid()}"
    imgdir = os.path.join(tmp, "img")
    subprocess.run([make_images, imgdir, "40", "--size=1024x768", "--seed=18"], check=True, capture_output=True)
    images = sorted(os.path.join(imgdir, f) for f in os.listdir(imgdir))
    lines = subprocess.run([pmatch, "hash", *images[:20]], check=True, capture_output=True,
                           text=True).stdout.splitlines()
    known = [l.split(",")[0] for l in lines]
    hp = os.path.join(tmp, "known.pdq")
    open(hp, "w").write("\n".join(lines) + "\n")
    subprocess.run([pmatch, "db", "import", "--db", db, "--list", "known", hp], check=True, capture_output=True)
    print(f"cpu: {os.cpu_count()} cores ({cpu_model()}), {load()} at start")
    hashes = os.path.join(tmp, "hashes.txt")
    on_list = known + [f"{rng.getrandbits(256):064x}" for _ in range(10)]
    with open(hashes, "w") as f:
        for i in range(1000):
            f.write((on_list[i % len(on_list)] if i % 2 == 0 else f"{rng.getrandbits(256):064x}") + "\n")
    imglist = os.path.join(tmp, "images.txt")
    open(imglist, "w").write("\n".join(images) + "\n")
    open(os.path.join(tmp, "lookup.lua"), "w").write(LOOKUP_LUA)
    open(os.path.join(tmp, "upload.lua"), "w").write(UPLOAD_LUA)
    env = dict(os.environ, BENCH_HASHES=hashes, BENCH_IMAGES=imglist)
    size = sum(os.path.getsize(p) for p in images) / len(images)
    print(f"uploads: 40 generated 1024x768 JPEGs, mean {size / 1024:.0f} KiB, 20 on the list")
    print(f"wrk: {seconds} s per run, 2 threads, 8 connections; a refresh (1,000-hash import + SIGHUP) "
          f"at {seconds // 2} s")
    print(f"{'workers':>7} {'kind':>7} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'p99.9 ms':>9} "
          f"{'non-2xx':>8} {'sock err':>8} {'refresh s':>9}  load")
    gen = 0
    for workers in (() if os.environ.get("BENCH_RSS_ONLY") else (1, 2)):
        for kind in ("lookup", "upload"):
            gen += 1
            srv = start(pmatch, db, tmp, workers)
            try:
                warm(srv)
                refresh_at = seconds / 2
                result = {}

                def refresher():
                    time.sleep(refresh_at)
                    import_hashes(pmatch, db, tmp, f"live{tag}-{gen}",
                                  [f"{rng.getrandbits(256):064x}" for _ in range(1000)])
                    srv["proc"].send_signal(signal.SIGHUP)
                th = threading.Thread(target=refresher)
                th.start()
                p = subprocess.run(["wrk", "-t2", "-c8", f"-d{seconds}s", "--timeout", "10s",
                                    "-s", os.path.join(tmp, kind + ".lua"), srv["url"]],
                                   capture_output=True, text=True, env=env)
                th.join()
                m = re.search(r"RESULT (.*)", p.stdout)
                if not m:
                    print(p.stdout, p.stderr)
                    continue
                r = dict(kv.split("=") for kv in m.group(1).split())
                rs = int(r["requests"]) / (int(r["duration_us"]) / 1e6)
                non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", p.stdout)
                refresh_s = wait_refresh(srv, 1)
                print(f"{workers:>7} {kind:>7} {rs:>9.0f} {int(r['p50']) / 1000:>8.2f} {int(r['p99']) / 1000:>8.2f} "
                      f"{int(r['p999']) / 1000:>9.2f} {non2xx.group(1) if non2xx else 0:>8} "
                      f"{r['socket_errors']:>8} {refresh_s:>9}  {load()}")
            finally:
                stop(srv)
    # ten refreshes under load (wrk lookups and uploads meanwhile): RSS after each
    srv = start(pmatch, db, tmp, 2)
    try:
        warm(srv)
        rss = [rss_kb(srv["proc"].pid)]
        anon = [anon_kb(srv["proc"].pid)]
        w = [wrk_bg(srv, "lookup", env, tmp, 4), wrk_bg(srv, "upload", env, tmp, 2)]
        times = []
        for i in range(10):
            import_hashes(pmatch, db, tmp, f"rss{tag}-{i}", [f"{rng.getrandbits(256):064x}" for _ in range(1000)])
            srv["proc"].send_signal(signal.SIGHUP)
            times.append(wait_refresh(srv, i + 1))
            rss.append(rss_kb(srv["proc"].pid))
            anon.append(anon_kb(srv["proc"].pid))
        res = [wrk_stop(p) for p in w]
        print("ten refreshes under load: refresh seconds " + " ".join(times))
        print("RSS (MB) at start and after each of 10 refreshes: " +
              " ".join(f"{x / 1024:.0f}" for x in rss))
        print("  of which anonymous (heap, index): " + " ".join(f"{x / 1024:.0f}" for x in anon))
        for kind, r in zip(("lookup", "upload"), res):
            print(f"  wrk {kind} meanwhile: {r}")
        print(f"  {load()}")
    finally:
        stop(srv)
    if soak:
        srv = start(pmatch, db, tmp, 2)
        try:
            warm(srv)
            w = [wrk_bg(srv, "lookup", env, tmp, 4), wrk_bg(srv, "upload", env, tmp, 2)]
            t0 = time.time()
            samples, nref = [(0, rss_kb(srv["proc"].pid), anon_kb(srv["proc"].pid))], 0
            while time.time() - t0 < soak:
                time.sleep(min(30, max(0.0, soak - (time.time() - t0))))
                el = time.time() - t0
                if int(el) // 120 > nref and el < soak - 5:
                    nref += 1
                    import_hashes(pmatch, db, tmp, f"soak{tag}-{nref}",
                                  [f"{rng.getrandbits(256):064x}" for _ in range(1000)])
                    srv["proc"].send_signal(signal.SIGHUP)
                samples.append((round(el), rss_kb(srv["proc"].pid), anon_kb(srv["proc"].pid)))
            res = [wrk_stop(p) for p in w]
            print(f"soak {soak} s (lookups 4 conns + uploads 2 conns, {nref} import+refresh): RSS (s:MB) " +
                  " ".join(f"{s}:{k / 1024:.0f}" for s, k, _ in samples))
            print("  of which anonymous (s:MB): " + " ".join(f"{s}:{a / 1024:.0f}" for s, _, a in samples))
            for kind, r in zip(("lookup", "upload"), res):
                print(f"  wrk {kind}: {r}")
            print(f"  {load()}")
        finally:
            stop(srv)


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "?"


def wrk_bg(srv, kind, env, tmp, conns):
    """wrk running until wrk_stop (SIGINT makes it stop and print its summary)."""
    return subprocess.Popen(["wrk", "-t1", f"-c{conns}", "-d3600s", "--timeout", "10s",
                             "-s", os.path.join(tmp, kind + ".lua"), srv["url"]],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)


def wrk_stop(p):
    p.send_signal(signal.SIGINT)
    out, _ = p.communicate(timeout=60)
    m = re.search(r"RESULT (.*)", out)
    if not m:
        return "no result: " + out[-300:]
    r = dict(kv.split("=") for kv in m.group(1).split())
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    rs = int(r["requests"]) / (int(r["duration_us"]) / 1e6)
    return (f"{r['requests']} requests, {rs:.0f}/s, p50 {int(r['p50']) / 1000:.2f} ms, p99 "
            f"{int(r['p99']) / 1000:.2f} ms, p99.9 {int(r['p999']) / 1000:.2f} ms, non-2xx "
            f"{non2xx.group(1) if non2xx else 0}, socket errors {r['socket_errors']}")


def start(pmatch, db, tmp, workers):
    pf = os.path.join(tmp, "port")
    if os.path.exists(pf):
        os.unlink(pf)
    log = open(os.path.join(tmp, "serve.log"), "w")
    proc = subprocess.Popen([pmatch, "serve", "--db", db, "--port", "0", "--port-file", pf,
                             "--workers", str(workers), "--refresh-seconds", "0",
                             "--max-concurrent", "64"], stderr=log)
    while not os.path.exists(pf):
        if proc.poll() is not None:
            sys.exit("server failed: " + open(log.name).read())
        time.sleep(0.1)
    return {"proc": proc, "log": log, "url": f"http://127.0.0.1:{int(open(pf).read())}"}


def warm(srv):
    for _ in range(20):
        urllib.request.urlopen(srv["url"] + "/healthz").read()


def wait_refresh(srv, n, timeout=300):
    """Seconds the n-th refresh took (from the server's log), waiting for it."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        srv["log"].flush()
        found = [l for l in open(srv["log"].name) if '"event":"refresh"' in l]
        if len(found) >= n:
            m = re.search(r'"seconds":([0-9.e-]+)', found[n - 1])
            return f"{float(m.group(1)):.2f}" if m else "?"
        time.sleep(0.2)
    return "timeout"


def stop(srv):
    srv["proc"].send_signal(signal.SIGTERM)
    srv["proc"].wait(timeout=120)
    srv["log"].close()


if __name__ == "__main__":
    main()
