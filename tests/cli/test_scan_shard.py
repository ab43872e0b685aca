"""pmatch scan --shard K/N and pmatch merge: three shards of a generated tree of a few
thousand small images, merged, give byte for byte the single-process output and the same
exit code; merge refuses missing, repeated, unfinished and foreign shards with exact errors."""
import os
import random
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import clitest as t  # noqa: E402
import disttree  # noqa: E402


def scan(db, *args, rc=None):
    return t.run("scan", "--db", db, "--quiet", "--max-bytes", disttree.MAX_BYTES, *args, check_rc=rc)


def shards(tmp, db, paths, n, extra=(), tag="s"):
    files = []
    for k in range(1, n + 1):
        code, out, err = scan(db, "--json", "--shard", f"{k}/{n}", *extra, *paths)
        path = os.path.join(tmp, f"{tag}{k}.jsonl")
        with open(path, "w") as f:
            f.write(out)
        files.append((path, code, out, err))
    return files


def merge(*files, rc=None):
    return t.run("merge", *files, check_rc=rc)


with tempfile.TemporaryDirectory() as tmp:
    tree, db, empty_db = disttree.make_tree(tmp)

    # 1. Single process (2 jobs), the reference.
    code1, single, err1 = scan(db, "--json", "--jobs", "2", tree, rc=1)
    lines = single.splitlines()
    t.check(len(lines) > 3000, f"a few thousand records: {len(lines)}")
    verdicts = {v: sum(f'"verdict":"{v}"' in ln for ln in lines)
                for v in ("match", "no_match", "not_image", "error", "skipped")}
    t.check(verdicts["match"] >= 40 and verdicts["not_image"] == 2 and verdicts["error"] == 1
            and verdicts["skipped"] == 1, f"the tree has every kind of record: {verdicts}")

    # 2. Three shards: each keeps its part in walk order and ends with its summary.
    parts = shards(tmp, db, [tree], 3)
    total = 0
    for k, (path, code, out, err) in enumerate(parts, 1):
        last = out.splitlines()[-1]
        t.check(last.startswith('{"shard_summary":{"shard":"%d/3","walk_items":%d,' % (k, len(lines))),
                f"shard {k} ends with its summary: {last}")
        total += len(out.splitlines()) - 1
        t.check(f"(shard {k}/3)" in err, f"stderr names the shard: {err}")
        t.check(len(out.splitlines()) - 1 > len(lines) / 6, f"shard {k} has its share")
    t.check(total == len(lines), f"the shards together hold every record once: {total} vs {len(lines)}")

    # 3. Merged in any order: byte-identical to the single-process output, same exit code and counts.
    files = [p[0] for p in parts]
    shuffled = files[:]
    random.Random(3).shuffle(shuffled)
    code, merged, err = merge(*shuffled, rc=code1)
    t.check(merged == single, "merged shards == single-process output, byte for byte")
    t.check(disttree.summary_numbers(err) == disttree.summary_numbers(err1),
            f"merge recomputes the summary: {err!r} vs {err1!r}")
    t.check("(3 shards merged)" in err, err)

    # 4. One shard (1/1) is the whole scan. Shards open the list read-only: no hit counts
    # written (a single-process scan writes them), no warning about it.
    _, hits_before, _ = t.run("db", "hits", "--db", db, check_rc=0)
    code, out, err = scan(db, "--json", "--shard", "1/1", tree, rc=1)
    _, hits_after, _ = t.run("db", "hits", "--db", db, check_rc=0)
    t.check(hits_after == hits_before, "a shard leaves the list untouched (hit counters)")
    t.check("warning" not in err, f"no warning from a shard: {err}")
    one = os.path.join(tmp, "one.jsonl")
    with open(one, "w") as f:
        f.write(out)
    code, merged, err = merge(one, rc=1)
    t.check(merged == single, "--shard 1/1 merged == single")

    # 5. Refusals: exact message, exit 2, nothing on stdout.
    def refused(args, expect):
        code, out, err = merge(*args, rc=2)
        t.check(err == expect + "\n", f"merge {args}: stderr {err!r}, expected {expect!r}")
        t.check(out == "", f"merge {args} printed nothing: {out[:200]!r}")

    s1, s2, s3 = files
    refused([s1, s2], "pmatch merge: shard 3/3 is missing")
    dup = os.path.join(tmp, "copy-of-s2.jsonl")
    shutil.copyfile(s2, dup)
    refused([s1, s2, dup, s3], f"pmatch merge: shard 2/3 given twice: {s2} and {dup}")
    cut = os.path.join(tmp, "cut.jsonl")
    with open(s2) as src, open(cut, "w") as dst:
        dst.writelines(src.readlines()[:-1])
    refused([s1, cut, s3], f"pmatch merge: {cut}: no shard summary at the end (the shard did not finish)")
    with open(s2, "rb") as src, open(cut, "wb") as dst:
        dst.write(src.read()[:-1])
    refused([s1, cut, s3], f"pmatch merge: {cut}:{len(open(s2).read().splitlines())}: last line has no "
                           "newline (the shard did not finish)")
    other = shards(tmp, db, [tree], 3, extra=("--distance", "20"), tag="d")
    refused([s1, other[1][0], s3],
            f"pmatch merge: {s1} and {other[1][0]} come from different scans (other paths, options or tree)")
    four = shards(tmp, db, [os.path.join(tree, "odd")], 4, tag="f")
    refused([s1, four[1][0], s3], f"pmatch merge: {s1} is shard 1/3 but {four[1][0]} is shard 2/4")
    bad = os.path.join(tmp, "bad.jsonl")
    with open(bad, "w") as f:
        f.write('{"path":"x","verdict":"match"}\n')
    refused([bad], f"pmatch merge: {bad}:1: not a shard record (pmatch scan --shard K/N --json output)")
    with open(s1) as src, open(bad, "w") as dst:
        rows = src.readlines()
        dst.writelines([rows[1], rows[0]] + rows[2:])
    refused([bad, s2, s3], f"pmatch merge: {bad}:2: records out of walk order")
    refused([os.path.join(tmp, "nope.jsonl")], f"pmatch merge: {os.path.join(tmp, 'nope.jsonl')}: "
                                                "No such file or directory")

    # 6. Exit codes agree when nothing matched: 2 with an error item, 0 without.
    odd = os.path.join(tree, "odd")
    code_single, out_single, _ = scan(empty_db, "--json", odd, rc=2)
    parts = shards(tmp, empty_db, [odd], 3, tag="e")
    code, merged, err = merge(*[p[0] for p in parts], rc=2)
    t.check(merged == out_single, "no match, one error: merged == single")
    more = os.path.join(tree, "more")
    code_single, out_single, _ = scan(empty_db, "--json", more, rc=0)
    parts = shards(tmp, empty_db, [more], 2, tag="z")
    code, merged, err = merge(*[p[0] for p in parts], rc=0)
    t.check(merged == out_single, "nothing matched: merged == single, exit 0")

    # 7. Text mode: the shard's last line says it finished; bad --shard values are refused.
    code, out, err = scan(db, "--shard", "2/3", tree, rc=1)
    t.check(out.splitlines()[-1].startswith("# shard 2/3 complete: "), out.splitlines()[-1])
    for bad_spec in ("0/3", "4/3", "1/0", "x"):
        code, out, err = scan(db, "--shard", bad_spec, tree, rc=2)
        t.check(err == f"pmatch scan: --shard: expected K/N with 1 <= K <= N <= 1000000, got '{bad_spec}'\n", err)
    code, out, err = scan(db, "--shard", "1/2", "-", rc=2)
    t.check(err == "pmatch scan: '-' (standard input) cannot be used with --shard\n", err)

t.finish("cli-scan-shard")
