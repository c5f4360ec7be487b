#!/usr/bin/env bash
# Installs wechatpay-watcher as a systemd service. Idempotent: running it again upgrades the binary and unit
# and keeps the configuration and the database.
#
#   scripts/install.sh              build (release) and install under /
#   DESTDIR=/tmp/stage scripts/install.sh --no-systemctl   stage the files only (packaging, tests)
#   scripts/install.sh --dry-run    print what would be done
set -euo pipefail
cd "$(dirname "$0")/.."

DESTDIR="${DESTDIR:-}"
PREFIX="${PREFIX:-/usr/local}"
dry_run=false
use_systemctl=true
for argument in "$@"; do
    case "$argument" in
    --dry-run) dry_run=true ;;
    --no-systemctl) use_systemctl=false ;;
    *) echo "usage: $0 [--dry-run] [--no-systemctl]" >&2; exit 2 ;;
    esac
done
[ -n "$DESTDIR" ] && use_systemctl=false

run() {
    if $dry_run; then echo "+ $*"; else "$@"; fi
}

run swift build -c release --product wechatpay-watcher
binary="$(swift build -c release --show-bin-path)/wechatpay-watcher"

run install -d -m 0755 "$DESTDIR$PREFIX/bin" "$DESTDIR/etc/systemd/system" "$DESTDIR/usr/lib/sysusers.d" \
    "$DESTDIR/usr/lib/tmpfiles.d" "$DESTDIR/etc/logrotate.d" "$DESTDIR$PREFIX/share/doc/wechatpay-watcher"
run install -m 0755 "$binary" "$DESTDIR$PREFIX/bin/wechatpay-watcher"
run install -m 0644 systemd/wechatpay-watcher.service "$DESTDIR/etc/systemd/system/wechatpay-watcher.service"
run install -m 0644 systemd/wechatpay-watcher.sysusers "$DESTDIR/usr/lib/sysusers.d/wechatpay-watcher.conf"
run install -m 0644 systemd/wechatpay-watcher.tmpfiles "$DESTDIR/usr/lib/tmpfiles.d/wechatpay-watcher.conf"
run install -m 0644 systemd/wechatpay-watcher.logrotate "$DESTDIR/etc/logrotate.d/wechatpay-watcher"
run install -m 0644 README.md "$DESTDIR$PREFIX/share/doc/wechatpay-watcher/README.md"
run install -d -m 0750 "$DESTDIR/etc/wechatpay-watcher"
if [ ! -e "$DESTDIR/etc/wechatpay-watcher/wechatpay-watcher.json" ]; then
    run install -m 0640 config/wechatpay-watcher.example.json "$DESTDIR/etc/wechatpay-watcher/wechatpay-watcher.json"
    echo "installed an example configuration: edit /etc/wechatpay-watcher/wechatpay-watcher.json"
else
    echo "kept the existing /etc/wechatpay-watcher/wechatpay-watcher.json"
fi

if $use_systemctl; then
    run systemd-sysusers /usr/lib/sysusers.d/wechatpay-watcher.conf
    run systemd-tmpfiles --create /usr/lib/tmpfiles.d/wechatpay-watcher.conf
    run chgrp wechatpay-watcher /etc/wechatpay-watcher /etc/wechatpay-watcher/wechatpay-watcher.json
    run systemctl daemon-reload
    if systemctl is-active --quiet wechatpay-watcher.service; then
        run systemctl restart wechatpay-watcher.service
        echo "restarted wechatpay-watcher"
    else
        echo "next: put the merchant keys in /etc/wechatpay-watcher (mode 0640, group wechatpay-watcher), edit the"
        echo "configuration, run 'wechatpay-watcher check-config --config /etc/wechatpay-watcher/wechatpay-watcher.json',"
        echo "then 'systemctl enable --now wechatpay-watcher'"
    fi
fi
