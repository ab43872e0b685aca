#!/usr/bin/env python3
"""bench-scan: pmatch scan throughput over a tree of generated 1024x768 JPEGs.

  ninja -C build bench-scan                       (10,000 images in build/bench/scan/tree)
  python3 bench/scan/bench_scan.py PMATCH LM_MAKE_IMAGES WORKDIR [COUNT]

Generates COUNT (default 10,000) benign 1024x768 JPEGs once (kept in WORKDIR/tree, 100 per
directory), makes a list of 100 of their hashes, then times `pmatch scan --json --quiet` with
--jobs 1 and 2: cold (no cache; also with --no-dihedral --no-trim, the cost of the default
robust matching), filling a fresh --hash-cache, and with the cache warm. Prints
files/s and the peak resident memory (ru_maxrss of the child from wait4) with each command.
Figures are printed, never asserted.
"""
import os
import shutil
import subprocess
import sys
import time


def run(cmd):
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, ru = os.wait4(p.pid, 0)
    secs = time.monotonic() - t0
    err = p.stderr.read().decode()
    p.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        sys.exit(f"{' '.join(cmd)}: exit {code}\n{err}")
    return secs, ru.ru_maxrss, err


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    pmatch, make_images, work = sys.argv[1:4]
    count = int(sys.argv[4]) if len(sys.argv) > 4 else 10000
    tree = os.path.join(work, "tree")
    stamp = os.path.join(work, f"tree-{count}.done")
    if not os.path.exists(stamp):
        shutil.rmtree(tree, ignore_errors=True)
        os.makedirs(tree)
        t0 = time.monotonic()
        for d in range((count + 99) // 100):
            n = min(100, count - d * 100)
            subprocess.run([make_images, os.path.join(tree, f"d{d:03d}"), str(n),
                            "--size=1024x768", f"--seed={d + 1}"], check=True)
        open(stamp, "w").close()
        print(f"generated {count} JPEGs 1024x768 in {time.monotonic() - t0:.0f} s")
    db = os.path.join(work, "list.lmdb")
    shutil.rmtree(db, ignore_errors=True)
    subprocess.run([pmatch, "db", "init", "--db", db], check=True, stdout=subprocess.DEVNULL)
    sample = [os.path.join(tree, f"d{d:03d}", "img-0000.jpg") for d in range(min(100, count // 100))]
    hashes = subprocess.run([pmatch, "hash", *sample], check=True, capture_output=True).stdout
    csv = os.path.join(work, "known.csv")
    with open(csv, "wb") as f:
        f.write(hashes)
    subprocess.run([pmatch, "db", "import", "--db", db, "--format", "pdq-csv", csv], check=True,
                   stdout=subprocess.DEVNULL)
    cache = os.path.join(work, "cache")
    print(f"pmatch scan over {count} files; load average {os.getloadavg()[0]:.1f}, "
          f"{os.cpu_count()} cores")
    print(f"{'run':<31} {'seconds':>8} {'files/s':>9} {'peak RSS':>10}  command")
    for jobs in (1, 2):
        shutil.rmtree(cache, ignore_errors=True)
        base = [pmatch, "scan", "--db", db, "--json", "--quiet", "--jobs", str(jobs)]
        for label, extra in (("cold", []),
                             ("cold, plain hash only", ["--no-dihedral", "--no-trim"]),
                             ("cache being filled", ["--hash-cache", cache]),
                             ("cache warm", ["--hash-cache", cache])):
            cmd = base + extra + [tree]
            secs, rss_kb, err = run(cmd)
            print(f"jobs {jobs}, {label:<23} {secs:8.1f} {count / secs:9.0f} "
                  f"{rss_kb / 1024:8.0f} MB  {' '.join(cmd)}", flush=True)
            if "this run" in err:
                print("    " + err.strip().splitlines()[-1])


main()
