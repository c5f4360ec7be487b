#!/usr/bin/env bash
# Runs one fuzz target: fuzz/run.sh verifier|decoders|config|rows [RUNS] (default 1,000,000 inputs).
# The working corpus grows in .build-fuzz/corpus/<target>; crashes land in fuzz/regressions/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."
target="$1"
runs="${2:-1000000}"
mkdir -p ".build-fuzz/corpus/$target" "fuzz/regressions/$target"
exec ".build-fuzz/fuzz-$target" -runs="$runs" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="fuzz/regressions/$target/" ".build-fuzz/corpus/$target" "fuzz/corpus/$target"
