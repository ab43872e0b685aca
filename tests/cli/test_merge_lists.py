"""pmatch merge --lists: a list of generated hashes (PDQ and MD5, a negative list of each, a
cluster of near-identical entries, a list with its own distance) split into shards by hash
prefix (4) and by entry-id range (3); `pmatch match --json` (also --nearest 5, --distance)
on each shard, merged, gives byte for byte the whole list's output and exit status; hostile
shard outputs (truncated, reordered, other queries, another K, over-long or damaged lines,
overlapping shards) are refused with exit 2, an exact message and nothing on stdout.
Seed: LM_SEED (default 1216), printed on failure."""
import json
import os
import random
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import clitest as t  # noqa: E402

SEED = int(os.environ.get("LM_SEED", "1216"))
QUERIES = 670  # hash lines of make_queries (a bad line, a comment and a blank print nothing)
rng = random.Random(SEED)


def flip(h, bits):
    for b in rng.sample(range(256), bits):
        h ^= 1 << b
    return h


def hx(h):
    return "%064x" % h


def write(path, lines):
    with open(path, "w") as f:
        f.write("".join(x + "\n" for x in lines))


def run(*args, rc=None):
    code, out, err = t.run(*args, check_rc=rc)
    return code, out, err


def make_lists(tmp):
    """The whole list: {list name: (kind, type, entries)} imported in this order."""
    center = rng.getrandbits(256)
    base = [hx(rng.getrandbits(256)) for _ in range(2400)]
    main = list(base)
    # two clusters of near-identical entries (> 16 matches at once), the first with negatives
    center2 = rng.getrandbits(256)
    main += [hx(flip(center, rng.randrange(1, 7))) for _ in range(40)]
    main += [hx(flip(center2, rng.randrange(1, 7))) for _ in range(30)]
    rng.shuffle(main)  # the cluster spread over every id range
    wide = [hx(rng.getrandbits(256)) for _ in range(300)]
    fp = [hx(flip(int(rng.choice(base), 16), rng.randrange(3, 11))) for _ in range(70)]
    # negatives of another hash prefix than their entry: the top bit differs
    fp += [hx(flip(int(rng.choice(base), 16) ^ (1 << 255), rng.randrange(2, 9))) for _ in range(30)]
    fp += [hx(flip(center, rng.randrange(8, 14))) for _ in range(10)]
    fp += [hx(rng.getrandbits(256)) for _ in range(40)]
    md5a = ["%032x" % rng.getrandbits(128) for _ in range(60)]
    md5neg = md5a[:10] + ["%032x" % rng.getrandbits(128) for _ in range(20)]
    lists = {"main": ("normal", "pdq", sorted(set(main), key=main.index)),
             "wide": ("normal", "pdq", wide),
             "fp": ("negative", "pdq", sorted(set(fp), key=fp.index)),
             "md5a": ("normal", "md5", md5a),
             "md5neg": ("negative", "md5", md5neg)}
    db = os.path.join(tmp, "whole")
    run("db", "init", "--db", db, rc=0)
    for name, (kind, typ, entries) in lists.items():
        path = os.path.join(tmp, name + ".txt")
        write(path, entries)
        run("db", "import", "--db", db, "--list", name, "--type", typ, "--format",
            "hex" if typ == "pdq" else "md5", path, rc=0)
        if kind == "negative":
            run("db", "list", "--db", db, name, "--kind", "negative", rc=0)
    run("db", "list", "--db", db, "wide", "--distance", "45", rc=0)
    return db, lists, (center, center2)


def make_queries(lists, centers):
    center, center2 = centers
    pdq = lambda name: [int(h, 16) for h in lists[name][2]]  # noqa: E731
    q = [hx(flip(rng.choice(pdq("main")), rng.randrange(0, 25))) for _ in range(150)]
    q += [hx(flip(rng.choice(pdq("wide")), rng.randrange(20, 45))) for _ in range(60)]
    q += [hx(flip(rng.choice(pdq("fp")), rng.randrange(0, 13))) for _ in range(80)]
    q += [hx(flip(center, rng.randrange(0, 5))) for _ in range(30)]
    q += [hx(flip(center2, rng.randrange(0, 5))) for _ in range(10)]
    q += [rng.choice(lists["md5a"][2] + lists["md5neg"][2]) for _ in range(30)]
    q += ["%032x" % rng.getrandbits(128) for _ in range(10)]
    q += [hx(rng.getrandbits(256)) for _ in range(300)]
    rng.shuffle(q)
    # lines that print no record (a bad hash, a comment, a blank) or a low-quality one
    q[7:7] = ["nothex", "# a comment", ""]
    q[20] = q[20] + ",10"
    return q


