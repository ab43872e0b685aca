"""pmatch scan for batch jobs: archives member by member, the hash cache, --output/--checkpoint.

Archives: tar, tar.gz, tar.xz, zip with matching members (ARCHIVE!MEMBER paths, same verdicts
as the loose files), sniffed not named; a gzip'ed single file is checked as a file; bounds with
their codes (archive_too_many_members, archive_too_large, archive_member_too_large); damaged
archives give error items (archive_damaged) after the members before the damage.
Hash cache: identical output, nothing decoded again (stderr counters), an edited file with the
same size and mtime is decoded again, a damaged cache is rebuilt with a warning; truncated
JPEG/PNG records say "truncated" cold and warm; a cache of another record format is emptied
with a note and rebuilt.
"""
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile

sys.path.insert(0, os.path.dirname(__file__))
import clitest as t  # noqa: E402

MAKE_IMAGES = os.environ["LM_MAKE_IMAGES"]


def scan(db, *args, rc=None, archive_records=False):
    """Records of a scan; without archive_records, the archives' own records (issue 19: every
    archive gets one after its members, checked in test_hostile.py) are left out."""
    code, out, err = t.run("scan", "--db", db, "--json", "--quiet", "--jobs", "2", *args,
                           check_rc=rc)
    rows = [json.loads(line) for line in out.splitlines()]
    return [r for r in rows if archive_records or "archive" not in r], err


def counters(err):
    m = re.search(r"this run: (\d+) decoded, (\d+) from the hash cache; (\d+) archives, "
                  r"(\d+) members", err)
    return tuple(int(x) for x in m.groups()) if m else None


def strip_path(row):
    return {k: v for k, v in row.items() if k != "path"}


