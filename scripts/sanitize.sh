#!/usr/bin/env bash
# Runs the test suite under a sanitizer, end-to-end tests included: they start the daemon binary of the same
# instrumented build, so the daemon runs under the sanitizer too.
#   scripts/sanitize.sh thread  [swift test options, e.g. --skip EndToEndTests]
#   scripts/sanitize.sh address [swift test options]
# Builds into .build-tsan or .build-asan (debug). Every report, from the test process or from any daemon it starts,
# is written to a file under $SANITIZER_REPORTS (default .build-<tsan|asan>/reports); the script fails when a test
# fails or when any report was written, and prints the reports' first lines.
# Leaks that LeakSanitizer finds at exit inside libcurl, FoundationNetworking, FoundationEssentials and XCTest are
# suppressed by scripts/lsan-suppressions.txt (none of them is allocated by our code); nothing else is suppressed.
set -euo pipefail
cd "$(dirname "$0")/.."
kind="${1:-}"
case "$kind" in
thread) short=tsan ;;
address) short=asan ;;
*)
    echo "usage: scripts/sanitize.sh thread|address [swift test options]" >&2
    exit 2
    ;;
esac
shift
scratch=".build-$short"
reports="${SANITIZER_REPORTS:-$scratch/reports}"
rm -rf "$reports"
mkdir -p "$reports"
reports="$(cd "$reports" && pwd)"

swift build --build-tests --sanitize="$kind" --scratch-path "$scratch"

# log_path: one file per process that reports (<prefix>.<pid>), so a daemon's report is not lost with its stderr.
export TSAN_OPTIONS="log_path=$reports/tsan"
export ASAN_OPTIONS="log_path=$reports/asan:detect_leaks=1"
export LSAN_OPTIONS="suppressions=$PWD/scripts/lsan-suppressions.txt:print_suppressions=0"

status=0
swift test --skip-build --sanitize="$kind" --scratch-path "$scratch" "$@" || status=$?

mapfile -t written < <(find "$reports" -type f | sort)
if [ "${#written[@]}" -gt 0 ]; then
    echo "sanitizer: ${#written[@]} report file(s) in $reports" >&2
    for file in "${written[@]}"; do
        echo "--- $file" >&2
        grep -m 3 -E "WARNING|ERROR|SUMMARY" "$file" >&2 || head -n 5 "$file" >&2
    done
    [ "$status" -ne 0 ] || status=1
else
    echo "sanitizer ($kind): no report; swift test exit $status"
fi
exit "$status"