def split(tmp, whole, lists, tag, shard_of, n):
    """n shards of the whole list: copies minus the other shards' entries (removed by a
    tat-json deletion import, so every entry keeps its id), pdq.index rebuilt."""
    dirs = []
    for s in range(n):
        d = os.path.join(tmp, f"{tag}{s}")
        shutil.copytree(whole, d)
        for name in lists:
            _, out, _ = run("db", "export", "--db", d, "--list", name, "--format", "csv", rc=0)
            rows = [r.split(",") for r in out.splitlines()[1:]]
            dels = [json.dumps({"algorithm": r[1], "hash_digest": r[0], "deleted": True})
                    for i, r in enumerate(rows) if shard_of(name, i, len(rows), r[0]) != s]
            path = os.path.join(tmp, "del.jsonl")
            write(path, dels)
            run("db", "import", "--db", d, "--list", name, "--format", "tat-json", path, rc=0)
        os.remove(os.path.join(d, "pdq.index"))  # the next match writes the shard's own
        code, out, err = run("db", "verify", "--db", d)
        t.check(code == 0, f"{d}: verify after the deletions: {out}{err}")
        dirs.append(d)
    return dirs


def entries(db):
    _, out, _ = run("db", "export", "--db", db, "--format", "csv", rc=0)
    return out.splitlines()[1:]


def match(db, qfile, opts):
    code, out, _ = run("match", "--db", db, "--json", *opts, qfile)
    return code, out


def save(tmp, name, text):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def check_layout(tmp, whole, qfile, dirs, tag):
    all_whole = sorted(entries(whole))
    all_shards = sorted(e for d in dirs for e in entries(d))
    t.check(all_shards == all_whole, f"{tag}: the shards hold every entry once")
    t.check(all(len(entries(d)) > 200 for d in dirs), f"{tag}: every shard has its part")
    files = {}
    for opts in ([], ["--nearest", "5"], ["--distance", "20"], ["--nearest", "5", "--distance", "40"]):
        key = " ".join(opts) or "default"
        wcode, wout = match(whole, qfile, opts)
        outs = [match(d, qfile, opts) for d in dirs]
        paths = [save(tmp, f"{tag}-{key.replace(' ', '_')}-{i}.jsonl", o)
                 for i, (_, o) in enumerate(outs)]
        files[key] = (paths, wout, [o for _, o in outs])
        mopts = ["--distance", opts[opts.index("--distance") + 1]] if "--nearest" in opts and \
            "--distance" in opts else []
        code, out, err = run("merge", "--lists", *mopts, *reversed(paths))
        t.check(out == wout, f"{tag} {key}: merged == whole, byte for byte (seed {SEED})")
        if out != wout:
            for a, b in zip(out.splitlines(), wout.splitlines()):
                if a != b:
                    print(f"merged: {a}\nwhole:  {b}", file=sys.stderr)
                    break
        t.check(code == wcode == 1 and err == "", f"{tag} {key}: exit {code} (whole {wcode}), {err!r}")
        t.check(len(wout.splitlines()) == QUERIES, f"{tag} {key}: one record per hash line")
    # The negative list at work across shards: a query whose match is in one shard and
    # whose negative match is in another is suppressed after the merge.
    paths, wout, outs = files["default"]
    recs = [[json.loads(x) for x in o.splitlines()] for o in outs]
    whole_recs = [json.loads(x) for x in wout.splitlines()]
    cross = sum(1 for i, w in enumerate(whole_recs) if w["verdict"] == "suppressed" and
                any(r[i]["verdict"] == "match" for r in recs))
    t.check(cross >= 3, f"{tag}: {cross} queries suppressed by a negative match in another shard")
    t.check(sum(w["verdict"] == "suppressed" for w in whole_recs) >= 30
            and sum(w["verdict"] == "match" for w in whole_recs) >= 100,
            f"{tag}: matches and suppressed queries in the whole list's output")
    t.check(any(w["match_count"] > 16 for w in whole_recs if w["verdict"] == "suppressed") and
            any(w["match_count"] > 16 for w in whole_recs if w["verdict"] == "match"),
            f"{tag}: more matches than are printed, matched and suppressed")
    t.check(any(w["matches"] and w["matches"][0]["type"] == "md5" and w["verdict"] == "suppressed"
                for w in whole_recs), f"{tag}: a suppressed MD5 query")
    spread = sum(1 for i, w in enumerate(whole_recs) if w["match_count"] > 16 and
                 sum(r[i]["match_count"] > 0 for r in recs) >= 2)
    t.check(spread >= 10, f"{tag}: {spread} truncated match lists merged from several shards")
    near = [json.loads(x) for x in files["--nearest 5"][1].splitlines()]
    ties = sum(1 for r in near if len({e["distance"] for e in r.get("nearest", [])}) < len(r.get("nearest", [])))
    t.check(ties >= 5, f"{tag}: {ties} nearest lists with equal distances (tie order)")
    t.check(all(r.get("k") == 5 and r["count"] == len(r["nearest"]) for r in near if "nearest" in r),
            f"{tag}: nearest records end with count and k")
    t.check(sum("nearest" in r for r in near) == QUERIES - 40 and
            sum(r.get("verdict") is not None for r in near) == 40,
            f"{tag}: --nearest answers PDQ lines, digest lines get match records")
    return files


