"""A generated tree for the distributed-scan tests (shards, MPI): a few thousand
small benign images in several folders, names that sort in tricky ways, a text
file, an empty file, a symlink, a file over --max-bytes, and a hash list made
from some of the images. Every mode must print exactly what one process prints."""
import os
import shutil
import subprocess

import clitest as t

MAKE_IMAGES = os.environ.get("LM_MAKE_IMAGES", "lm-make-images")
MAX_BYTES = "30000"   # the one big file fails with this limit: an error record


def make_tree(tmp, count=2400):
    tree = os.path.join(tmp, "tree")
    os.makedirs(tree)
    for sub, n, seed in (("photos", count, 1), ("more", count // 4, 2)):
        subprocess.run([MAKE_IMAGES, os.path.join(tree, sub), str(n), f"--seed={seed}",
                        "--max-side=96"], check=True)
    photos = os.path.join(tree, "photos")
    names = sorted(os.listdir(photos))
    odd = os.path.join(tree, "odd")
    os.makedirs(os.path.join(odd, "a"))
    # The walk sorts each directory by bytes (strcmp): "B.jpg" < "a" (a folder) < "a b.jpg" < ... < "ä.jpg".
    for i, name in enumerate(["B.jpg", "a.jpg", "a b.jpg", "a-b.jpg", "a.b.jpg", "\u00e4.jpg",
                              'q"uote.jpg', "back\\slash.jpg", os.path.join("a", "inner.jpg")]):
        shutil.copyfile(os.path.join(photos, names[i]), os.path.join(odd, name))
    with open(os.path.join(odd, "notes.txt"), "w") as f:
        f.write("benign text\n")
    open(os.path.join(odd, "empty"), "w").close()
    os.symlink(os.path.join(photos, names[0]), os.path.join(odd, "link.jpg"))
    with open(os.path.join(odd, "big.bin"), "wb") as f:
        f.write(bytes(range(256)) * 160)
    dups = os.path.join(tree, "dups")
    os.makedirs(dups)
    for name in names[:20]:
        shutil.copyfile(os.path.join(photos, name), os.path.join(dups, "copy-" + name))
    # The list: 40 of the photos, hashed as 'pmatch hash' prints them.
    db = os.path.join(tmp, "list.lmdb")
    t.run("db", "init", "--db", db, check_rc=0)
    code, out, err = t.run("hash", *[os.path.join(photos, n) for n in names[:80:2]], check_rc=0)
    known = os.path.join(tmp, "known.csv")
    with open(known, "w") as f:
        f.write(out)
    t.run("db", "import", "--db", db, "--list", "known", known, check_rc=0)
    empty_db = os.path.join(tmp, "empty.lmdb")
    t.run("db", "init", "--db", empty_db, check_rc=0)
    return tree, db, empty_db


def summary_numbers(stderr):
    """The counts of the summary line ('...: 12 files in 1.0 s: 3 matched, ...' -> '12 files: 3 matched, ...')."""
    line = [ln for ln in stderr.splitlines() if ln.startswith("pmatch ")][-1]
    head, _, counts = line.partition(" files")
    n = head.rsplit(" ", 1)[-1]
    counts = counts.split(": ", 1)[1]
    return n + " files: " + counts.split(" (")[0]
