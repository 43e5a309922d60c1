#!/bin/sh
# Run each libFuzzer harness for SECONDS, seeded from the project's test data.
#   scripts/run_fuzzers.sh SECONDS build-fuzz/fuzz_x ...
# A crash, leak or timeout stops that harness, leaves the reproducer in
# build-fuzz/crashes/<harness>/ and makes this script fail.
set -u
secs="$1"; shift
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
status=0
for bin in "$@"; do
    name=$(basename "$bin")           # fuzz_safetensors
    target=${name#fuzz_}              # safetensors
    corpus=build-fuzz/corpus/$target
    crashes=build-fuzz/crashes/$name
    mkdir -p "$corpus" "$crashes"
    # seeds: the test files each parser reads (fuzz/seeds.txt: "<target> <glob>",
    # or "<target> -flag=value" for a libFuzzer flag of that harness, e.g. -max_len)
    maxlen=-max_len=65536
    while read -r t glob; do
        [ "$t" = "$target" ] || continue
        case "$glob" in
        -max_len=*) maxlen="$glob"; continue ;;
        esac
        for f in $glob; do [ -f "$f" ] && cp "$f" "$corpus/seed_$(echo "$f" | tr '/' '_')"; done
    done < fuzz/seeds.txt
    echo "=== $name for ${secs}s ($(ls "$corpus" | wc -l) corpus files)"
    "$bin" "$corpus" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 "$maxlen" \
        -artifact_prefix="$crashes/" -print_final_stats=1 2> "build-fuzz/$name.log"
    rc=$?
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "build-fuzz/$name.log" | sed 's/^/    /'
    if [ $rc -ne 0 ]; then
        echo "    FAILED (exit $rc): see build-fuzz/$name.log and $crashes/"
        tail -30 "build-fuzz/$name.log"
        status=1
    fi
done
exit $status
