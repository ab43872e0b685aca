"""Small helpers shared by the pmatch integration tests (stdlib only)."""
import os
import shutil
import subprocess
import sys
import tempfile

PMATCH = os.environ.get("LM_PMATCH", "pmatch")
TESTDATA = os.environ.get("LM_TESTDATA", "")
failures = 0


def run(*args, stdin=None, check_rc=None, env=None):
    """Run pmatch with args (the environment without PMATCH_DB, plus env); returns
    (rc, stdout, stderr) as text."""
    e = dict(os.environ)
    e.pop("PMATCH_DB", None)
    e.update(env or {})
    p = subprocess.run([PMATCH, *args], input=stdin, capture_output=True, env=e)
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
    return cond


def need_testdata():
    """Skip (exit 77) without the test media, except under CI where it must be present."""
    if TESTDATA and os.path.isdir(os.path.join(TESTDATA, "pdq")):
        return os.path.join(TESTDATA, "pdq")
    if os.environ.get("CI") == "true":
        print(f"test data missing at '{TESTDATA}' under CI", file=sys.stderr)
        sys.exit(1)
    print("test data not found: skipping", file=sys.stderr)
    sys.exit(77)


def in_tmpdir(prefix, fn):
    """fn(tmp) in a fresh directory, removed afterwards (kept with LM_KEEP set)."""
    tmp = tempfile.mkdtemp(prefix=prefix)
    try:
        fn(tmp)
    finally:
        if os.environ.get("LM_KEEP"):
            print("kept", tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def hamming(a, b):
    return bin(int(a, 16) ^ int(b, 16)).count("1")


def finish(name):
    if failures:
        print(f"{name}: {failures} failure(s)", file=sys.stderr)
        sys.exit(1)
    print(f"{name}: all checks passed")
    sys.exit(0)
