#!/bin/sh
# The list figures through the CLI, as an analyst runs it:
#   1. N random PDQ hashes (fixed seed) as hex text, one per line;
#   2. `pmatch db import --format hex` into a new database: hashes/s (the import
#      commits, then writes the persisted index pdq.index), peak RSS, disk;
#   3. open-to-first-answer of `pmatch match` (one hash in a file; process start,
#      open, index map, query, exit), with the index file and without it (moved away:
#      load from LMDB and build in memory, the previous behaviour; skipped above
#      20M hashes, where that build needs ~176 bytes per entry), 3 runs each;
#   4. `pmatch match --nearest 1` and `--nearest 10` the same way, with the index file;
#   5. query rates through the CLI, one thread (pmatch match reads its hashes one by one):
#      near queries (list hashes with 8-24 bits flipped) and unrelated ones (random), range
#      (--distance 31) and k-nearest (--nearest 1 and 10), each set as one `pmatch match` run;
#      queries/s is the number of queries over the run's time beyond a one-query run (open,
#      index map, first answer), in CPU seconds (user + system) and wall, medians of 3. Q
#      (default 10000) queries per set, but QF (default 20) for k = 10: in a random list only
#      a near query's own source is near, so its other 9 neighbours, like an unrelated
#      query's 10, are ~85-90 bits away, and certifying them is a flat scan of the list (~31/s
#      at 10M; see libmatch/search/README.md).
# usage: cli_bench.sh PMATCH [N] [DIR]   (default N 10000000, DIR $TMPDIR or /tmp;
#        DIR/lm-bench-cli-N-PID is created and removed; ~240 bytes of disk per hash)
set -eu
PM=$1
N=${2:-10000000}
BASE=${3:-${TMPDIR:-/tmp}}
D="$BASE/lm-bench-cli-$N-$$"
mkdir -p "$D"
trap 'rm -rf "$D"' EXIT INT TERM

t0=$(date +%s.%N)
python3 - "$N" >"$D/list.hex" <<'EOF'
import random, sys
n = int(sys.argv[1])
r = random.Random(42)
out = sys.stdout
chunk = []
for i in range(n):
    chunk.append('%064x\n' % r.getrandbits(256))
    if len(chunk) == 100000:
        out.write(''.join(chunk))
        chunk = []