def hostile(tmp, files, qfile, dirs):
    paths, wout, outs = files["default"]
    npaths = files["--nearest 5"][0]
    m1, m2, m3, m4 = paths

    def refused(args, want, what):
        code, out, err = run("merge", "--lists", *args)
        t.check(code == 2 and out == "" and err == want,
                f"{what}: exit {code}, stdout {out[:200]!r}, stderr {err!r}, want {want!r}")

    lines2 = outs[1].splitlines(keepends=True)
    # a shard's output cut inside a line (the match was killed)
    cut = outs[1][: len(outs[1]) // 2]
    if cut.endswith("\n"):
        cut = cut[:-1]
    p = save(tmp, "cut.jsonl", cut)
    refused([m1, p, m3, m4], f"pmatch merge: {p}:{cut.count(chr(10)) + 1}: last line has no "
            "newline (the match did not finish)\n", "cut inside a line")
    # cut at a line boundary
    p = save(tmp, "short.jsonl", "".join(lines2[:-10]))
    last = json.loads(outs[3].splitlines()[-10])["line"]
    refused([m1, p, m3, m4], f"pmatch merge: {p} ends after {len(lines2) - 10} records but {m4} "
            f"has a record for query line {last} (an output is truncated, or a query failed on "
            "one shard)\n", "cut at a line boundary")
    # a missing record inside one output (a query failed on that shard)
    p = save(tmp, "hole.jsonl", "".join(lines2[:5] + lines2[6:]))
    l5, l6 = (json.loads(lines2[i])["line"] for i in (5, 6))
    refused([m1, p], f"pmatch merge: {m1}:6 is query line {l5} but {p}:6 is query line {l6} (a "
            "query failed on one shard, or the outputs come from different query files)\n",
            "a missing record")
    # records out of order, in every output alike
    swapped = []
    for i, o in enumerate(outs):
        ls = o.splitlines(keepends=True)
        ls[3], ls[4] = ls[4], ls[3]
        swapped.append(save(tmp, f"swap{i}.jsonl", "".join(ls)))
    l3, l4 = (json.loads(lines2[i])["line"] for i in (3, 4))
    refused(swapped, f"pmatch merge: {swapped[0]}:5: query line {l3} after query line {l4} "
            "(records out of order)\n", "records out of order")
    # another query at the same line number: shard 3 matched another query file
    with open(qfile) as f:
        q = f.read().splitlines()
    other = list(q)
    k = next(i for i, x in enumerate(q) if len(x) == 64 and i > 30)
    other[k] = hx(rng.getrandbits(256))
    q2 = save(tmp, "other-queries.txt", "".join(x + "\n" for x in other))
    _, o3 = match(dirs[2], q2, [])
    p = save(tmp, "other.jsonl", o3)
    refused([m1, m2, p, m4], f'pmatch merge: query line {k + 1} is "{q[k]}" in {m1} but '
            f'"{other[k]}" in {p} (the shards matched different query files)\n',
            "different queries at the same line number")
    # another K
    _, o7 = match(dirs[1], qfile, ["--nearest", "7"])
    p = save(tmp, "k7.jsonl", o7)
    with open(npaths[1]) as f:  # digests print match records under --nearest too
        j = next(i for i, x in enumerate(f) if '"nearest":' in x) + 1
    refused([npaths[0], p], f"pmatch merge: {p}:{j}: k 7 where {npaths[0]}:{j} has k 5 (the "
            "shards ran a different --nearest)\n", "another K")
    refused([m1, npaths[1]], f"pmatch merge: {npaths[1]}:{j}: a --nearest record where "
            f"{m1}:{j} has a match record (the shards ran different commands)\n",
            "match and nearest records")
    # the same shard twice: its first entry is in two shards
    recs1 = [json.loads(x) for x in outs[0].splitlines()]
    first = next(r for r in recs1 if r["matches"])
    refused([m1, m1], f"pmatch merge: query line {first['line']}: entry "
            f"{min(e['entry_id'] for e in first['matches'])} is in two shards (the shards "
            "overlap, or come from different lists)\n", "overlapping shards")
    # an over-long line, garbage, a record that contradicts itself
    p = save(tmp, "long.jsonl", '{"hash":"' + "a" * (2 << 20) + '"\n')
    refused([p], f"pmatch merge: {p}:1: line longer than 1048576 bytes\n", "over-long line")
    p = save(tmp, "garbage.jsonl", "".join(lines2[:2]) + "\x00\xff{}\n")
    refused([p], f"pmatch merge: {p}:3: expected '{{\"hash\":' at byte 1\n", "garbage")
    sup = next(x for x in wout.splitlines() if '"verdict":"suppressed"' in x)
    p = save(tmp, "liar.jsonl", sup.replace('"verdict":"suppressed"', '"verdict":"match"') + "\n")
    refused([p], f"pmatch merge: {p}:1: the verdict does not agree with the matches\n",
            "a record that contradicts itself")
    act = next(x for x in wout.splitlines() if '"verdict":"match"' in x and '"match_count":1}' in x)
    p = save(tmp, "liar2.jsonl", act.replace('"match_count":1}', '"match_count":2}') + "\n")
    refused([p], f"pmatch merge: {p}:1: 1 matches shown for a match_count of 2\n",
            "a count that contradicts the matches")
    refused([m1, os.path.join(tmp, "nofile")],
            f"pmatch merge: {os.path.join(tmp, 'nofile')}: No such file or directory\n", "no file")
    refused([m1, "-"], "pmatch merge: '-': give the shard outputs as files\n", "stdin")
    code, out, err = run("merge", "--distance", "3", m1)
    t.check(code == 2 and err == "pmatch merge: --distance goes with --lists\n",
            f"--distance without --lists: {code} {err!r}")
    # empty outputs: nothing to merge, nothing matched
    e1, e2 = save(tmp, "e1.jsonl", ""), save(tmp, "e2.jsonl", "")
    code, out, err = run("merge", "--lists", e1, e2)
    t.check(code == 0 and out == "" and err == "", f"empty outputs: {code} {out!r} {err!r}")
    # one output is its own merge; an unmatched query set exits 0 like match
    code, out, _ = run("merge", "--lists", m2)
    t.check(code == 1 and out == outs[1], "one shard merged alone is its output")
    qn = save(tmp, "nomatch.txt", "".join(hx(rng.getrandbits(256)) + "\n" for _ in range(20)))
    outs0 = [save(tmp, f"nm{i}.jsonl", match(d, qn, [])[1]) for i, d in enumerate(dirs)]
    code, out, _ = run("merge", "--lists", *outs0)
    t.check(code == 0 and out == match(os.path.join(tmp, "whole"), qn, [])[1],
            f"nothing matched: exit {code}")


def main(tmp):
    whole, lists, centers = make_lists(tmp)
    q = make_queries(lists, centers)
    qfile = save(tmp, "queries.txt", "".join(x + "\n" for x in q))
    # 4 shards by the first hex digit of the hash
    by_prefix = split(tmp, whole, lists, "prefix", lambda name, i, n, h: int(h[0], 16) // 4, 4)
    files = check_layout(tmp, whole, qfile, by_prefix, "by prefix")
    # 3 shards by entry-id range: each list's export is in id order
    by_id = split(tmp, whole, lists, "ids", lambda name, i, n, h: 3 * i // n, 3)
    check_layout(tmp, whole, qfile, by_id, "by id range")
    hostile(tmp, files, qfile, by_prefix)


t.in_tmpdir("lm-merge-lists-", main)
if t.failures:
    print(f"seed {SEED} (LM_SEED)", file=sys.stderr)
t.finish("cli-merge-lists")
