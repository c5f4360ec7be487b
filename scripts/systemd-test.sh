#!/usr/bin/env bash
# The product under a real systemd: boots a minimal Debian 12 (systemd 252 as PID 1 in systemd-nspawn), installs
# the .deb the way a user would, and checks the unit there with the simulator running as another unit on loopback
# (scripts/systemd-test-guest.sh lists the checks). Needs root and Debian's package archive, nothing else.
#
#   sudo scripts/systemd-test.sh [--binary PATH] [--deb PATH]
#
# The root file system is cached outside the clone, in $WECHATPAY_WATCHER_CI_CACHE (default
# /var/cache/wechatpay-watcher-ci), and rebuilt when missing or when its recipe below changes. Each run boots it
# with a throw-away overlay, so the cache stays pristine. On failure the guest's journal, the daemon's log and
# `systemctl status` are printed and kept in .build/systemd-test/.
set -euo pipefail
cd "$(dirname "$0")/.."

binary=""
deb=""
while [ "$#" -gt 0 ]; do
    case "$1" in
    --binary | --deb)
        [ "$#" -ge 2 ] || { echo "usage: $0 [--binary PATH] [--deb PATH]" >&2; exit 2; }
        if [ "$1" = --binary ]; then binary="$2"; else deb="$2"; fi
        shift
        ;;
    *) echo "usage: $0 [--binary PATH] [--deb PATH]" >&2; exit 2 ;;
    esac
    shift
done
[ "$(id -u)" -eq 0 ] || { echo "$0: needs root (debootstrap, systemd-nspawn)" >&2; exit 2; }

dry_run=false
# shellcheck source=scripts/common.sh
. scripts/common.sh

started=$SECONDS
say() { printf '==> [%3ds] %s\n' "$((SECONDS - started))" "$*"; }

# Host tools.
missing=()
for tool in debootstrap:debootstrap systemd-nspawn:systemd-container dpkg-shlibdeps:dpkg-dev; do
    command -v "${tool%%:*}" >/dev/null || missing+=("${tool#*:}")
done
if [ "${#missing[@]}" -gt 0 ]; then
    say "installing ${missing[*]}"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
fi

# The root file system: Debian 12 minbase with systemd, and what the package and the checks need. Everything the
# .deb depends on is here, so `apt-get install ./….deb` works without the network inside the guest.
readonly suite=bookworm
readonly mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
readonly packages=systemd,systemd-sysv,dbus,logrotate,sqlite3,ca-certificates,libssl3,libsqlite3-0,libstdc++6,libgcc-s1,libcurl4
cache="${WECHATPAY_WATCHER_CI_CACHE:-/var/cache/wechatpay-watcher-ci}"
rootfs="$cache/$suite-rootfs"
recipe="debootstrap --variant=minbase --include=$packages $suite $mirror"
if [ "$(cat "$rootfs/.recipe" 2>/dev/null)" != "$recipe" ]; then
    say "building the $suite root file system in $rootfs (cached for later runs)"
    rm -rf "$rootfs.new"
    mkdir -p "$cache"
    debootstrap --variant=minbase --include="$packages" "$suite" "$rootfs.new" "$mirror" >"$cache/debootstrap.log" 2>&1 ||
        { tail -20 "$cache/debootstrap.log" >&2; echo "$0: debootstrap failed (log: $cache/debootstrap.log)" >&2; exit 1; }
    chroot "$rootfs.new" apt-get clean
    echo "$recipe" >"$rootfs.new/.recipe"
    rm -rf "$rootfs"
    mv "$rootfs.new" "$rootfs"
else
    say "reusing the cached $suite root file system in $rootfs"
fi

# The product.
if [ -z "$deb" ]; then
    say "building the release binary and the .deb"
    [ -n "$binary" ] || binary="$(build_release_binary)"
    deb="$(scripts/build-deb.sh --binary "$binary" | tail -1)"
fi
[ -f "$deb" ] || { echo "$0: no package at $deb" >&2; exit 1; }
say "package: $deb"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/in" "$work/out" "$work/units"
cp "$deb" "$work/in/"
bash -n scripts/systemd-test-guest.sh
cp scripts/systemd-test-guest.sh "$work/in/guest.sh"
# Type=simple: the boot's job queue empties once it is forked, so the script can wait for the system to be up.
cat >"$work/units/wechatpay-ci.service" <<'EOF'
[Unit]
Description=wechatpay-watcher checks under a real systemd
After=multi-user.target

[Service]
Type=simple
ExecStart=/bin/bash /ci/in/guest.sh
# However the script ends, the guest powers off with a result.
ExecStopPost=/bin/sh -c '[ -e /ci/out/result ] || { echo "FAIL: the guest script ended without a result" >/ci/out/result; systemctl poweroff --no-block; }'
RuntimeMaxSec=600
StandardOutput=append:/ci/out/guest.out
StandardError=inherit
EOF

say "booting the guest (systemd-nspawn --boot); the checks run inside it"
guest_started=$SECONDS
set +e
timeout 720 systemd-nspawn --quiet --boot --register=no --keep-unit --volatile=overlay --private-network \
    --machine=wechatpay-ci --directory="$rootfs" \
    --bind-ro="$work/in:/ci/in" --bind="$work/out:/ci/out" \
    --bind-ro="$work/units/wechatpay-ci.service:/etc/systemd/system/wechatpay-ci.service" \
    systemd.wants=wechatpay-ci.service >"$work/out/console.log" 2>&1 </dev/null
nspawn_status=$?
set -e
say "guest finished after $((SECONDS - guest_started)) s (systemd-nspawn exit $nspawn_status)"

result="$(cat "$work/out/result" 2>/dev/null || echo "FAIL: the guest wrote no result (systemd-nspawn exit $nspawn_status)")"
keep=.build/systemd-test
rm -rf "$keep"
mkdir -p "$keep"
cp -r "$work/out/." "$keep/"
if [ "$result" = PASS ]; then
    grep -e '^ok ' -e '^booted: ' -e '^   ' "$work/out/guest.out" | grep -v '=>' || true
    say "PASS: every check held (the guest's journal and output are in $keep/)"
    exit 0
fi

{
    echo "---- guest output"
    cat "$work/out/guest.out" 2>/dev/null
    echo "---- systemctl status (guest)"
    cat "$work/out/status.txt" 2>/dev/null
    echo "---- daemon log (last 60 lines)"
    tail -60 "$work/out/watcher.log" 2>/dev/null
    echo "---- guest journal (last 120 lines)"
    tail -120 "$work/out/journal.txt" 2>/dev/null || tail -60 "$work/out/console.log"
} >&2
echo "$result" >&2
echo "the guest's journal, console, daemon log and status are in $keep/" >&2
exit 1
