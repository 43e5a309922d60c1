#!/bin/sh
# Run every cmocka test binary given; print a summary line; fail if any failed.
# (The parity goldens and tokenizer cases are cmocka tests too: see tests/test_parity.c.)
pass=0; fail=0; failed=""
for t in "$@"; do
    echo "=== $t"
    if "$t"; then pass=$((pass + 1)); else fail=$((fail + 1)); failed="$failed $t"; fi
done
echo
echo "binaries: $pass passed, $fail failed"  # one cmocka binary per tests/test_*.c
[ -n "$failed" ] && echo "failed:$failed"
[ "$fail" -eq 0 ]
