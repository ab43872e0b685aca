"""pmatch db add IMAGE...: images become an entry (standard PDQ hash) plus crop companions;
hashes are still accepted; videos and non-images are refused clearly; export writes the
standard hash only; verify is clean before and after removal."""
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import clitest as t  # noqa: E402

pdq = t.need_testdata()
bridge = os.path.join(pdq, "bridge-mods", "aaa-orig.jpg")
q0291 = os.path.join(pdq, "reg-test-input", "labelme-subset", "q0291.jpg")
video = os.path.join(os.path.dirname(pdq), "video", "chair-19-sd-bar.mp4")
rot = os.path.join(pdq, "reg-test-input", "dih", "bridge-2-rotate-90.jpg")

with tempfile.TemporaryDirectory() as tmp:
    db = os.path.join(tmp, "list.lmdb")
    t.run("db", "init", "--db", db, check_rc=0)

    # Two images and a hash in one call.
    hexhash = "f" * 64
    code, out, err = t.run("db", "add", "--db", db, "--list", "imgs", "--label", "bench",
                           bridge, q0291, hexhash, check_rc=0)
    lines = out.splitlines()
    t.check(len(lines) == 3, f"three additions: {out!r}")
    t.check(lines[0] == f"added entry 1 ({bridge}, 18 companion hashes, 256 keypoints)", f"image line: {lines}")
    # q0291 has a uniform band along an edge: its trimmed content is a 19th companion.
    t.check(lines[1] == f"added entry 2 ({q0291}, 19 companion hashes, 256 keypoints)", f"image line: {lines}")
    t.check(lines[2] == "added entry 3", f"hash line: {lines}")

    # The stored hash is the standard one, and the export holds only it.
    code, out, err = t.run("hash", bridge, check_rc=0)
    bridge_hash = out.split(",")[0]
    code, out, err = t.run("db", "export", "--db", db, "--format", "hex", check_rc=0)
    rows = [r for r in out.splitlines() if r and not r.startswith("#")]
    t.check(len(rows) == 3 and rows[0] == bridge_hash, f"export: {rows}")

    # Adding the same image again: already there, exit 2.
    code, out, err = t.run("db", "add", "--db", db, "--list", "imgs", bridge, check_rc=2)
    t.check("already in the list as entry 1" in err, f"duplicate: {err}")

    # A video is refused with a clear message; so is a file that is not an image.
    if os.path.exists(video):
        code, out, err = t.run("db", "add", "--db", db, video, check_rc=2)
        t.check("not supported here yet" in err and "vPDQ" in err, f"video: {err}")
    notes = os.path.join(tmp, "notes.txt")
    with open(notes, "w") as f:
        f.write("benign text\n")
    code, out, err = t.run("db", "add", "--db", db, notes, check_rc=2)
    t.check("not an image" in err, f"text file: {err}")

    t.run("db", "verify", "--db", db, check_rc=0)
    code, out, err = t.run("db", "show", "--db", db, "1", check_rc=0)
    t.check("\ncompanions 18\n" in out and f"hash {bridge_hash}\n" in out, f"show: {out}")
    code, out, err = t.run("db", "show", "--db", db, "3", check_rc=0)
    t.check("companions" not in out, f"show of a hash entry: {out}")
    code, out, err = t.run("db", "show", "--db", db, "1", check_rc=0)
    t.check("\nfeatures 256 keypoints, 9736 bytes\n" in out, f"show: {out}")

    # --no-features: the hash and its companions only.
    db2 = os.path.join(tmp, "nofeat.lmdb")
    t.run("db", "init", "--db", db2, check_rc=0)
    code, out, err = t.run("db", "add", "--db", db2, "--no-features", bridge, check_rc=0)
    t.check(out.strip() == f"added entry 1 ({bridge}, 18 companion hashes, 0 keypoints)", out)
    code, out, err = t.run("db", "show", "--db", db2, "1", check_rc=0)
    t.check("features" not in out, f"show without features: {out}")

    # Scans: the rotated bridge matches entry 1 (dihedral, by default).
    code, out, err = t.run("scan", "--db", db, "--quiet", rot, check_rc=1)
    t.check("entry 1 (pdq distance" in out and "rotate270" in out, f"rotated scan: {out}")

    # Removal takes the companions along; verify stays clean.
    t.run("db", "remove", "--db", db, "1", check_rc=0)
    t.run("db", "verify", "--db", db, check_rc=0)
    code, out, err = t.run("scan", "--db", db, "--quiet", rot, check_rc=0)

t.finish("test_db_add_image")
