#!/bin/sh
# fuzz/run.sh [HARNESS|all] [SECONDS]: run libFuzzer harnesses with ASan+UBSan.
# Builds build-libfuzzer (clang, -Dfuzzing=true, library instrumented too) when
# missing. Corpora live outside git in build-libfuzzer/corpus/NAME (seeded from
# the generated seeds, fuzz/seeds/NAME and fuzz/regressions/NAME); crashes go to
# build-libfuzzer/crashes/NAME/. Prints executions and final coverage per harness.
# JOBS=2 runs two harnesses at a time (default 1).
set -eu
cd "$(dirname "$0")/.."
HARNESS=${1:-all}
SECONDS_EACH=${2:-600}
JOBS=${JOBS:-1}
B=${BUILD:-build-libfuzzer}
if [ ! -f "$B/build.ninja" ]; then
    CC=clang meson setup "$B" -Dfuzzing=true -Db_sanitize=address,undefined -Db_lundef=false \
        -Dc_args=-fsanitize=fuzzer-no-link
fi
ALL=$(sed -n "s/^  '\([a-z_]*\)' : 'fuzz_.*\.c',$/\1/p" fuzz/meson.build)
[ "$HARNESS" = all ] && LIST=$ALL || LIST=$HARNESS
for n in $LIST; do ninja -C "$B" "fuzz/fuzz_$n" "fuzz/corpus-$n.stamp" >/dev/null; done
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
run_one() {
    n=$1
    mkdir -p "$B/corpus/$n" "$B/crashes/$n"
    log="$B/crashes/$n/fuzz.log"
    extra=
    [ -d "fuzz/seeds/$n" ] && extra="fuzz/seeds/$n"
    [ -d "fuzz/regressions/$n" ] && extra="$extra fuzz/regressions/$n"
    "$B/fuzz/fuzz_$n" -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 -timeout=20 \
        -max_len=262144 -print_final_stats=1 -artifact_prefix="$B/crashes/$n/" \
        "$B/corpus/$n" "$B/fuzz/corpus/$n" $extra >"$log" 2>&1 || true
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    crashes=$(ls "$B/crashes/$n" | grep -c -v '^fuzz.log$' || true)
    echo "$n: ${SECONDS_EACH}s execs=${execs:-?} cov=${cov:-?} crash-files=$crashes (log $log)"
}
i=0
for n in $LIST; do
    run_one "$n" &
    i=$((i + 1))
    if [ $((i % JOBS)) -eq 0 ]; then wait; fi
done
wait
