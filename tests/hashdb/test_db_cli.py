#!/usr/bin/env python3
"""Integration tests of 'pmatch db' (standard library only; fixed seed)."""
import os
import random
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "cli"))
import clitest as t  # noqa: E402

SEED = int(os.environ.get("LM_TEST_SEED", "4242"))


def check(cond, what):
    t.check(cond, f"{what} (seed {SEED})")


def run(*args, stdin=None, env=None):
    """pmatch db ARGS: (rc, stdout, stderr)."""
    return t.run("db", *args, stdin=stdin, env=env)


def hexes(rng, n, nbytes=32):
    return ["".join(f"{rng.randrange(256):02x}" for _ in range(nbytes)) for _ in range(n)]


def write(path, text):
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)


def supplier_formats(tmp):
    """The supplier formats through the CLI: summary line, numbered bad lines, vpdq
    entries exported byte for byte."""
    db = os.path.join(tmp, "sdb")
    D = ["--db", db]
    run("init", *D)
    h1, h2 = "ab" * 32, "cd" * 32
    hma = os.path.join(tmp, "l.hma")
    write(hma, f"hash,indicator_id,timestamp,tags\n{h1},i1,1,t\nnothex,i2,2,\n{h2},i3,3,\n")
    rc, out, err = run("import", hma, *D)
    check(rc == 2 and f"{hma}:3: " in err, f"hma-csv bad line numbered: {err!r}")
    rc, out, err = run("import", hma, "--skip-bad", *D)
    check(rc == 0 and "imported 2 entries" in out and "(hma-csv)" in out, f"hma-csv: {out!r}")
    xml = os.path.join(tmp, "n.xml")
    write(xml, "<queryResult><images><deletedImage><id>i1</id></deletedImage>"
               f"<image><id>n1</id><classification>A1</classification><fingerprints><pdq>{h1}"
               "</pdq></fingerprints></image></images></queryResult>\n")
    rc, out, err = run("import", xml, *D)
    check(rc == 0 and "1 removed" in out and "imported 1 entries" in out and "(ncmec-xml)" in out,
          f"ncmec-xml sync: {out!r} {err!r}")
    rc, out, _ = run("export", "--format", "hma-csv", *D)
    lines = out.splitlines()
    check(len(lines) == 3 and lines[0] == "hash,indicator_id,timestamp,tags"
          and lines[1].startswith(f"{h2},i3,") and lines[2].startswith(f"{h1},n1,")
          and lines[2].endswith(",A1"), f"hma-csv export: {out!r}")
    td = os.environ.get("LM_TESTDATA", "")
    src = os.path.join(td, "vpdq-expected", "pattern-sd-grey-bar.txt")
    if os.path.exists(src):
        rc, out, err = run("import", src, "--list", "videos", "--label", "known", *D)
        check(rc == 0 and "(vpdq)" in out, f"vpdq import: {out!r} {err!r}")
        rc, out, _ = run("stats", *D)
        check("vpdq 1" in out, f"stats counts the video: {out!r}")
        rc, out, _ = run("export", "--format", "vpdq", "--entry", "4", *D)
        with open(src, encoding="utf-8") as f:
            check(rc == 0 and out == f.read(), "vpdq export gives Meta's file back")
        rc, out, _ = run("show", "4", *D)
        check("type vpdq" in out and f"reference {src}" in out, f"show video: {out!r}")
        rc, out, _ = run("verify", *D)
        check(rc == 0 and out.strip() == "ok", f"verify with a video: {out!r}")
        rc, out, _ = run("remove", "4", *D)
        rc, out, _ = run("export", "--format", "vpdq", "--entry", "4", *D)
        check(rc == 2, "a removed video is gone")


