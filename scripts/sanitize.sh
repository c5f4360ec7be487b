#!/usr/bin/env bash
# Runs the test suite under a sanitizer, end-to-end tests included: they start the daemon binary of the same
# instrumented build, so the daemon runs under the sanitizer too.
#   scripts/sanitize.sh thread  [swift test options, e.g. --filter EndToEndTests]
#   scripts/sanitize.sh address [swift test options]
# Builds into .build-tsan or .build-asan (debug). Every report, from the test process or from any daemon it starts,
# is written to a file under $SANITIZER_REPORTS (default .build-<tsan|asan>/reports); the script fails when a test
# fails or when any report was written, and prints the reports' first lines.
#
# An instrumented daemon is several times slower, so the end-to-end tests wait longer (WECHATPAY_WATCHER_TIME_SCALE,
# default 6 under TSan, 3 under ASan), and under TSan the tests run one at a time (--no-parallel) so that two cores
# are not shared by a dozen instrumented daemons.
#
# Under ASan, LeakSanitizer checks at exit the unit tests' process and every daemon the end-to-end tests start, with
# scripts/lsan-suppressions.txt naming the leaks of libcurl and FoundationNetworking (the tests' URLSession client
# only), FoundationEssentials and XCTest (none allocated by our code). It does not check the end-to-end tests' own process, whose Foundation Process objects
# are never freed. Memory errors (overflows, use after free) are reported everywhere.
set -euo pipefail
cd "$(dirname "$0")/.."
kind="${1:-}"
case "$kind" in
thread) short=tsan scale=6 serial=(--no-parallel) ;;
address) short=asan scale=3 serial=() ;;
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
export LSAN_OPTIONS="suppressions=$PWD/scripts/lsan-suppressions.txt:print_suppressions=0"
export WECHATPAY_WATCHER_TIME_SCALE="${WECHATPAY_WATCHER_TIME_SCALE:-$scale}"
run_tests() {
    swift test --skip-build --sanitize="$kind" --scratch-path "$scratch" "${serial[@]}" "$@"
}

status=0
if [ "$kind" = address ] && [ $# -eq 0 ]; then
    ASAN_OPTIONS="log_path=$reports/asan:detect_leaks=1" run_tests --skip EndToEndTests || status=$?
    ASAN_OPTIONS="log_path=$reports/asan:detect_leaks=0" \
        WECHATPAY_WATCHER_DAEMON_ASAN_OPTIONS="log_path=$reports/asan:detect_leaks=1" \
        run_tests --filter EndToEndTests || status=$?
else
    ASAN_OPTIONS="log_path=$reports/asan:detect_leaks=1" run_tests "$@" || status=$?
fi

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
