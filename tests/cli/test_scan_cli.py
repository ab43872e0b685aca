"""pmatch db + scan + match end to end, on Meta's benign test images and generated files."""
import hashlib
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import clitest as t  # noqa: E402

pdq = t.need_testdata()
ORIG = os.path.join(pdq, "bridge-mods/aaa-orig.jpg")
ORIG_HASH = "d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22"
MODS = os.path.join(pdq, "bridge-mods")
LABELME = os.path.join(pdq, "reg-test-input/labelme-subset")
DIH = os.path.join(pdq, "reg-test-input/dih")


def scan_json(db, *paths, rc=None, extra=()):
    code, out, err = t.run("scan", "--db", db, "--json", "--quiet", *extra, *paths, check_rc=rc)
    return code, [json.loads(line) for line in out.splitlines()], err


with tempfile.TemporaryDirectory() as tmp:
    db = os.path.join(tmp, "list.lmdb")
    t.run("db", "init", "--db", db, check_rc=0)

    # The list: the bridge original and one unrelated photo, as 'pmatch hash' prints them.
    known = os.path.join(tmp, "known.csv")
    code, out, err = t.run("hash", ORIG, os.path.join(LABELME, "q0122.jpg"), check_rc=0)
    with open(known, "w") as f:
        f.write(out)
    t.run("db", "import", "--db", db, "--list", "known", known, check_rc=0)

    # 1. Every edited bridge matches the original's entry; unrelated photos do not.
    code, rows, err = scan_json(db, MODS, rc=1)
    t.check(len(rows) == 12, f"12 bridge files scanned, got {len(rows)}")
    bridge_entry = None
    for r in rows:
        t.check(r["verdict"] == "match", f"{r['path']}: {r['verdict']}")
        if r["verdict"] != "match":
            continue
        m = r["matches"][0]
        t.check(m["type"] == "pdq" and m["distance"] <= 31 and m["list"] == "known", f"{r}")
        bridge_entry = bridge_entry or m["entry_id"]
        t.check(m["entry_id"] == bridge_entry, "all bridges match the same entry")
        if r["path"].endswith("aaa-orig.jpg"):
            t.check(m["distance"] <= 10, f"fast-mode self-match {r}")
            with open(ORIG, "rb") as f:
                t.check(r["sha256"] == hashlib.sha256(f.read()).hexdigest(), "sha256 in record")
    code, rows, err = scan_json(db, ORIG, rc=1, extra=("--exact",))
    t.check(rows[0]["matches"][0]["distance"] == 0 and rows[0]["pdq"] == ORIG_HASH,
            f"--exact self-match: {rows}")
    code, rows, err = scan_json(db, os.path.join(LABELME, "q0291.jpg"),
                                os.path.join(LABELME, "q0746.jpg"), rc=0)
    t.check([r["verdict"] for r in rows] == ["no_match", "no_match"], f"unrelated: {rows}")

    # 2. Low quality hashes are not matched, and the verdict says why.
    code, rows, err = scan_json(db, os.path.join(LABELME, "q0003.jpg"), rc=0)
    t.check(rows[0]["verdict"] == "low_quality" and rows[0]["quality"] == 3, f"{rows}")
    code, out, err = t.run("scan", "--db", db, "--quiet", os.path.join(LABELME, "q0003.jpg"), check_rc=0)
    t.check("quality 3 below 50" in out, f"text verdict explains low quality: {out}")

    # 3. Rotations match by default (dihedral), not with --no-dihedral; --dihedral is accepted.
    rot = os.path.join(DIH, "bridge-2-rotate-90.jpg")
    code, rows, err = scan_json(db, rot, rc=0, extra=("--no-dihedral",))
    t.check(rows[0]["verdict"] == "no_match", f"rotated with --no-dihedral: {rows}")
    for extra in ((), ("--dihedral",)):
        code, rows, err = scan_json(db, rot, rc=1, extra=extra)
        t.check(rows and rows[0]["verdict"] == "match" and
                rows[0]["matches"][0]["orientation"] == "rotate270" and
                rows[0]["matches"][0]["trimmed"] is False and
                rows[0]["matches"][0]["companion"] == "whole", f"rotated {extra}: {rows}")

    # 4. Exact digests match any file, image or not.
    doc = os.path.join(tmp, "notes.txt")
    with open(doc, "wb") as f:
        f.write(b"a benign text file that is on the list by its SHA-256\n")
    with open(doc, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    t.run("db", "add", "--db", db, "--type", "sha256", "--label", "test-doc", "--list", "exact",
          digest, check_rc=0)
    code, rows, err = scan_json(db, doc, rc=1)
    t.check(rows[0]["verdict"] == "match" and rows[0]["matches"][0]["type"] == "sha256"
            and rows[0]["matches"][0]["label"] == "test-doc", f"digest match: {rows}")
    other = os.path.join(tmp, "other.bin")
    with open(other, "wb") as f:
        f.write(b"\x00" * 100)
    code, rows, err = scan_json(db, other, rc=0)
    t.check(rows[0]["verdict"] == "not_image", f"not an image: {rows}")

    # 5. Parallel scans give the same records in the same order.
    code1, rows1, _ = scan_json(db, MODS, LABELME, rc=1, extra=("--jobs", "1"))
    code2, rows2, _ = scan_json(db, MODS, LABELME, rc=1, extra=("--jobs", "2"))
    t.check(rows1 == rows2, "--jobs 1 and --jobs 2 give identical output")

    # 6. Removal is immediate for later scans.
    t.run("db", "remove", "--db", db, str(bridge_entry), check_rc=0)
    code, rows, err = scan_json(db, ORIG, rc=0)
    t.check(rows[0]["verdict"] == "no_match", f"after removal: {rows}")

    # 7. pmatch match on hash text.
    hashes = os.path.join(tmp, "query.txt")
    code, out, err = t.run("hash", os.path.join(LABELME, "q0122.jpg"), os.path.join(LABELME, "q0291.jpg"),
                           check_rc=0)
    with open(hashes, "w") as f:
        f.write(out)
    code, out, err = t.run("match", "--db", db, hashes, check_rc=1)
    lines = out.splitlines()
    t.check(len(lines) == 2 and lines[0].startswith("MATCH") and lines[1].startswith("no match"),
            f"match output: {out}")
    code, out, err = t.run("match", "--db", db, "--type", "sha256", "-", stdin=(digest + "\n").encode(),
                           check_rc=1)
    t.check(out.startswith("MATCH"), f"digest via match: {out}")
    code, out, err = t.run("match", "--db", db, "-", stdin=b"not-a-hash\n", check_rc=2)
    t.check(":1:" in err, f"bad line reported with its number: {err}")

    # 8. Directory walking: symlinks are not followed by default; loops are survived.
    tree = os.path.join(tmp, "tree")
    os.makedirs(os.path.join(tree, "a", "b"))
    os.symlink(tree, os.path.join(tree, "a", "b", "loop"))
    os.symlink(ORIG, os.path.join(tree, "a", "link.jpg"))
    with open(ORIG, "rb") as src, open(os.path.join(tree, "a", "copy.jpg"), "wb") as dst:
        dst.write(src.read())
    code, rows, err = scan_json(db, tree)
    verdicts = {os.path.relpath(r["path"], tree): r["verdict"] for r in rows}
    t.check(verdicts.get("a/link.jpg") == "skipped" and verdicts.get("a/b/loop") == "skipped"
            and verdicts.get("a/copy.jpg") == "no_match", f"walk: {verdicts}")
    code, rows, err = scan_json(db, tree, extra=("--follow-symlinks",))
    t.check(any(r["path"].endswith("link.jpg") and r["verdict"] == "no_match" for r in rows),
            f"--follow-symlinks scans the link: {rows}")

    # 9. Errors: a missing list and a missing file give status 2.
    t.run("scan", "--db", os.path.join(tmp, "nope.lmdb"), ORIG, check_rc=2)
    code, rows, err = scan_json(db, os.path.join(tmp, "missing.jpg"), rc=2)
    t.check(rows[0]["verdict"] == "error", f"missing file: {rows}")
    t.run("scan", "--db", db, "--distance", "300", ORIG, check_rc=2)

t.finish("test_scan_cli")