def main():
    rng = random.Random(SEED)
    tmp = tempfile.mkdtemp(prefix="lm-dbcli-")
    db = os.path.join(tmp, "db")
    D = ["--db", db]
    try:
        rc, out, _ = run("--help")
        check(rc == 0 and "pmatch db" in out and "PMATCH_DB" in out, "--help")
        rc, _, _ = run("frobnicate", *D)
        check(rc == 2, "unknown sub-command exits 2")
        rc, _, err = run("stats", *D)
        check(rc == 2 and "pmatch db init" in err, "missing database is a clear error")
        check(run("init", *D)[0] == 0, "init")
        check(run("init", *D)[0] == 2, "second init refused")

        # Round trips, byte for byte, for every plain format.
        pdq = hexes(rng, 300)
        samples = {
            "hex": "".join(h + "\n" for h in pdq[:100]),
            "pdq-csv": "".join(f"{h},{rng.randrange(101)},/imgs/{i}, odd \"name\".jpg\n"
                               for i, h in enumerate(pdq[100:200])),
            "csv": "hash,type,quality,label,reference\n"
                   + "".join(f"{h},pdq,{rng.randrange(101)},\"A1, \"\"x\"\"\",REF-{i}\n"
                             for i, h in enumerate(pdq[200:250]))
                   + "".join(f"{h},md5,,B2,\n" for h in hexes(rng, 20, 16))
                   + "".join(f"{h},sha1,,,ref\n" for h in hexes(rng, 20, 20))
                   + "".join(f"{h},sha256,,Ω,\n" for h in hexes(rng, 20, 32)),
            "tsv": "hash\ttype\tquality\tlabel\treference\n"
                   + "".join(f"{h}\tpdq\t90\tlabel \"q\", c\tR{i}\n"
                             for i, h in enumerate(pdq[250:300])),
        }
        for fmt, text in samples.items():
            src = os.path.join(tmp, f"in.{fmt}")
            write(src, text)
            rc, out, err = run("import", src, "--list", fmt, "--source", "test", *D)
            check(rc == 0 and f"({fmt})" in out, f"import {fmt}: {out} {err}")
            dst = os.path.join(tmp, f"out.{fmt}")
            rc, _, err = run("export", "--format", fmt, "--list", fmt, "-o", dst, *D)
            check(rc == 0, f"export {fmt}: {err}")
            with open(dst, encoding="utf-8", newline="") as f:
                check(f.read() == text, f"{fmt} round trip is byte-identical")

        # Bad lines: reported as FILE:LINE, and nothing written without --skip-bad.
        _, before, _ = run("export", *D)
        bad = os.path.join(tmp, "bad.txt")
        good = hexes(rng, 4)
        write(bad, f"{good[0]}\n{good[1]}\nnot-a-hash\n{good[2]}\n{good[3][:-1]}\n")
        rc, out, err = run("import", bad, "--list", "B", *D)
        check(rc == 2, "bad import fails")
        check(f"{bad}:3:" in err and f"{bad}:5:" in err, f"bad lines named: {err}")
        check(f"{bad}:1:" not in err, "good lines not reported")
        _, after, _ = run("export", *D)
        check(after == before, "failed import wrote nothing")
        rc, out, err = run("import", bad, "--list", "B", "--skip-bad", *D)
        check(rc == 0 and "imported 3 entries" in out, f"--skip-bad: {out}")
        # stdin, duplicates
        rc, out, err = run("import", "-", "--list", "B", "-v", *D, stdin=(good[0] + "\n").encode())
        check(rc == 0 and "1 duplicates" in out and "<stdin>:1: duplicate" in err,
              f"duplicate from stdin: {out} {err}")

        # add / remove / show, removal immediate
        rc, out, _ = run("add", good[0], "--list", "B", *D)
        check(rc == 2, "adding a duplicate fails")
        rc, out, err = run("add", "d41d8cd98f00b204e9800998ecf8427e", "--label", "cat-A",
                           "--reference", "case 9", *D)
        check(rc == 0 and out.startswith("added entry "), f"add md5: {out} {err}")
        new_id = out.split()[-1]
        rc, out, _ = run("show", new_id, *D)
        check(rc == 0 and "label cat-A" in out and "type md5" in out, "show")
        rc, _, _ = run("add", "ab" * 16, "--label", "bad\x1b[31m", *D)
        check(rc == 2, "control characters in a label are refused")
        check(run("remove", new_id, *D)[0] == 0, "remove by id")
        check(run("show", new_id, *D)[0] == 2, "removed entry is gone")
        check(run("remove", new_id, *D)[0] == 2, "second remove fails")
        check(run("remove", "--hash", good[1], *D)[0] == 0, "remove by hash")
        _, out, _ = run("export", "--format", "hex", "--list", "B", *D)
        check(good[1] not in out and good[0] in out, "removal is immediate")

        rc, out, _ = run("stats", *D)
        check(rc == 0 and "csv:" in out and "md5 20" in out, f"stats: {out}")
        rc, out, _ = run("verify", *D)
        check(rc == 0 and out.strip() == "ok", f"verify ok: {out}")

        # Default path through the environment.
        rc, out, _ = run("init", env={"PMATCH_DB": os.path.join(tmp, "envdb")})
        check(rc == 0 and os.path.exists(os.path.join(tmp, "envdb", "data.mdb")), "PMATCH_DB")
        xdg = os.path.join(tmp, "xdg")
        rc, out, _ = run("init", env={"XDG_DATA_HOME": xdg})
        check(rc == 0 and os.path.exists(os.path.join(xdg, "pmatch", "hashes.lmdb", "data.mdb")),
              "XDG_DATA_HOME default")

        # Damaged copies: verify reports (exit 2) and never crashes.
        data = os.path.join(db, "data.mdb")
        size = os.path.getsize(data)
        reported = 0
        for trial in range(25):
            cdb = os.path.join(tmp, f"corrupt{trial}")
            os.mkdir(cdb)
            shutil.copy(data, os.path.join(cdb, "data.mdb"))
            with open(os.path.join(cdb, "data.mdb"), "r+b") as f:
                for _ in range(1 + trial % 6):
                    off = rng.randrange(size if trial % 2 else min(size, 20000))
                    f.seek(off)
                    b = f.read(1)
                    f.seek(off)
                    f.write(bytes([b[0] ^ (1 + rng.randrange(255))]))
            for cmd in (["verify"], ["stats"], ["export"], ["import", bad, "--skip-bad"]):
                rc, out, err = run(*cmd, "--db", cdb)
                check(rc in (0, 2), f"{cmd[0]} on damaged copy {trial} exits normally ({rc})")
            rc, out, _ = run("verify", "--db", cdb)
            reported += rc == 2
        check(reported > 5, f"verify found damage in {reported}/25 copies")
        supplier_formats(tmp)
    finally:
        if t.failures == 0:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"kept {tmp}", file=sys.stderr)
    t.finish("test_db_cli")


if __name__ == "__main__":
    main()
