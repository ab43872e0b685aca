#!/bin/sh
# The cost of sharding a list (libmatch/search/README.md, "Sharding a list that outgrows one
# machine"), through the CLI:
#   1. N random PDQ hashes (fixed seed): N - N/100 in list 'main', N/100 in a negative list
#      'fp'; imported into one database, the whole list;
#   2. S shards by the first hex digit of the hash: each a copy of the whole list minus the
#      other shards' hashes (removed by a tat-json deletion import, so every entry keeps its
#      id), its pdq.index rebuilt by a first match (not timed);
#   3. Q queries (half a list entry with 0-20 bits flipped, half random) matched with
#      `pmatch match --json` on the whole list and on each shard, then `pmatch merge --lists`
#      of the shards' outputs; the same for `--nearest 10` with QK queries;
#   4. CPU seconds (user + system, /usr/bin/time) of each, whether merged == whole byte for
#      byte, and the merge cost per query and as a share of the shards' matching (the merge's
#      CPU is the mean of MR runs, default 5, for resolution).
# usage: shard_bench.sh PMATCH [N] [S] [Q] [QK] [DIR]   (defaults 1000000 4 100000 2000,
#        DIR $TMPDIR or /tmp; DIR/lm-bench-shard-N-PID is created and removed)
set -eu
PM=$1
N=${2:-1000000}
S=${3:-4}
Q=${4:-100000}
QK=${5:-2000}
BASE=${6:-${TMPDIR:-/tmp}}
MR=${MR:-5} # merge runs timed (the mean is printed)
D="$BASE/lm-bench-shard-$N-$$"
mkdir -p "$D"
trap 'rm -rf "$D"' EXIT INT TERM

python3 - "$N" "$Q" "$QK" "$D" <<'EOF'
import random, sys
n, q, qk, d = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
r = random.Random(42)
hashes = [r.getrandbits(256) for _ in range(n)]
neg = n // 100
with open(d + "/main.hex", "w") as f:
    f.write("".join("%064x\n" % h for h in hashes[:n - neg]))
with open(d + "/fp.hex", "w") as f:
    f.write("".join("%064x\n" % h for h in hashes[n - neg:]))
def queries(count, path):
    out = []
    for i in range(count):
        if i % 2 == 0:
            h = r.choice(hashes)
            for _ in range(r.randrange(21)):
                h ^= 1 << r.randrange(256)
        else:
            h = r.getrandbits(256)
        out.append("%064x\n" % h)
    with open(path, "w") as f:
        f.write("".join(out))
queries(q, d + "/q.hex")
queries(qk, d + "/qk.hex")
EOF

"$PM" db init --db "$D/whole" >/dev/null
"$PM" db import --db "$D/whole" --list main --format hex "$D/main.hex" >/dev/null
"$PM" db import --db "$D/whole" --list fp --format hex "$D/fp.hex" >/dev/null
"$PM" db list --db "$D/whole" fp --kind negative >/dev/null
rm -f "$D/main.hex" "$D/fp.hex"

s=0
while [ "$s" -lt "$S" ]; do
    cp -r "$D/whole" "$D/shard$s"
    for list in main fp; do
        # shard of a hash: its first hex digit d, d * S / 16
        "$PM" db export --db "$D/shard$s" --list "$list" --format hex |
            awk -v s="$s" -v S="$S" '{
                d = index("0123456789abcdef", substr($0, 1, 1)) - 1
                if (int(d * S / 16) != s)
                    print "{\"algorithm\":\"pdq\",\"hash_digest\":\"" $0 "\",\"deleted\":true}"
            }' >"$D/del.jsonl"
        "$PM" db import --db "$D/shard$s" --list "$list" --format tat-json "$D/del.jsonl" >/dev/null
    done
    rm -f "$D/shard$s/pdq.index" "$D/del.jsonl"
    head -1 "$D/q.hex" | "$PM" match --db "$D/shard$s" - >/dev/null || true # writes pdq.index
    s=$((s + 1))
done
echo "shard-bench: n=$N (1% on a negative list), $S shards by the first hex digit" \
    "($(for s in $(seq 0 $((S - 1))); do du -m "$D/shard$s/pdq.index" | cut -f1; done | tr '\n' ' ')MB of pdq.index each," \
    "whole $(du -m "$D/whole/pdq.index" | cut -f1) MB), load average $(cut -d' ' -f1 /proc/loadavg)"

# CPU seconds (user + system) of a command, its stdout to $1; the exit status is kept in $D/rc.
cpu() {
    out=$1
    shift
    rc=0
    /usr/bin/time -f "cpu %U %S" -o "$D/time" "$@" >"$out" || rc=$?
    echo "$rc" >"$D/rc"
    # the time file may start with "Command exited with non-zero status 1": take our line
    awk '$1 == "cpu" { printf "%.2f\n", $2 + $3 }' "$D/time" | tail -n 1
}

run() { # label, query file, count, then pmatch match options
    label=$1
    qf=$2
    count=$3
    shift 3
    whole=$(cpu "$D/whole.jsonl" "$PM" match --db "$D/whole" --json "$@" "$qf")
    shards=0
    per=""
    files=""
    s=0
    while [ "$s" -lt "$S" ]; do
        c=$(cpu "$D/s$s.jsonl" "$PM" match --db "$D/shard$s" --json "$@" "$qf")
        shards=$(echo "$shards + $c" | bc)
        per="$per $c"
        files="$files $D/s$s.jsonl"
        s=$((s + 1))
    done
    # shellcheck disable=SC2086
    cpu "$D/merged.jsonl" "$PM" merge --lists $files >/dev/null
    mrc=$(cat "$D/rc")
    # timed over MR runs: /usr/bin/time counts hundredths of a second
    # shellcheck disable=SC2086
    mtotal=$(cpu /dev/null sh -c 'i=0; while [ $i -lt "$1" ]; do "$2" merge --lists "$3" $4 >/dev/null; i=$((i + 1)); done; exit 0' sh "$MR" "$PM" "--" "$files")
    merge=$(echo "scale=4; $mtotal / $MR" | bc)
    same=no
    cmp -s "$D/merged.jsonl" "$D/whole.jsonl" && same=yes
    echo "$label, $count queries: whole list $whole s CPU; shards$per s (sum $shards s);" \
        "merge $merge s (mean of $MR; exit $mrc): $(echo "scale=2; $merge * 1000000 / $count" | bc) us per" \
        "query, $(echo "scale=2; 100 * $merge / $shards" | bc)% of the shards' matching;" \
        "merged == whole: $same ($(wc -l <"$D/whole.jsonl") records," \
        "$(du -k "$D/whole.jsonl" | cut -f1) KB)"
}
run "match --json" "$D/q.hex" "$Q"
run "match --json --nearest 10" "$D/qk.hex" "$QK" --nearest 10
