#!/usr/bin/env bash
# Builds the libFuzzer targets fuzz/targets/*.swift into .build-fuzz/fuzz-<target>.
#
# Each library module a target needs is compiled once, as its own module, with coverage instrumentation and
# AddressSanitizer (-sanitize=fuzzer,address); each target is one small module linked against those objects, so
# it reaches the public API only — what a caller can reach. A module is rebuilt when one of its sources, or a
# module below it, changed.
#   fuzz/build.sh              all targets
#   fuzz/build.sh verifier     one target
set -euo pipefail
cd "$(dirname "$0")/.."
out=.build-fuzz
mkdir -p "$out"
# One package name for every module, as SwiftPM gives them, so `package` declarations are reachable across modules.
flags=(-swift-version 6 -sanitize=fuzzer,address -parse-as-library -O -g -package-name wechatpay_watcher
    -I "$out" -I Sources/COpenSSL -I Sources/CSQLite)
# In dependency order (Package.swift): a module is compiled after every module it imports.
modules=(WatcherSync WatcherLog WatcherPOSIX WatcherCrypto WatcherSQLite WeChatPay WatcherStore WatcherServices WatcherEngine ImageGenerationTasks
    ProductCoupons WatcherConfig)
# Sources a target compiles into its own module besides its harness: the verifier's fixed key.
declare -A extra_sources=([verifier]="Tests/WatcherTestSupport/TestKeys.swift")

rebuild_rest=0
for module in "${modules[@]}"; do
    sources=$(find "Sources/$module" -name '*.swift' | sort)
    if [ "$rebuild_rest" = 0 ] && [ -f "$out/$module.o" ] && [ -z "$(find $sources -newer "$out/$module.o")" ]; then
        continue
    fi
    rebuild_rest=1
    echo "==> $module"
    # shellcheck disable=SC2086 # one word per source file
    swiftc "${flags[@]}" -wmo -module-name "$module" -emit-module -emit-module-path "$out/$module.swiftmodule" \
        -c $sources -o "$out/$module.o"
done

objects=()
for module in "${modules[@]}"; do objects+=("$out/$module.o"); done
targets=("$@")
if [ ${#targets[@]} = 0 ]; then
    for file in fuzz/targets/*.swift; do targets+=("$(basename "$file" .swift)"); done
fi
for name in "${targets[@]}"; do
    echo "==> fuzz-$name"
    # shellcheck disable=SC2086 # extra sources are a list of paths without spaces
    swiftc "${flags[@]}" -module-name "Fuzz_$name" "fuzz/targets/$name.swift" ${extra_sources[$name]:-} \
        "${objects[@]}" -lssl -lcrypto -lsqlite3 -o "$out/fuzz-$name" 2>&1 |
        { grep -v "Cannot export local symbol" || true; } # ld.gold: one line per ASan helper; noise
done
