"""Small helpers shared by the pmatch integration tests (stdlib only)."""
import os
import subprocess
import sys

PMATCH = os.environ.get("LM_PMATCH", "pmatch")
TESTDATA = os.environ.get("LM_TESTDATA", "")
failures = 0


def run(*args, stdin=None, check_rc=None):
    """Run pmatch with args; returns (rc, stdout, stderr) as text."""
    p = subprocess.run([PMATCH, *args], input=stdin, capture_output=True)
    out = p.stdout.decode("utf-8", "replace")
    err = p.stderr.decode("utf-8", "replace")
    if check_rc is not None and p.returncode != check_rc:
        fail(f"pmatch {' '.join(args)}: exit {p.returncode}, expected {check_rc}\n"
             f"stdout: {out[:2000]}\nstderr: {err[:2000]}")
    return p.returncode, out, err


def fail(msg):
    global failures
    failures += 1
    print("FAIL:", msg, file=sys.stderr)


def check(cond, msg):
    if not cond:
        fail(msg)


def need_testdata():
    """Skip (exit 77) without the test media, except under CI where it must be present."""
    if TESTDATA and os.path.isdir(os.path.join(TESTDATA, "pdq")):
        return os.path.join(TESTDATA, "pdq")
    if os.environ.get("CI") == "true":
        print(f"test data missing at '{TESTDATA}' under CI", file=sys.stderr)
        sys.exit(1)
    print("test data not found: skipping", file=sys.stderr)
    sys.exit(77)


def hamming(a, b):
    return bin(int(a, 16) ^ int(b, 16)).count("1")


def finish(name):
    if failures:
        print(f"{name}: {failures} failure(s)", file=sys.stderr)
        sys.exit(1)
    print(f"{name}: all checks passed")
    sys.exit(0)
