#!/usr/bin/env bash
# Builds wechatpay-watcher_<version>_amd64.deb with dpkg-deb: the release binary (Swift runtime linked in), the unit,
# the sysusers.d/tmpfiles.d/logrotate files, the example configuration as a conffile and the README. Prints the
# path of the package on its last line.
#
#   scripts/build-deb.sh [--binary PATH] [--output DIR]      (default output: .build/deb)
#
# Environment: SWIFT (default swift), DEB_MAINTAINER_EMAIL (the Maintainer: address).
#
# The package never starts or enables the service (it cannot work before the merchants' keys are in place); an
# upgrade restarts it if it was running; removal keeps the configuration, the database and the logs; purge removes
# them (the user and group stay, as Debian does for system users).
set -euo pipefail
cd "$(dirname "$0")/.."

readonly name=wechatpay-watcher
binary=""
output=.build/deb
dry_run=false

usage() {
    echo "usage: $0 [--binary PATH] [--output DIR]   (environment: SWIFT)" >&2
    exit 2
}
while [ "$#" -gt 0 ]; do
    case "$1" in
    --binary | --output)
        [ "$#" -ge 2 ] || usage
        if [ "$1" = --binary ]; then binary="$2"; else output="$2"; fi
        shift
        ;;
    *) usage ;;
    esac
    shift
done

# shellcheck source=scripts/common.sh
. scripts/common.sh

[ -n "$binary" ] || binary="$(build_release_binary)"
[ -x "$binary" ] || { echo "$0: no executable at $binary" >&2; exit 1; }
check_self_contained "$binary" >&2

# The one version: the binary's own (also its User-Agent and what `status` records).
version="$("$binary" --version | awk '{ print $2 }')"
[[ "$version" =~ ^[0-9][0-9A-Za-z.+~-]*$ ]] || { echo "$0: '$binary --version' gave no version" >&2; exit 1; }
architecture="$(dpkg --print-architecture)"
maintainer_email="${DEB_MAINTAINER_EMAIL:-wechatpay-watcher@example.com}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
root="$work/root"
doc="$root/usr/share/doc/$name"
install -d -m 0755 "$root/DEBIAN" "$root/usr/bin" "$root/lib/systemd/system" "$root/usr/lib/sysusers.d" \
    "$root/usr/lib/tmpfiles.d" "$root/etc/logrotate.d" "$root/etc/$name" "$doc"
install -m 0755 "$binary" "$root/usr/bin/$name"
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$root/usr/bin/$name"
# The unit names /usr/local (scripts/install.sh); a package installs under /usr.
sed -e "s#/usr/local/#/usr/#g" "systemd/$name.service" >"$root/lib/systemd/system/$name.service"
install -m 0644 "systemd/$name.sysusers" "$root/usr/lib/sysusers.d/$name.conf"
install -m 0644 "systemd/$name.tmpfiles" "$root/usr/lib/tmpfiles.d/$name.conf"
install -m 0644 "systemd/$name.logrotate" "$root/etc/logrotate.d/$name"
# 0644 in the archive (it holds no secret); postinst's dpkg-statoverride makes it root:wechatpay-watcher 0640.
install -m 0644 "config/$name.example.json" "$root/etc/$name/$name.json"
chmod 0644 "$root/lib/systemd/system/$name.service"
install -m 0644 README.md "$doc/README.md"
install -d -m 0755 "$root/usr/share/man/man1"
{
    printf '.TH WECHATPAY-WATCHER 1 "" "%s %s" "User Commands"\n.SH NAME\n%s \\- watches WeChat Pay APIv3 partner jobs until they finish\n' \
        "$name" "$version" "$name"
    printf '.SH SYNOPSIS\n.nf\n'
    "$binary" --help | sed -e 's/\\/\\\\/g' -e 's/^\./\\\&./'
    printf '.fi\n.SH SEE ALSO\n/usr/share/doc/%s/README.md\n' "$name"
} | gzip -9n >"$root/usr/share/man/man1/$name.1.gz"
chmod 0644 "$root/usr/share/man/man1/$name.1.gz"
cat >"$doc/copyright" <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: $name

Files: *
Copyright: 2026 the $name authors
License: proprietary
 Built from the $name repository; see README.md.
EOF
changelog_date="$(date -R -d "@$(git log -1 --format=%ct 2>/dev/null || date +%s)")"
printf '%s (%s) stable; urgency=medium\n\n  * Built from commit %s.\n\n -- %s maintainers <%s>  %s\n' \
    "$name" "$version" "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" "$name" "$maintainer_email" \
    "$changelog_date" |
    gzip -9n >"$doc/changelog.gz"
