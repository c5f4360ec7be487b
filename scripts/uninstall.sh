#!/usr/bin/env bash
# Removes what install.sh installed. Keeps the configuration (/etc/wechatpay-watcher), the database
# (/var/lib/wechatpay-watcher) and the logs unless --purge is given.
set -euo pipefail

DESTDIR="${DESTDIR:-}"
PREFIX="${PREFIX:-/usr/local}"
purge=false
dry_run=false
use_systemctl=true
for argument in "$@"; do
    case "$argument" in
    --purge) purge=true ;;
    --dry-run) dry_run=true ;;
    --no-systemctl) use_systemctl=false ;;
    *) echo "usage: $0 [--purge] [--dry-run] [--no-systemctl]" >&2; exit 2 ;;
    esac
done
[ -n "$DESTDIR" ] && use_systemctl=false

run() {
    if $dry_run; then echo "+ $*"; else "$@"; fi
}

if $use_systemctl && systemctl list-unit-files wechatpay-watcher.service >/dev/null 2>&1; then
    run systemctl disable --now wechatpay-watcher.service || true
fi
run rm -f "$DESTDIR$PREFIX/bin/wechatpay-watcher" \
    "$DESTDIR/etc/systemd/system/wechatpay-watcher.service" \
    "$DESTDIR/usr/lib/sysusers.d/wechatpay-watcher.conf" \
    "$DESTDIR/usr/lib/tmpfiles.d/wechatpay-watcher.conf" \
    "$DESTDIR/etc/logrotate.d/wechatpay-watcher"
run rm -rf "$DESTDIR$PREFIX/share/doc/wechatpay-watcher"
$use_systemctl && run systemctl daemon-reload
if $purge; then
    run rm -rf "$DESTDIR/etc/wechatpay-watcher" "$DESTDIR/var/lib/wechatpay-watcher" "$DESTDIR/var/log/wechatpay-watcher"
    echo "removed configuration, database and logs; the user wechatpay-watcher remains (userdel it if wanted)"
else
    echo "kept /etc/wechatpay-watcher, /var/lib/wechatpay-watcher and /var/log/wechatpay-watcher (use --purge to remove)"
fi
