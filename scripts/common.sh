# Shared by install.sh and uninstall.sh (sourced, not run). Expects $dry_run to be true or false.

# Runs a command; in a dry run, prints it shell-quoted instead.
run() {
    if $dry_run; then
        printf '+'
        printf ' %q' "$@"
        printf '\n'
    else
        "$@"
    fi
}

# A message about the outcome; in a dry run, about what would happen.
note() {
    if $dry_run; then echo "# (dry run) $*"; else echo "$*"; fi
}

# The release binary with the Swift runtime, Foundation and Dispatch linked in (--static-swift-stdlib), so it runs
# on a machine without the toolchain. Prints its path. Uses $SWIFT (default swift).
build_release_binary() {
    local swift="${SWIFT:-swift}"
    run "$swift" build -c release --static-swift-stdlib --product wechatpay-watcher >&2
    echo "$("$swift" build -c release --static-swift-stdlib --show-bin-path)/wechatpay-watcher"
}

# Fails unless every shared library BINARY loads directly is one of Debian's own: libc, libm, libstdc++, libgcc_s,
# OpenSSL, SQLite: libcurl in particular is refused, the daemon has its own HTTP client. Prints what it found.
check_self_contained() {
    local binary="$1" needed library unexpected=()
    needed="$(readelf -d "$binary" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')"
    for library in $needed; do
        case "$library" in
        libc.so.* | libm.so.* | ld-linux*.so.* | libstdc++.so.* | libgcc_s.so.* | libcrypto.so.* | libssl.so.* | libsqlite3.so.*) ;;
        *) unexpected+=("$library") ;;
        esac
    done
    if [ "${#unexpected[@]}" -gt 0 ]; then
        echo "$binary loads ${unexpected[*]}: not self-contained (needs: $needed)" >&2
        return 1
    fi
    echo "$binary needs only: $needed"
}
