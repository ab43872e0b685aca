"""pmatch hash: output identical to Meta's reference tool, exit codes, JSON, dihedral, stdin."""
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import clitest as t  # noqa: E402

pdq = t.need_testdata()


def run_hash(*args, **kw):
    return t.run("hash", *args, **kw)


# 1. Every JPEG/PNG the reference hashed gives exactly its hash and quality.
rows = []
with open(os.path.join(pdq, "reference-hashes.tsv")) as f:
    next(f)
    for line in f:
        path, ref_hash, ref_quality = line.rstrip("\n").split("\t")
        if path.endswith((".jpg", ".png")):
            rows.append((path, ref_hash, int(ref_quality)))
t.check(len(rows) == 39, f"expected 39 JPEG/PNG reference rows, found {len(rows)}")
rc, out, err = run_hash(*[os.path.join(pdq, p) for p, _, _ in rows], check_rc=0)
lines = out.splitlines()
t.check(len(lines) == len(rows), f"{len(lines)} output lines for {len(rows)} inputs")
identical = 0
for (path, ref_hash, ref_quality), line in zip(rows, lines):
    got_hash, got_quality, got_path = line.split(",", 2)
    t.check(got_path == os.path.join(pdq, path), f"path column {got_path}")
    if got_hash == ref_hash and int(got_quality) == ref_quality:
        identical += 1
    else:
        t.fail(f"{path}: {got_hash},{got_quality} differs from reference {ref_hash},{ref_quality} "
               f"(distance {t.hamming(got_hash, ref_hash)})")
print(f"reference compatibility through the CLI: {identical}/{len(rows)} identical")

# 2. JSON output carries the same values plus size and format.
orig = os.path.join(pdq, "bridge-mods/aaa-orig.jpg")
rc, out, err = run_hash("--json", orig, check_rc=0)
obj = json.loads(out)
t.check(obj["hash"] == "d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22", "json hash")
t.check(obj["quality"] == 100 and obj["format"] == "jpeg" and obj["path"] == orig, f"json fields {obj}")

# 3. Dihedral hashes of the original are near the hashes of the rotated/flipped files.
dih = os.path.join(pdq, "reg-test-input/dih")
names = ["bridge-1-original", "bridge-2-rotate-90", "bridge-3-rotate-180", "bridge-4-rotate-270",
         "bridge-5-flipx", "bridge-6-flipy", "bridge-7-flip-plus-1", "bridge-8-flip-minus-1"]
rc, out, err = run_hash("--dihedral", os.path.join(dih, names[0] + ".jpg"), check_rc=0)
fields = out.strip().split(",")
t.check(len(fields) == 10, f"--dihedral prints 8 hashes, quality, path: {out}")
rc, out, err = run_hash(*[os.path.join(dih, n + ".jpg") for n in names], check_rc=0)
actual = [line.split(",")[0] for line in out.splitlines()]
distances = [t.hamming(a, b) for a, b in zip(fields[:8], actual)]
print("dihedral hash vs hash of the transformed file:", distances)
t.check(all(d <= 31 for d in distances), f"dihedral distances {distances} exceed 31")

# 4. Standard input, failures and usage errors.
with open(orig, "rb") as f:
    rc, out, err = run_hash("-", stdin=f.read(), check_rc=0)
t.check(out.startswith("d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22,100,-"), out)
with tempfile.TemporaryDirectory() as d:
    junk = os.path.join(d, "junk.jpg")
    with open(junk, "wb") as f:
        f.write(b"\xff\xd8\xff\xe0 this is not really a jpeg")
    rc, out, err = run_hash(orig, junk, os.path.join(d, "missing.png"), check_rc=1)
    t.check(out.count("\n") == 1, f"only the good input is printed: {out}")
    t.check("junk.jpg" in err and "missing.png" in err, f"each failure reported: {err}")
    big = os.path.join(d, "big.jpg")
    with open(orig, "rb") as src, open(big, "wb") as dst:
        dst.write(src.read())
    rc, out, err = run_hash("--max-bytes", "1000", big, check_rc=1)
    t.check("byte limit" in err, f"byte limit reason: {err}")
run_hash(check_rc=2)
run_hash("--no-such-option", orig, check_rc=2)
run_hash("--max-bytes", "12x", orig, check_rc=2)
rc, out, err = run_hash("--help", check_rc=0)

# 5. Issue 19 item 1: a JPEG without its EOI (last 2 bytes) or a PNG without IEND is hashed
#    as the complete file, flagged truncated; one cut in the rows is refused.
with tempfile.TemporaryDirectory() as d:
    png_src = os.path.join(pdq, "reg-test-input/pen-and-coaster.png")
    for src, cut, name in ((orig, 2, "no-eoi.jpg"), (png_src, 12, "no-iend.png")):
        with open(src, "rb") as f:
            data = f.read()
        rc, out, err = run_hash("--json", src, check_rc=0)
        full = json.loads(out)
        t.check("truncated" not in full, f"{src}: complete file not flagged: {full}")
        cut_path = os.path.join(d, name)
        with open(cut_path, "wb") as f:
            f.write(data[:-cut])
        rc, out, err = run_hash("--json", cut_path, check_rc=0)
        obj = json.loads(out)
        t.check(obj["hash"] == full["hash"] and obj.get("truncated") is True,
                f"{name}: hashed as the complete file and flagged: {obj}")
        rc, out, err = run_hash(cut_path, check_rc=0)
        t.check(out.startswith(full["hash"] + ",") and "truncated" in err, f"{name}: text {out} {err}")
        half = os.path.join(d, "half-" + name)
        with open(half, "wb") as f:
            f.write(data[: len(data) // 2])
        rc, out, err = run_hash("--json", half, check_rc=1)
        t.check('"status":5' in out, f"{name} cut in half: corrupt, refused: {out}")

# 6. Issue 19 item 7: a small gzip of a long stream is not opened by FFmpeg's game-music
#    demuxer (only allowed demuxers are), and /dev/zero is read up to the limit + 1 byte.
import zlib  # noqa: E402
with tempfile.TemporaryDirectory() as d:
    bomb = os.path.join(d, "bomb.gz")
    co = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip container
    zeros = bytes(1 << 20)
    with open(bomb, "wb") as f:
        for _ in range(256):  # 256 MiB of zeros in ~250 KB
            f.write(co.compress(zeros))
        f.write(co.flush())
    rc, out, err = run_hash("--json", bomb, check_rc=1)
    t.check('"status":4' in out, f"gzip bomb: not an image: {out} {err}")
    # (Peak memory is reported with /usr/bin/time -v in libmatch/decode/README.md, not asserted.)
    rc, out, err = run_hash("--max-bytes", "1000000", "/dev/zero", check_rc=1)
    t.check("byte limit" in err or "not a regular file" in err, f"/dev/zero: {err}")

t.finish("test_hash_cli")
