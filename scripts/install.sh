#!/usr/bin/env bash
# Installs wechatpay-watcher as a systemd service. Idempotent: running it again upgrades the binary, the unit and
# the packaging files, restarts a running service, and keeps the configuration and the database.
#
#   sudo scripts/install.sh                          build (release, Swift runtime linked in) and install under /
#   sudo scripts/install.sh --binary PATH            install an already built binary (no swift needed as root)
#   DESTDIR=/tmp/stage scripts/install.sh            stage the files only: no users, folders or systemctl
#   PREFIX=/opt/wechatpay-watcher scripts/install.sh binary and docs under PREFIX (the unit is rewritten to match)
#   scripts/install.sh --dry-run                     print what would be done, change nothing
#
# Environment: DESTDIR (staging root, default empty), PREFIX (default /usr/local), SWIFT (default swift).
set -euo pipefail
cd "$(dirname "$0")/.."

readonly name=wechatpay-watcher
DESTDIR="${DESTDIR:-}"
PREFIX="${PREFIX:-/usr/local}"
SWIFT="${SWIFT:-swift}"
dry_run=false
binary=""

usage() {
    echo "usage: $0 [--dry-run] [--binary PATH]   (environment: DESTDIR, PREFIX, SWIFT)" >&2
    exit 2
}
while [ "$#" -gt 0 ]; do
    case "$1" in
    --dry-run) dry_run=true ;;
    --binary)
        [ "$#" -ge 2 ] || usage
        binary="$2"
        shift
        ;;
    -h | --help) usage ;;
    *) usage ;;
    esac
    shift
done

# shellcheck source=scripts/common.sh
. scripts/common.sh

# A live system: no staging root. systemctl only where systemd runs (not in a container or chroot).
live=false
[ -z "$DESTDIR" ] && live=true
systemd_running=false
$live && [ -d /run/systemd/system ] && systemd_running=true

if [ -z "$binary" ]; then
    binary="$(SWIFT="$SWIFT" build_release_binary)"
fi
$dry_run || [ -x "$binary" ] || { echo "$0: no executable at $binary" >&2; exit 1; }
$dry_run || check_self_contained "$binary"

bin_dir="$DESTDIR$PREFIX/bin"
doc_dir="$DESTDIR$PREFIX/share/doc/$name"
unit_dir="$DESTDIR/etc/systemd/system"
config_dir="$DESTDIR/etc/$name"

run install -d -m 0755 "$bin_dir" "$doc_dir" "$unit_dir" "$DESTDIR/usr/lib/sysusers.d" \
    "$DESTDIR/usr/lib/tmpfiles.d" "$DESTDIR/etc/logrotate.d"
run install -m 0755 "$binary" "$bin_dir/$name"
run install -m 0644 README.md "$doc_dir/README.md"

# The unit names /usr/local; a different PREFIX is written into the installed copy.
unit_source=systemd/$name.service
if [ "$PREFIX" != /usr/local ]; then
    unit_source="$(mktemp)"
    trap 'rm -f "$unit_source"' EXIT
    sed -e "s#/usr/local/#${PREFIX%/}/#g" "systemd/$name.service" >"$unit_source"
fi
run install -m 0644 "$unit_source" "$unit_dir/$name.service"
run install -m 0644 "systemd/$name.sysusers" "$DESTDIR/usr/lib/sysusers.d/$name.conf"
run install -m 0644 "systemd/$name.tmpfiles" "$DESTDIR/usr/lib/tmpfiles.d/$name.conf"
run install -m 0644 "systemd/$name.logrotate" "$DESTDIR/etc/logrotate.d/$name"

# The user and group first: the folders and the configuration belong to the group.
if $live; then
    run systemd-sysusers "/usr/lib/sysusers.d/$name.conf"
    run systemd-tmpfiles --create "/usr/lib/tmpfiles.d/$name.conf"
fi
run install -d -m 0750 "$config_dir"
if [ -e "$config_dir/$name.json" ]; then
    note "kept the existing /etc/$name/$name.json"
else
    run install -m 0640 "config/$name.example.json" "$config_dir/$name.json"
    note "installed the example configuration as /etc/$name/$name.json: edit it"
fi
if $live; then
    run chgrp "$name" "$config_dir" "$config_dir/$name.json"
fi

if $systemd_running; then
    run systemctl daemon-reload
    if systemctl is-active --quiet "$name.service"; then
        run systemctl restart "$name.service"
        note "restarted $name"
    else
        note "next: put the merchant keys in /etc/$name (chown root:$name, chmod 0640), edit the configuration,"
        note "run '$PREFIX/bin/$name check-config --config /etc/$name/$name.json',"
        note "then 'systemctl enable --now $name'"
    fi
elif $live; then
    note "systemd is not running here: run 'systemctl daemon-reload' on the target system"
fi
