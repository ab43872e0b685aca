"""pmatch scan --mpi under mpirun: with 1 and 3 ranks (--oversubscribe), the records of a
generated tree of a few thousand small images are byte-identical to a single-process scan,
with the same exit code; a rank that cannot open the list stops the job with a message,
never a hang. Skipped (exit 77) only when this build has no MPI or mpirun is missing;
under CI (CI=true, which installs OpenMPI) that is a failure instead."""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import clitest as t  # noqa: E402
import disttree  # noqa: E402

MPIRUN = shutil.which("mpirun")
if os.environ.get("LM_HAVE_MPI") != "1" or not MPIRUN:
    why = "pmatch was built without MPI" if os.environ.get("LM_HAVE_MPI") != "1" else "mpirun not found"
    msg = f"{why} (install libopenmpi-dev openmpi-bin: scripts/install-deps.sh, then rebuild)"
    if os.environ.get("CI") == "true":
        print(f"FAIL: {msg}; CI installs OpenMPI", file=sys.stderr)
        sys.exit(1)
    print(f"skipping the MPI test: {msg}", file=sys.stderr)
    sys.exit(77)

ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           OMPI_MCA_rmaps_base_oversubscribe="1")
# Under ASan, no leak check for processes started by mpirun: OpenMPI's components (dlopened,
# built without frame pointers) keep allocations until exit and LeakSanitizer cannot attribute
# them, so suppressions do not work. Memory errors are still caught; the scan code shared
# with the single-process path is leak-checked by the other CLI tests.
ENV["ASAN_OPTIONS"] = ENV.get("ASAN_OPTIONS", "") + ":detect_leaks=0"


def mpirun(n, *args, timeout=600):
    p = subprocess.run([MPIRUN, "-n", str(n), "--oversubscribe", t.PMATCH, "scan", "--mpi", *args],
                       capture_output=True, env=ENV, timeout=timeout)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def scan_args(db, *rest):
    return ("--db", db, "--quiet", "--max-bytes", disttree.MAX_BYTES, *rest)


with tempfile.TemporaryDirectory() as tmp:
    tree, db, empty_db = disttree.make_tree(tmp)
    code1, single, err1 = t.run("scan", *scan_args(db, "--json", "--jobs", "1", tree), check_rc=1)
    t.check(len(single.splitlines()) > 3000, "a few thousand records")

    for n in (3, 1):
        code, out, err = mpirun(n, *scan_args(db, "--json", tree))
        t.check(code == code1, f"-n {n}: exit {code}, single process {code1}; stderr {err[-2000:]}")
        t.check(out == single, f"-n {n}: records byte-identical to the single-process scan")
        t.check(disttree.summary_numbers(err) == disttree.summary_numbers(err1),
                f"-n {n}: same summary: {err[-500:]!r} vs {err1!r}")
        t.check(f"({n} MPI ranks)" in err, err[-500:])

    # Text output and the other exit codes go through the same path.
    code, text1, _ = t.run("scan", *scan_args(db, tree), check_rc=1)
    code, out, err = mpirun(3, *scan_args(db, tree))
    t.check(code == 1 and out == text1, f"-n 3 text output identical: exit {code}")
    odd = os.path.join(tree, "odd")
    code, out1, _ = t.run("scan", *scan_args(empty_db, "--json", odd), check_rc=2)
    code, out, err = mpirun(3, *scan_args(empty_db, "--json", odd))
    t.check(code == 2 and out == out1, f"no match, one error: exit {code}")
    more = os.path.join(tree, "more")
    code, out1, _ = t.run("scan", *scan_args(empty_db, "--json", more), check_rc=0)
    code, out, err = mpirun(2, *scan_args(empty_db, "--json", more))
    t.check(code == 0 and out == out1, f"nothing matched: exit {code}")

    # A list that cannot be opened: every rank says so, the job ends with 2 (no hang).
    missing = os.path.join(tmp, "no-such.lmdb")
    code, out, err = mpirun(2, *scan_args(missing, "--json", odd), timeout=120)
    t.check(code == 2 and out == "", f"missing list: exit {code}")
    for r in (0, 1):
        t.check(f"pmatch scan --mpi: rank {r} (" in err and f"cannot open hash list {missing}" in err,
                f"rank {r} reports the missing list: {err[-1500:]}")

t.finish("cli-scan-mpi")
