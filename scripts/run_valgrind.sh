#!/bin/sh
# Run each lesson under valgrind memcheck; fail on any invalid access, use of
# uninitialised memory, or leak (definite or possible).
#   scripts/run_valgrind.sh build/lessons/01_x ...
# Lessons run with no arguments, i.e. on the built-in tiny models in data/models/
# (or models/<real name> when downloaded: then expect minutes per lesson), from a
# scratch folder so the pictures they write do not land in the repository.
# scripts/valgrind.supp hides libgomp's worker-thread blocks only (see there).
set -u
root="$(cd "$(dirname "$0")/.." && pwd)"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
status=0
n=0
for l in "$@"; do
    n=$((n + 1))
    start=$(date +%s)
    (cd "$scratch" && valgrind -q --leak-check=full --errors-for-leak-kinds=definite,possible \
        --error-exitcode=99 --suppressions="$root/scripts/valgrind.supp" \
        "$root/$l" > "$scratch/stdout.txt" 2> "$scratch/valgrind.txt")
    rc=$?
    secs=$(( $(date +%s) - start ))
    if [ $rc -eq 0 ]; then
        echo "    clean  $l (${secs}s)"
    else
        [ $rc -eq 99 ] && why="valgrind errors" || why="exit $rc"
        echo "    FAIL   $l ($why)"
        tail -60 "$scratch/valgrind.txt"
        tail -5 "$scratch/stdout.txt"
        status=1
    fi
done
[ $status -eq 0 ] && echo "    valgrind: $n lessons, no errors, no leaks"
exit $status
