#!/usr/bin/env python3
"""Crash safety of the store through the CLI: `pmatch db import` of a generated
list of 100k hashes is killed (SIGKILL) at random points, at least 20 times.
After each kill, `pmatch db verify` must pass and `pmatch db export` must equal
exactly the state before the import or the state after it, and the persisted
search index (pdq.index, written after the import commits) must agree with it:
`pmatch match` finds old hashes always and new ones exactly in the state after.
Twice: into a list database that holds PDQ entries (the index is built from the
list after the commit) and into a new one (the index is built beside the write
transaction and put in place after the commit).

Fixed seed (LM_TEST_SEED overrides; printed on failure). LM_PMATCH names the
pmatch binary. Standard library only."""
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

SEED = int(os.environ.get("LM_TEST_SEED", "20261124"))
KILLS = int(os.environ.get("LM_TEST_KILLS", "24"))
N_HASHES = 100_000
PMATCH = os.environ.get("LM_PMATCH", "pmatch")


def fail(msg):
    print(f"FAIL (seed {SEED}): {msg}", file=sys.stderr)
    sys.exit(1)


def run(*args, check=True):
    r = subprocess.run([PMATCH, *args], capture_output=True, text=True)
    if check and r.returncode != 0:
        fail(f"pmatch {' '.join(args)} -> {r.returncode}: {r.stderr.strip()}")
    return r


def export(db):
    return run("db", "export", "--db", db).stdout


def main():
    rng = random.Random(SEED)
    tmp = tempfile.mkdtemp(prefix="lm-kill-")
    try:
        base = os.path.join(tmp, "base")
        run("db", "init", "--db", base)
        small = os.path.join(tmp, "small.csv")
        with open(small, "w") as f:
            for i in range(500):
                f.write(f"{rng.getrandbits(256):064x},{rng.randrange(101)},old/{i}.jpg\n")
        run("db", "import", small, "--db", base, "--list", "old")
        with open(small) as f:
            old_hashes = [line.split(",")[0] for line in f][:5]
        big = os.path.join(tmp, "big.csv")
        with open(big, "w") as f:
            for i in range(N_HASHES):
                f.write(f"{rng.getrandbits(256):064x},{rng.randrange(101)},new/{i}.jpg\n")
        with open(big) as f:
            new_hashes = [line.split(",")[0] for line in f][-5:]
        probe = os.path.join(tmp, "probe.txt")
        with open(probe, "w") as f:
            f.write("\n".join(old_hashes + new_hashes) + "\n")

        kills(rng, tmp, base, big, probe, "a database with PDQ entries", True)
        fresh = os.path.join(tmp, "fresh")
        run("db", "init", "--db", fresh)
        kills(rng, tmp, fresh, big, probe, "a new database", False)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def kills(rng, tmp, base, big, probe, what, has_old):
    """KILLS imports of big into copies of base, each killed at a random point."""
    before = export(base)
    # The state after an uninterrupted import, and how long one takes.
    done = os.path.join(tmp, "done")
    shutil.rmtree(done, ignore_errors=True)
    shutil.copytree(base, done)
    t0 = time.monotonic()
    run("db", "import", big, "--db", done, "--list", "new")
    full = time.monotonic() - t0
    after = export(done)
    if after == before:
        fail("the import changed nothing")
    print(f"seed {SEED}, {what}: uninterrupted import {full:.2f} s; {KILLS} kills")

    work = os.path.join(tmp, "work")
    outcomes = {"before": 0, "after": 0}
    for k in range(KILLS):
        shutil.rmtree(work, ignore_errors=True)
        shutil.copytree(base, work)
        delay = rng.uniform(0.0, full * 1.1)
        p = subprocess.Popen([PMATCH, "db", "import", big, "--db", work, "--list", "new"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        p.send_signal(signal.SIGKILL)
        p.wait()
        v = run("db", "verify", "--db", work, check=False)
        if v.returncode != 0:
            fail(f"kill {k} at {delay:.3f} s: verify -> {v.returncode}: "
                 f"{v.stdout.strip()} {v.stderr.strip()}")
        state = export(work)
        if state == before:
            outcomes["before"] += 1
        elif state == after:
            outcomes["after"] += 1
        else:
            fail(f"kill {k} at {delay:.3f} s: export is neither the state before "
                 f"nor after the import")
        m = run("match", "--db", work, "--json", probe, check=False)
        verdicts = [json.loads(line)["verdict"] for line in m.stdout.splitlines()]
        want = ["match" if has_old else "no_match"] * 5 + \
            (["match"] * 5 if state == after else ["no_match"] * 5)
        if verdicts != want:
            fail(f"kill {k} at {delay:.3f} s: index and list disagree: {verdicts} "
                 f"(index file {'present' if os.path.exists(os.path.join(work, 'pdq.index')) else 'absent'})")
    print(f"{what}: {KILLS} kills: {outcomes['before']} left the state before, "
          f"{outcomes['after']} the state after; verify passed every time")
    if outcomes["before"] == 0:
        fail("no kill landed during the import: the test proved nothing")


if __name__ == "__main__":
    main()
