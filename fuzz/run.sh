#!/usr/bin/env bash
# Runs one fuzz target, one process (-jobs is left at 1: the machine is shared).
#   fuzz/run.sh TARGET [RUNS [SECONDS]]    RUNS inputs (default 1,000,000), or stop after SECONDS if given
# Seeds come from fuzz/corpus/TARGET (read only); the growing working corpus goes to
# $FUZZ_CORPUS/TARGET (default .build-fuzz/corpus/TARGET, outside the repository's files).
# A crash, leak or timeout is written to fuzz/regressions/TARGET/ and stops the run.
set -euo pipefail
cd "$(dirname "$0")/.."
target="$1"
runs="${2:-1000000}"
seconds="${3:-0}"
work="${FUZZ_CORPUS:-.build-fuzz/corpus}/$target"
mkdir -p "$work" "fuzz/regressions/$target"
exec ".build-fuzz/fuzz-$target" -runs="$runs" -max_total_time="$seconds" -max_len=8192 -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="fuzz/regressions/$target/" \
    "$work" "fuzz/corpus/$target"