with tempfile.TemporaryDirectory() as tmp:
    known = os.path.join(tmp, "known")
    subprocess.run([MAKE_IMAGES, known, "6", "--variants"], check=True)
    variants = known + "-variants"
    db = os.path.join(tmp, "list.lmdb")
    t.run("db", "init", "--db", db, check_rc=0)
    _, hashes, _ = t.run("hash", *sorted(os.path.join(known, n) for n in os.listdir(known)),
                         check_rc=0)
    csv = os.path.join(tmp, "known.csv")
    with open(csv, "w") as f:
        f.write(hashes)
    t.run("db", "import", "--db", db, "--format", "pdq-csv", csv, check_rc=0)

    loose, _ = scan(db, variants, rc=1)
    names = sorted(os.listdir(variants))
    expect = {os.path.basename(r["path"]): strip_path(r) for r in loose}
    t.check(sum(r["verdict"] == "match" for r in loose) == 6, "6 variants match loose")

    # --- archives: tar, tar.gz, tar.xz, zip; renamed so that only the magic can tell ---
    arch = os.path.join(tmp, "arch")
    os.makedirs(arch)
    for mode, name in (("w", "a.tar"), ("w:gz", "b.tgz"), ("w:xz", "c.txz")):
        with tarfile.open(os.path.join(arch, name), mode) as tf:
            tf.add(variants, arcname="v")
    with zipfile.ZipFile(os.path.join(arch, "d.zip"), "w", zipfile.ZIP_DEFLATED) as z:
        for n in names:
            z.write(os.path.join(variants, n), "v/" + n)
    os.rename(os.path.join(arch, "b.tgz"), os.path.join(arch, "b.data"))
    rows, err = scan(db, arch, rc=1)
    t.check(counters(err) is not None and counters(err)[2:] == (4, 4 * len(names)),
            f"4 archives, {4 * len(names)} members: {err}")
    for an in ("a.tar", "b.data", "c.txz", "d.zip"):
        got = {r["path"].split("!v/")[1]: strip_path(r) for r in rows
               if r["path"].startswith(os.path.join(arch, an) + "!v/")}
        t.check(got == expect, f"{an}: members give the loose files' verdicts")
    t.check(not any(r["verdict"] == "error" for r in rows), "no errors in good archives")
    # --no-archives: the archives are plain files again
    rows, _ = scan(db, "--no-archives", arch, rc=0)
    t.check(len(rows) == 4 and all(r["verdict"] == "not_image" for r in rows),
            "--no-archives checks the archive files themselves")

    # A gzip'ed single file (not an archive): checked as a file (digests), not an error.
    import gzip
    gz = os.path.join(tmp, "single.gz")
    with open(os.path.join(variants, names[0]), "rb") as f, gzip.open(gz, "wb") as g:
        g.write(f.read())
    rows, _ = scan(db, gz, rc=0)
    t.check(len(rows) == 1 and rows[0]["verdict"] == "not_image" and rows[0]["path"] == gz,
            f"gzip'ed single file checked as a file: {rows}")

    # --- bounds ---
    many = os.path.join(tmp, "many.tar")
    with tarfile.open(many, "w") as tf:
        for i in range(30):
            ti = tarfile.TarInfo(f"f{i:02d}.txt")
            ti.size = 4
            tf.addfile(ti, io.BytesIO(b"abcd"))
    rows, _ = scan(db, "--archive-max-members", "10", many, rc=2)
    t.check(len(rows) == 11 and rows[-1]["code"] == "archive_too_many_members" and
            rows[-1]["path"] == many and all(r["verdict"] == "not_image" for r in rows[:10]),
            f"member count bound: {rows[-3:]}")
    # A zip bomb: three 8 MiB members of zeros (a few KB compressed), total bound 12 MiB.
    bomb = os.path.join(tmp, "bomb.zip")
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        for i in range(3):
            z.writestr(f"z{i}.bin", b"\0" * (8 << 20))
    t.check(os.path.getsize(bomb) < 100000, "bomb is small")
    rows, _ = scan(db, "--archive-max-total", str(12 << 20), bomb, rc=2)
    t.check([r["verdict"] for r in rows] == ["not_image", "error"] and
            rows[1]["code"] == "archive_too_large" and rows[1]["path"] == bomb,
            f"total uncompressed bound: {rows}")
    # A member larger than --max-bytes (declared in the header): that member only.
    rows, _ = scan(db, "--max-bytes", str(4 << 20), bomb, rc=2)
    t.check(len(rows) == 3 and all(r["code"] == "archive_member_too_large" for r in rows) and
            rows[0]["path"] == bomb + "!z0.bin", f"member size bound: {rows}")
    # A huge declared size in a tar header (no data behind it): refused by the header.
    huge = os.path.join(tmp, "huge.tar")
    with tarfile.open(huge, "w", format=tarfile.GNU_FORMAT) as tf:
        ti = tarfile.TarInfo("huge.bin")
        ti.size = 1 << 40
        tf.addfile(ti)  # header only: the archive is then truncated
    rows, _ = scan(db, huge, rc=2)
    t.check(rows and rows[0]["code"] == "archive_member_too_large", f"declared 1 TiB: {rows}")

    # --- damage: truncated tar.gz and zip, garbage after a tar magic ---
    with open(os.path.join(arch, "a.tar"), "rb") as f:
        tar_bytes = f.read()
    cut = os.path.join(tmp, "cut.tar")
    with open(cut, "wb") as f:
        f.write(tar_bytes[: len(tar_bytes) // 2 + 100])
    rows, _ = scan(db, cut, rc=1)
    t.check(rows and rows[-1]["verdict"] == "error" and rows[-1]["code"] == "archive_damaged" and
            any(r["verdict"] == "match" for r in rows[:-1]),
            f"truncated tar: members before the cut, then archive_damaged: {rows[-1:]}")
    for src, name in ((os.path.join(arch, "b.data"), "cut.tgz"), (os.path.join(arch, "d.zip"), "cut.zip")):
        with open(src, "rb") as f:
            data = f.read()
        p = os.path.join(tmp, name)
        with open(p, "wb") as f:
            f.write(data[: len(data) // 2])
        rows, _ = scan(db, p)
        t.check(rows and rows[-1]["verdict"] == "error" and rows[-1]["code"] == "archive_damaged",
                f"{name}: archive_damaged: {rows[-1:]}")
    junk = os.path.join(tmp, "junk.tar")
    with open(junk, "wb") as f:
        f.write(b"\xff" * 257 + b"ustar" + b"\xee" * 2000)
    rows, _ = scan(db, junk, rc=2)
    t.check(len(rows) == 1 and rows[0]["code"] == "archive_damaged", f"garbage tar: {rows}")

    # --- hash cache ---
    tree = os.path.join(tmp, "tree")
    shutil.copytree(known, os.path.join(tree, "k"))
    shutil.copytree(variants, os.path.join(tree, "v"))
    with open(os.path.join(tree, "notes.txt"), "w") as f:
        f.write("not an image\n")
    cache = os.path.join(tmp, "cache")
    nfiles = len(os.listdir(known)) + len(names) + 1
    plain, err0 = scan(db, tree, rc=1)
    first, err1 = scan(db, "--hash-cache", cache, tree, rc=1)
    second, err2 = scan(db, "--hash-cache", cache, tree, rc=1)
    t.check(plain == first == second, "hash cache: identical output")
    t.check(counters(err1)[:2] == (nfiles, 0), f"first run decodes all: {err1}")
    t.check(counters(err2)[:2] == (0, nfiles), f"second run decodes nothing: {err2}")
    # Records made with the defaults (dihedral, border trimming) also serve scans without them;
    # records made without them do not serve the defaults: decoded again, then cached.
    for opts in (["--no-dihedral"], ["--no-trim"], ["--no-dihedral", "--no-trim"]):
        out, err3 = scan(db, "--hash-cache", cache, *opts, tree, rc=1)
        t.check(counters(err3)[:2] == (0, nfiles), f"{opts} served from the cache: {err3}")
        fresh, _ = scan(db, *opts, tree, rc=1)
        t.check(out == fresh, f"{opts}: cached verdicts equal uncached ones")
    narrow = os.path.join(tmp, "narrow-cache")
    scan(db, "--hash-cache", narrow, "--no-dihedral", "--no-trim", tree, rc=1)
    full, err3 = scan(db, "--hash-cache", narrow, tree, rc=1)
    t.check(counters(err3)[:2] == (nfiles, 0), f"defaults decode again: {err3}")
    full2, err3 = scan(db, "--hash-cache", narrow, tree, rc=1)
    t.check(full2 == full == plain and counters(err3)[:2] == (0, nfiles),
            f"defaults cached: {err3}")
    ex, err3 = scan(db, "--hash-cache", cache, "--exact", tree, rc=1)
    t.check(counters(err3)[:2] == (nfiles, 0), f"--exact decodes again: {err3}")
    ex2, err3 = scan(db, "--hash-cache", cache, "--exact", tree, rc=1)
    t.check(ex2 == ex and counters(err3)[:2] == (0, nfiles), f"--exact cached: {err3}")
    # After a list update only matching runs: a new entry matches from the cache.
    extra = os.path.join(tmp, "extra.csv")
    row = next(r for r in plain if r["path"].endswith("unrelated-0000.jpg"))
    with open(extra, "w") as f:
        f.write(f"{row['pdq']},{row['quality']},unrelated-0000\n")
    t.run("db", "import", "--db", db, "--format", "pdq-csv", "--list", "update", extra, check_rc=0)
    again, err4 = scan(db, "--hash-cache", cache, tree, rc=1)
    fresh, _ = scan(db, tree, rc=1)
    t.check(again == fresh, "after a list update: cached hashes give the fresh verdicts")
    t.check(counters(err4)[:2] == (0, nfiles), f"list update: nothing decoded: {err4}")
    t.check(next(r for r in again if r["path"] == row["path"])["verdict"] == "match",
            "new entry matched from cached hashes")
    # Same size and mtime, other bytes: decoded again.
    victim = os.path.join(tree, "k", sorted(os.listdir(known))[0])
    st = os.stat(victim)
    with open(victim, "r+b") as f:
        data = bytearray(f.read())
        data[len(data) // 2] ^= 0x55
        f.seek(0)
        f.write(data)
    os.utime(victim, ns=(st.st_atime_ns, st.st_mtime_ns))
    edited, err5 = scan(db, "--hash-cache", cache, tree)
    fresh, _ = scan(db, tree)
    t.check(edited == fresh, "edited file: fresh verdict")
    t.check(counters(err5)[:2] == (1, nfiles - 1), f"edited file decoded again: {err5}")
    # A damaged cache: a warning, rebuilt, same results.
    with open(os.path.join(cache, "data.mdb"), "r+b") as f:
        f.seek(0)
        f.write(b"\xa5" * 8192)
    damaged, err6 = scan(db, "--hash-cache", cache, tree)
    t.check(damaged == fresh, "damaged cache: same results")
    t.check("damaged" in err6 and counters(err6)[:2] == (nfiles, 0),
            f"damaged cache: warning and rebuild: {err6}")
    _, err7 = scan(db, "--hash-cache", cache, tree)
    t.check(counters(err7)[:2] == (0, nfiles), f"rebuilt cache used: {err7}")

    # Issue 19: a truncated JPEG (no EOI) and PNG (no IEND) say "truncated" in the scan record,
    # cold and warm alike (the flag goes through the hash cache), in JSON and in text.
    cuts = os.path.join(tmp, "cuts")
    os.makedirs(cuts)
    srcs = sorted(os.listdir(known))
    for ext, cut in ((".jpg", 2), (".png", 12)):
        src = next(n for n in srcs if n.endswith(ext))
        with open(os.path.join(known, src), "rb") as f:
            data = f.read()
        with open(os.path.join(cuts, "cut" + ext), "wb") as f:
            f.write(data[:-cut])
    tcache = os.path.join(tmp, "trunc-cache")
    plain_t, _ = scan(db, cuts, rc=1)
    cold, errc = scan(db, "--hash-cache", tcache, cuts, rc=1)
    warm, errw = scan(db, "--hash-cache", tcache, cuts, rc=1)
    t.check(len(cold) == 2 and all(r.get("truncated") is True and r["verdict"] == "match"
                                   for r in cold), f"truncated files flagged and matched: {cold}")
    t.check(plain_t == cold == warm, f"truncated: warm record equals cold: {cold} {warm}")
    t.check(counters(errc)[:2] == (2, 0) and counters(errw)[:2] == (0, 2),
            f"truncated: warm run served by the cache: {errc} {errw}")
    code, text, _ = t.run("scan", "--db", db, "--quiet", "--hash-cache", tcache, cuts)
    t.check(text.count("[truncated file]") == 2, f"truncated: text records (warm): {text}")
    # A cache written in another record format (format 3 had no truncated flag): never read,
    # emptied with a note (not called damaged), rebuilt; the next run uses it again.
    with open(os.path.join(tcache, "data.mdb"), "r+b") as f:
        mdb = f.read()
        here = b"PMHC" + (4).to_bytes(4, "little")
        t.check(mdb.count(here) == 2, "format 4 records found in the cache file")
        f.seek(0)
        f.write(mdb.replace(here, b"PMHC" + (3).to_bytes(4, "little")))
    old, erro = scan(db, "--hash-cache", tcache, cuts, rc=1)
    t.check(old == cold and counters(erro)[:2] == (2, 0) and "another format" in erro and
            "damaged" not in erro, f"old-format cache rebuilt cleanly: {erro}")
    again_t, erra = scan(db, "--hash-cache", tcache, cuts, rc=1)
    t.check(again_t == cold and counters(erra)[:2] == (0, 2) and "format" not in erra,
            f"rebuilt cache used: {erra}")

    # --- --output and --checkpoint basics (the kill test is in test_scan_large.py) ---
    out = os.path.join(tmp, "out.jsonl")
    ck = os.path.join(tmp, "ck")
    code, stdout, err = t.run("scan", "--db", db, "--checkpoint", ck, tree)
    t.check(code == 2 and "--output" in err, "--checkpoint needs --output")
    code, stdout, _ = t.run("scan", "--db", db, "--json", "--quiet", "--output", out,
                            "--checkpoint", ck, tree)
    with open(out) as f:
        t.check(stdout == "" and [json.loads(x) for x in f] == fresh, "--output holds the results")
    code2, _, _ = t.run("scan", "--db", db, "--json", "--quiet", "--output", out,
                        "--checkpoint", ck, tree)
    with open(out) as f:
        t.check(code2 == code and [json.loads(x) for x in f] == fresh,
                "re-running a finished checkpointed scan adds nothing, same status")
    code, _, err = t.run("scan", "--db", db, "--quiet", "--output", out, "--checkpoint", ck, tree)
    t.check(code == 2 and "other options" in err, f"fingerprint mismatch refused: {err}")
    with open(ck, "w") as f:
        f.write("garbage\n")
    code, _, err = t.run("scan", "--db", db, "--json", "--quiet", "--output", out,
                         "--checkpoint", ck, tree)
    t.check(code == 2 and "damaged" in err, f"damaged checkpoint refused: {err}")

    # --- not with --shard / --mpi yet: refused up front with a clear message ---
    for extra in (["--checkpoint", ck, "--output", out], ["--hash-cache", os.path.join(tmp, "hc")]):
        for mode in (["--shard", "1/2"], ["--mpi"]):
            code, stdout, err = t.run("scan", "--db", db, "--quiet", *mode, *extra, tree)
            t.check(code == 2 and stdout == "" and "not supported with --shard or --mpi" in err,
                    f"{extra[0]} with {mode[0]} refused: {err}")

t.finish("cli-scan-batch")
