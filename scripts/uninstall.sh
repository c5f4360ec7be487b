#!/usr/bin/env bash
# Removes what install.sh installed: stops and disables the service, deletes the binary, the unit, the packaging
# files and the docs. Keeps the configuration (/etc/wechatpay-watcher), the database (/var/lib/wechatpay-watcher)
# and the logs (/var/log/wechatpay-watcher) unless --purge is given. Idempotent.
#
#   sudo scripts/uninstall.sh [--purge] [--dry-run]      (environment: DESTDIR, PREFIX as for install.sh)
set -euo pipefail

readonly name=wechatpay-watcher
DESTDIR="${DESTDIR:-}"
PREFIX="${PREFIX:-/usr/local}"
purge=false
dry_run=false

for argument in "$@"; do
    case "$argument" in
    --purge) purge=true ;;
    --dry-run) dry_run=true ;;
    *)
        echo "usage: $0 [--purge] [--dry-run]   (environment: DESTDIR, PREFIX)" >&2
        exit 2
        ;;
    esac
done

# shellcheck source=scripts/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

systemd_running=false
[ -z "$DESTDIR" ] && [ -d /run/systemd/system ] && systemd_running=true

if $systemd_running && [ -e "/etc/systemd/system/$name.service" ]; then
    run systemctl disable --now "$name.service"
fi
run rm -f "$DESTDIR$PREFIX/bin/$name" \
    "$DESTDIR/etc/systemd/system/$name.service" \
    "$DESTDIR/usr/lib/sysusers.d/$name.conf" \
    "$DESTDIR/usr/lib/tmpfiles.d/$name.conf" \
    "$DESTDIR/etc/logrotate.d/$name"
run rm -rf "$DESTDIR$PREFIX/share/doc/$name"
if $systemd_running; then
    run systemctl daemon-reload
    run systemctl reset-failed "$name.service" 2>/dev/null || true
fi

if $purge; then
    run rm -rf "$DESTDIR/etc/$name" "$DESTDIR/var/lib/$name" "$DESTDIR/var/log/$name"
    note "removed the configuration, the database and the logs; the user and group $name remain (userdel, groupdel)"
else
    note "kept /etc/$name, /var/lib/$name and /var/log/$name (--purge removes them)"
fi