chmod 0644 "$doc/copyright" "$doc/changelog.gz"

# Depends: what the binary links, as dpkg-shlibdeps computes it, plus systemd for sysusers.d and tmpfiles.d.
mkdir -p "$work/shlibs/debian"
printf 'Source: %s\n\nPackage: %s\nArchitecture: %s\n' "$name" "$name" "$architecture" >"$work/shlibs/debian/control"
shlib_depends="$(cd "$work/shlibs" && dpkg-shlibdeps -O -e "$root/usr/bin/$name" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')"
[ -n "$shlib_depends" ] || { echo "$0: dpkg-shlibdeps found no dependencies" >&2; exit 1; }

cat >"$root/DEBIAN/control" <<EOF
Package: $name
Version: $version
Architecture: $architecture
Maintainer: $name maintainers <$maintainer_email>
Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
Depends: $shlib_depends, systemd
Recommends: logrotate
Suggests: sqlite3
Section: net
Priority: optional
Description: watches WeChat Pay APIv3 partner jobs until they finish
 A daemon for WeChat Pay service providers: producers insert image-generation
 tasks and product coupons into a SQLite table; the daemon polls WeChat Pay
 within the per-merchant rate limit, verifies every answer's signature and
 writes each state change and result back into the row.
EOF
echo "/etc/logrotate.d/$name" >"$root/DEBIAN/conffiles"
echo "/etc/$name/$name.json" >>"$root/DEBIAN/conffiles"
# md5sums of every file but the conffiles (dpkg records those itself), for debsums and dpkg --verify.
(cd "$root" && find usr lib -type f -print0 | sort -z | xargs -0 md5sum) >"$root/DEBIAN/md5sums"

cat >"$root/DEBIAN/postinst" <<'EOF'
#!/bin/sh
# Creates the user, group and folders; lets the group read the configuration; reloads systemd. Never starts or
# enables the service: it cannot work before the merchants' keys are in place. An upgrade restarts it if it runs.
set -e
name=wechatpay-watcher
if [ "$1" = configure ]; then
    systemd-sysusers "/usr/lib/sysusers.d/$name.conf"
    # dpkg itself applies these to every later unpack of the conffile and the folder.
    for entry in "0750 /etc/$name" "0640 /etc/$name/$name.json"; do
        path="${entry#* }"
        if ! dpkg-statoverride --list "$path" >/dev/null; then
            dpkg-statoverride --update --add root "$name" "${entry%% *}" "$path"
        fi
    done
    systemd-tmpfiles --create "/usr/lib/tmpfiles.d/$name.conf"
    if [ -d /run/systemd/system ]; then
        systemctl --system daemon-reload >/dev/null || true
        # An upgrade still succeeds when the new version refuses the configuration; the administrator is told.
        if [ -n "$2" ] && ! deb-systemd-invoke try-restart "$name.service" >/dev/null 2>&1; then
            echo "$name: the service did not start again after the upgrade: see 'journalctl -u $name.service'" >&2
        fi
    fi
fi
exit 0
EOF

cat >"$root/DEBIAN/prerm" <<'EOF'
#!/bin/sh
# Stops the service before its binary goes; an upgrade leaves it running (postinst restarts it).
set -e
if [ "$1" = remove ] && [ -d /run/systemd/system ]; then
    deb-systemd-invoke stop wechatpay-watcher.service >/dev/null || true
fi
exit 0
EOF

cat >"$root/DEBIAN/postrm" <<'EOF'
#!/bin/sh
# Removal keeps the configuration, the database and the logs; purge removes them, the enablement links and the
# permission overrides. The user and group stay (files elsewhere may still belong to them).
set -e
name=wechatpay-watcher
if [ "$1" = purge ]; then
    rm -rf "/etc/$name" "/var/lib/$name" "/var/log/$name"
    rm -f /etc/systemd/system/*.wants/"$name.service"
    for path in "/etc/$name/$name.json" "/etc/$name"; do
        if dpkg-statoverride --list "$path" >/dev/null; then dpkg-statoverride --remove "$path"; fi
    done
fi
if [ "$1" = remove ] || [ "$1" = purge ]; then
    if [ -d /run/systemd/system ]; then systemctl --system daemon-reload >/dev/null || true; fi
fi
exit 0
EOF
chmod 0755 "$root/DEBIAN/postinst" "$root/DEBIAN/prerm" "$root/DEBIAN/postrm"

mkdir -p "$output"
package="$output/${name}_${version}_${architecture}.deb"
dpkg-deb --root-owner-group -Zgzip --build "$root" "$package" >&2
echo "$package"
