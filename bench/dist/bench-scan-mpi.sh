#!/bin/sh
# bench/dist/bench-scan-mpi.sh BUILD [COUNT] [RUNS]: files/s of one pmatch scan process
# (--jobs 1 and --jobs 2) against mpirun -n 2 (one thread per rank), on a generated tree
# of COUNT images (lm-make-images, 160x120 .. 1900x1400, default 1000) with a list of 20
# of them; median of RUNS (default 3) runs each. Also checks the outputs are identical.
set -eu
B=${1:?usage: bench-scan-mpi.sh BUILD [COUNT] [RUNS]}
COUNT=${2:-1000}
RUNS=${3:-3}
P=$(realpath "$B/cli/pmatch")
T=$(mktemp -d /tmp/bench-scan-mpi.XXXXXX)
trap 'rm -rf "$T"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
"$B/tests/tools/lm-make-images" "$T/tree" "$COUNT"
"$P" db init --db "$T/db" >/dev/null
"$P" hash "$T"/tree/img-000*.jpg "$T"/tree/img-001*.jpg > "$T/known.csv"
"$P" db import --db "$T/db" --list known "$T/known.csv" >/dev/null
run() { # name, label, command...: prints the median files/s; output in $T/out-NAME.jsonl
    name=$1
    label=$2
    shift 2
    rates=""
    for i in $(seq "$RUNS"); do
        s=$(date +%s.%N)
        "$@" > "$T/out-$name.jsonl" 2>/dev/null || true
        e=$(date +%s.%N)
        rates="$rates $(echo "$COUNT / ($e - $s)" | bc -l)"
    done
    med=$(printf '%s\n' $rates | sort -g | sed -n "$(( (RUNS + 1) / 2 ))p")
    printf '%-28s %8.1f files/s (median of %d:%s)\n' "$label" "$med" "$RUNS" \
        "$(printf ' %.1f' $rates)"
}
echo "tree: $COUNT images; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
run single1 "1 process --jobs 1" "$P" scan --db "$T/db" --json --quiet --jobs 1 "$T/tree"
run single2 "1 process --jobs 2" "$P" scan --db "$T/db" --json --quiet --jobs 2 "$T/tree"
run mpi2 "mpirun -n 2 (1 thread/rank)" mpirun -n 2 "$P" scan --mpi --db "$T/db" --json --quiet "$T/tree"
cmp "$T/out-single1.jsonl" "$T/out-mpi2.jsonl" && echo "outputs identical"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
