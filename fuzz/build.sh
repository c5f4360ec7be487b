#!/usr/bin/env bash
# Builds the libFuzzer targets in fuzz/targets/ into .build-fuzz/: each library module the targets need is
# compiled once with coverage instrumentation and AddressSanitizer, then linked with each target.
#   fuzz/build.sh            all targets
set -euo pipefail
cd "$(dirname "$0")/.."
out=.build-fuzz
mkdir -p "$out"
flags=(-sanitize=fuzzer,address -parse-as-library -O -g -I "$out" -I Sources/COpenSSL -I Sources/CSQLite)
modules=(WatcherLog WatcherCrypto WatcherSQLite WeChatPay WatcherStore WatcherEngine ImageGenerationTasks ProductCoupons WatcherConfig)
for module in "${modules[@]}"; do
    if [ "$out/$module.o" -nt "$(ls -t $(find "Sources/$module" -name '*.swift') | head -1)" ]; then continue; fi
    echo "==> $module"
    swiftc "${flags[@]}" -wmo -module-name "$module" -emit-module -emit-module-path "$out/$module.swiftmodule" \
        -c $(find "Sources/$module" -name '*.swift' | sort) -o "$out/$module.o"
done
objects=()
for module in "${modules[@]}"; do objects+=("$out/$module.o"); done
for target in fuzz/targets/*.swift; do
    name="$(basename "$target" .swift)"
    echo "==> fuzz-$name"
    # ld.gold warns about every AddressSanitizer helper symbol it cannot export: noise, filtered out.
    swiftc "${flags[@]}" -module-name "Fuzz_$name" "$target" "${objects[@]}" -lssl -lcrypto -lsqlite3 \
        -o "$out/fuzz-$name" 2>&1 | { grep -v "Cannot export local symbol" || true; }
done