out.write(''.join(chunk))
EOF
t1=$(date +%s.%N)
echo "cli-bench: n=$N, hex file $(du -m "$D/list.hex" | cut -f1) MB written in $(printf '%.1f' "$(echo "$t1 - $t0" | bc)") s"
head -1 "$D/list.hex" >"$D/q.hex"
Q=${Q:-10000}
QF=${QF:-20}
# near queries: Q list hashes (lines of 65 bytes, evenly spaced) with 8-24 random bits flipped;
# unrelated ones: Q random hashes
python3 - "$D/list.hex" "$N" "$Q" "$D/near.hex" "$D/far.hex" <<'EOF'
import random, sys
path, n, q = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
r = random.Random(7)
with open(path, 'rb') as f, open(sys.argv[4], 'w') as near, open(sys.argv[5], 'w') as far:
    for k in range(q):
        f.seek((k * n // q) * 65)
        h = int(f.read(64), 16)
        for b in r.sample(range(256), r.randint(8, 24)):
            h ^= 1 << b
        near.write('%064x\n' % h)
        far.write('%064x\n' % r.getrandbits(256))
EOF

"$PM" db init --db "$D/db" >/dev/null
/usr/bin/time -f "%e %M %U %S" -o "$D/time" "$PM" db import --db "$D/db" --format hex "$D/list.hex" >/dev/null
read -r secs rss usr sys <"$D/time"
echo "import: $secs s wall, $(echo "$N / $secs" | bc) hashes/s (import and index write);" \
    "CPU $usr s user + $sys s system, $(echo "$N / ($usr + $sys)" | bc) hashes per CPU-second;" \
    "load average $(cut -d' ' -f1 /proc/loadavg); peak RSS $((rss / 1024)) MB;" \
    "data.mdb $(du -m "$D/db/data.mdb" | cut -f1) MB, pdq.index $(du -m "$D/db/pdq.index" | cut -f1) MB"
rm -f "$D/list.hex"

ready() { # label, query file, 1 to remove the index file before each run, then pmatch match
    # arguments
    label=$1
    query=$2
    noindex=$3
    shift 3
    for i in 1 2 3; do
        [ "$noindex" = 0 ] || rm -f "$D/db/pdq.index"
        a=$(date +%s.%N)
        /usr/bin/time -f "%M" -o "$D/time" "$PM" match --db "$D/db" "$@" "$query" >"$D/out" || true
        b=$(date +%s.%N)
        [ -s "$D/out" ] || { echo "$label: no answer" >&2; cat "$D/out" >&2; }
        # "Command exited with non-zero status 1" (a match) comes first
        printf '%s %s\n' "$(echo "$b - $a" | bc)" "$(tail -n 1 "$D/time")" >>"$D/runs"
    done
    sort -n "$D/runs" | sed -n 2p | {
        read -r secs rss
        printf '%s: open-to-first-answer %.3f s (median of 3, warm page cache), peak RSS %d MB\n' \
            "$label" "$secs" $((rss / 1024))
    }
    rm -f "$D/runs"
}
# An unrelated hash (no match) is the first answer alone; a list hash matches, and pmatch match
# then counts the hit and flushes it at exit: that first write of a writable open checks every
# page of data.mdb first (write_check, hashdb/README.md), after the answer but inside the run.
head -1 "$D/far.hex" >"$D/q_far.hex"
ready "match, index file, unrelated hash (no match)" "$D/q_far.hex" 0 --distance 31
ready "match, index file, list hash (a match, hit flushed at exit)" "$D/q.hex" 0 --distance 31
ready "match --nearest 1, index file, list hash" "$D/q.hex" 0 --nearest 1
ready "match --nearest 10, index file, list hash" "$D/q.hex" 0 --nearest 10
if [ "$N" -le 20000000 ]; then
    ready "match, no index file (load + build in memory), unrelated hash" "$D/q_far.hex" 1 \
        --distance 31
    if [ -f "$D/db/pdq.index" ]; then echo "(match wrote a new index file)"; fi
else
    echo "match, no index file: skipped above 20M hashes (the in-memory build needs ~176 bytes per entry)"
fi

cpu_run() { # prints "wall cpu" of one pmatch match run: input file, then arguments
    run_in=$1
    shift
    /usr/bin/time -f "%e %U %S" -o "$D/time" "$PM" match --db "$D/db" "$@" "$run_in" >"$D/out" || true
    tail -n 1 "$D/time" | awk '{ print $1, $2 + $3 }'
}
rate() { # label, one-query file, query file, its query count, then pmatch match arguments: the
    # queries in one run, beyond a one-query run of the same kind (a match or not)
    label=$1
    one=$2
    queries=$3
    nq=$4
    shift 4
    for i in 1 2 3; do
        cpu_run "$one" "$@" >>"$D/one"
        cpu_run "$queries" "$@" >>"$D/many"
    done
    [ "$(grep -c . "$D/out")" -eq "$nq" ] || echo "$label: not one answer per query" >&2
    w1=$(cut -d' ' -f1 "$D/one" | sort -n | sed -n 2p)
    c1=$(cut -d' ' -f2 "$D/one" | sort -n | sed -n 2p)
    wq=$(cut -d' ' -f1 "$D/many" | sort -n | sed -n 2p)
    cq=$(cut -d' ' -f2 "$D/many" | sort -n | sed -n 2p)
    echo "$label: $nq queries, $(echo "scale=1; $nq / ($cq - $c1)" | bc) queries per CPU-second," \
        "$(echo "scale=1; $nq / ($wq - $w1)" | bc) queries/s wall (one thread; medians of 3, beyond a" \
        "one-query run of $w1 s wall, $c1 CPU-s)"
    rm -f "$D/one" "$D/many"
}
if [ -f "$D/db/pdq.index" ]; then
    head -n "$QF" "$D/far.hex" >"$D/far_few.hex"
    rate "range r=31, near" "$D/q.hex" "$D/near.hex" "$Q" --distance 31
    rate "range r=31, unrelated" "$D/q_far.hex" "$D/far.hex" "$Q" --distance 31
    head -n "$QF" "$D/near.hex" >"$D/near_few.hex"
    rate "nearest k=1, near" "$D/q.hex" "$D/near.hex" "$Q" --nearest 1
    rate "nearest k=10, near" "$D/q.hex" "$D/near_few.hex" "$QF" --nearest 10
    rate "nearest k=10, unrelated" "$D/q_far.hex" "$D/far_few.hex" "$QF" --nearest 10
fi
