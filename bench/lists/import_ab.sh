#!/bin/sh
# Import A/B: each pmatch binary imports the same hex file into a new database, interleaved,
# RUNS times each (default 3); prints wall, CPU (user + system) and peak RSS per run, then the
# medians per binary. The import's figures in hashdb/README.md ("Import speed").
# usage: import_ab.sh HEXFILE DIR PMATCH...   (DIR/lm-import-ab-PID is created and removed)
set -eu
f=$1
D="$2/lm-import-ab-$$"
shift 2
RUNS=${RUNS:-3}
mkdir -p "$D"
trap 'rm -rf "$D"' EXIT INT TERM
i=1
while [ "$i" -le "$RUNS" ]; do
    k=0
    for b in "$@"; do
        k=$((k + 1))
        rm -rf "$D/db"
        "$b" db init --db "$D/db" >/dev/null
        /usr/bin/time -f "%e %U %S %M" -o "$D/time" "$b" db import --db "$D/db" --format hex "$f" >/dev/null
        read -r wall usr sys rss <"$D/time"
        cpu=$(awk -v u="$usr" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
        echo "$b run $i: $wall s wall, $cpu CPU-s ($usr user + $sys system), peak RSS $((rss / 1024)) MB, load $(cut -d' ' -f1 /proc/loadavg)"
        echo "$wall $cpu" >>"$D/runs.$k"
    done
    i=$((i + 1))
done
k=0
for b in "$@"; do
    k=$((k + 1))
    mid=$(((RUNS + 1) / 2))
    w=$(cut -d' ' -f1 "$D/runs.$k" | sort -n | sed -n "${mid}p")
    c=$(cut -d' ' -f2 "$D/runs.$k" | sort -n | sed -n "${mid}p")
    n=$(grep -c . "$f")
    echo "$b: median $w s wall, $c CPU-s: $(echo "$n / $w" | bc) hashes/s wall, $(echo "$n / $c" | bc) hashes per CPU-second"
done
