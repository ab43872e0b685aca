"""pmatch scan over a generated tree of 4000 small images (slow suite).

- --jobs 1 and --jobs 2 give byte-identical output (batches are reported in walk order);
- a scan with --checkpoint killed with SIGKILL midway (twice), then resumed, gives exactly
  the bytes of an uninterrupted scan; results written after the last checkpoint (simulated
  by appending junk) are cut off on resume.
Fixed seeds (lm-make-images --seed).
"""
import os
import signal
import subprocess
import sys
import tarfile
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
import clitest as t  # noqa: E402

MAKE_IMAGES = os.environ["LM_MAKE_IMAGES"]
DIRS, PER_DIR = 10, 400


def read(p):
    with open(p, "rb") as f:
        return f.read()


def checkpoint_items(ck):
    try:
        for line in read(ck).decode().splitlines():
            if line.startswith("items "):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


with tempfile.TemporaryDirectory() as tmp:
    tree = os.path.join(tmp, "tree")
    os.makedirs(tree)
    # "d1" and "d1-x": walk order is per directory, not the byte order of whole paths.
    names = [f"d{i}" for i in range(DIRS - 1)] + ["d1-x"]
    for i, n in enumerate(names):
        subprocess.run([MAKE_IMAGES, os.path.join(tree, n), str(PER_DIR), "--size=64x48",
                        f"--seed={i + 11}"], check=True)
    with open(os.path.join(tree, "d3", "notes.txt"), "w") as f:
        f.write("not an image\n")
    os.symlink("d2", os.path.join(tree, "d5", "link"))
    with tarfile.open(os.path.join(tree, "d7", "pack.tar"), "w") as tf:
        tf.add(os.path.join(tree, "d0", "img-0001.jpg"), arcname="m/img-0001.jpg")
    db = os.path.join(tmp, "list.lmdb")
    t.run("db", "init", "--db", db, check_rc=0)
    known = [os.path.join(tree, n, f"img-{k:04d}.jpg") for n in names[:4] for k in (1, 50, 399)]
    _, hashes, _ = t.run("hash", *known, check_rc=0)
    csv = os.path.join(tmp, "known.csv")
    with open(csv, "w") as f:
        f.write(hashes)
    t.run("db", "import", "--db", db, "--format", "pdq-csv", csv, check_rc=0)

    base = ["scan", "--db", db, "--json", "--quiet", tree]
    full1, full2 = os.path.join(tmp, "j1.jsonl"), os.path.join(tmp, "j2.jsonl")
    t0 = time.monotonic()
    rc1, _, err1 = t.run(*base, "--jobs", "1", "--output", full1)
    t1 = time.monotonic()
    rc2, _, err2 = t.run(*base, "--jobs", "2", "--output", full2)
    print(f"jobs 1: {t1 - t0:.1f} s, jobs 2: {time.monotonic() - t1:.1f} s")
    ref = read(full2)
    lines = ref.decode().splitlines()
    t.check(rc1 == rc2 == 1, f"exit status 1 (matches): {rc1} {rc2}")
    t.check(read(full1) == ref, "--jobs 1 and --jobs 2: identical output")
    # + notes.txt, the archive member, the skipped symlink and the archive's own record
    t.check(len(lines) == DIRS * PER_DIR + 4, f"one line per item: {len(lines)}")
    t.check(sum('"verdict":"match"' in x for x in lines) >= len(known) + 1, "known files match")
    t.check(any('pack.tar!m/img-0001.jpg' in x for x in lines), "archive member in the tree")

    # Killed twice midway, resumed each time: exactly the uninterrupted bytes.
    out, ck = os.path.join(tmp, "part.jsonl"), os.path.join(tmp, "scan.ckpt")
    cmd = [t.PMATCH, *base, "--jobs", "2", "--output", out, "--checkpoint", ck]
    midway = 0
    for threshold in (800, 2400):
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while p.poll() is None and checkpoint_items(ck) < threshold:
            time.sleep(0.002)
        if p.poll() is None:
            p.send_signal(signal.SIGKILL)
            midway += 1
        p.wait()
        size, done = os.path.getsize(out), checkpoint_items(ck)
        print(f"killed after {done} items checkpointed, {size} bytes in the output "
              f"({'midway' if p.returncode == -signal.SIGKILL else 'finished first'})")
        t.check(size < len(ref) or p.returncode != -signal.SIGKILL, "killed before the end")
        t.check(ref.startswith(read(out)[:size]), "partial output is a prefix of the full one")
    t.check(midway >= 1, "at least one kill landed midway")
    # Results written after the last checkpoint (a kill between output and checkpoint):
    with open(out, "ab") as f:
        f.write(b'{"path":"written after the checkpoint, must go"}\n')
    rc3, _, err3 = t.run(*cmd[1:])
    t.check(rc3 == 1, f"resumed scan's status covers the whole scan: {rc3} {err3}")
    t.check(read(out) == ref, "killed and resumed: byte-identical to the uninterrupted scan")
    t.check(f"{DIRS * PER_DIR + 3} files" in err3, f"resumed summary counts all: {err3}")

t.finish("cli-scan-large")
