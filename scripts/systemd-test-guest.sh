#!/usr/bin/env bash
# Runs INSIDE the booted test system (scripts/systemd-test.sh starts it as a unit): installs the .deb from /ci/in,
# checks the service under systemd, writes PASS or "FAIL: <check>: <why>" to /ci/out/result, collects the journal
# and the daemon's log, and powers the guest off. Each check prints "ok <name>" as it holds.
set -uo pipefail

readonly name=wechatpay-watcher
readonly unit=$name.service
readonly config=/etc/$name/$name.json
readonly database=/var/lib/$name/watcher.sqlite3
readonly log=/var/log/$name/watcher.log
readonly sim=/srv/simulator
readonly port=18443
current="setting up"

failures=()
finish() {
    journalctl -b --no-pager -o short-monotonic >/ci/out/journal.txt 2>&1
    systemctl status --no-pager "$unit" wechatpay-simulator.service >/ci/out/status.txt 2>&1
    cp "$log" /ci/out/watcher.log 2>/dev/null
    if [ "${#failures[@]}" -eq 0 ]; then
        echo PASS >/ci/out/result
    else
        printf 'FAIL: %s\n' "${failures[@]}" >/ci/out/result
    fi
    sync
    systemctl poweroff --no-block
    exit 0
}
# A failed check is recorded and the next one runs; a failure that leaves nothing to check ends the run.
fail() {
    echo "FAILED $current: $*"
    failures+=("$current: $*")
    check_failed=true
}
fatal() {
    fail "$@"
    finish
}
check() {
    current="$1"
    check_failed=false
    echo "-- $current"
}
pass() { $check_failed || echo "ok $current"; }
trap 'fatal "the script stopped at line $LINENO"' ERR
trap 'fail "the script stopped at line $LINENO"' ERR

# Polls "$@" every 0.2 s for at most $1 seconds.
within() {
    local seconds="$1" deadline
    shift
    deadline=$((SECONDS + seconds))
    until "$@"; do
        [ "$SECONDS" -lt "$deadline" ] || return 1
        sleep 0.2
    done
}
as_producer() { runuser -u producer -- sh -c "umask 0007; $1"; }
main_pid() { systemctl show -p MainPID --value "$unit"; }
property() { systemctl show -p "$1" --value "$unit"; }
row_state() { sqlite3 "$database" "SELECT state FROM $1 WHERE $2 = '$3'"; }

echo "booted: $(systemctl --version | head -1)"
systemctl is-system-running --wait >/dev/null || true

check "apt-get install ./….deb"
deb="$(ls /ci/in/*.deb)"
DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$deb" >/ci/out/apt-install.txt 2>&1 ||
    fatal "$(tail -5 /ci/out/apt-install.txt)"
pass

check "the installed binary loads no Swift library"
libraries="$(ldd /usr/bin/$name)"
echo "   $(echo "$libraries" | awk '{ print $1 }' | tr '\n' ' ')"
if echo "$libraries" | grep -Ei 'swift|Foundation|dispatch|BlocksRuntime|not found'; then fail "ldd lists the above"; fi
pass

check "the package did not start or enable the service"
[ "$(systemctl is-active "$unit")" = inactive ] || fail "the service is $(systemctl is-active "$unit") right after install"
[ "$(systemctl is-enabled "$unit")" = disabled ] || fail "the service is $(systemctl is-enabled "$unit") right after install"
[ "$(stat -c '%a %U:%G' /etc/$name "$config")" = "$(printf '750 root:%s\n640 root:%s' $name $name)" ] ||
    fail "configuration modes: $(stat -c '%n %a %U:%G' /etc/$name "$config" | tr '\n' ' ')"
pass

check "systemd-analyze verify is clean"
verify="$(systemd-analyze verify "/lib/systemd/system/$unit" 2>&1)" && verify_status=0 || verify_status=$?
[ "$verify_status" -eq 0 ] && [ -z "$verify" ] || fail "exit $verify_status: $verify"
pass

check "systemd-analyze security rates the unit 1.5 or lower"
exposure="$(systemd-analyze security "$unit" 2>&1 | sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p')"
echo "   exposure $exposure"
awk -v e="$exposure" 'BEGIN { exit !(e != "" && e <= 1.5) }' || fail "exposure ${exposure:-unknown}"
pass

check "the simulator runs as another unit on loopback"
# Over TLS when the simulator offers it and the watcher's configuration can trust its CA (api.ca_file).
start_simulator() {
    systemctl stop wechatpay-simulator.service 2>/dev/null
    rm -rf "$sim"
    cat >/etc/systemd/system/wechatpay-simulator.service <<EOF
[Unit]
Description=WeChat Pay simulator for the checks
[Service]
ExecStart=/usr/bin/$name simulate --dir $sim --port $port --failure-rate 0 $*
EOF
    systemctl daemon-reload
    systemctl start wechatpay-simulator.service
    within 30 test -s $sim/wechatpay-watcher.json || fatal "no $sim/wechatpay-watcher.json after 30 s"
}
transport="plain HTTP (this build's simulate has no --tls)"
if /usr/bin/$name simulate --help | grep -q -- '--tls'; then
    start_simulator --tls
    if grep -q '"ca_file"' $sim/wechatpay-watcher.json; then
        transport=TLS
    else
        transport="plain HTTP (this build's configuration has no api.ca_file to trust the simulator's CA)"
        start_simulator
    fi
else
    start_simulator
fi
echo "   simulator over $transport"
pass

check "configure: the simulator's keys and a configuration in /etc"
# Every file the simulator's configuration names (keys, CA) moves to /etc, readable by the group only.
sed -e "s#$sim/watcher.sqlite3#$database#" -e "s#$sim/watcher.log#$log#" "$sim/wechatpay-watcher.json" >"$config.new"
for file in $(grep -o "\"$sim/[^\"]*\"" "$config.new" | tr -d '"' | sort -u); do
    target="/etc/$name/${file#"$sim"/}"
    install -d -m 0750 -g $name "$(dirname "$target")"
    install -m 0640 -g $name "$file" "$target"
done
sed -e "s#$sim/#/etc/$name/#g" "$config.new" >"$config"
rm "$config.new"
grep -q "$database" "$config" || fatal "could not rewrite the simulator's configuration: $(cat "$config")"
setpriv --reuid=$name --regid=$name --init-groups /usr/bin/$name check-config --config "$config" \
    >/ci/out/check-config.txt 2>&1 || fatal "$(cat /ci/out/check-config.txt)"
# As an administrator would, ahead of the first start: root's database must still be the service's, 0660.
$name migrate --config "$config" >/ci/out/migrate.txt 2>&1 || fatal "migrate as root: $(cat /ci/out/migrate.txt)"
useradd --system --no-create-home --groups $name producer
useradd --system --no-create-home outsider
pass

check "systemctl start returns after READY=1 and the unit is active"
journal_cursor="$(journalctl -n 0 --show-cursor --no-pager | sed -n 's/^-- cursor: //p')"
systemctl enable "$unit" 2>/dev/null
systemctl start "$unit" || fatal "systemctl start exited $?"
[ "$(property ActiveState)/$(property SubState)" = active/running ] || fail "$(property ActiveState)/$(property SubState)"
pass

check "STATUS= is visible in systemctl status"
within 10 sh -c "systemctl status --no-pager $unit | grep -q 'Status: \"'" || fail "no Status: line"
systemctl status --no-pager "$unit" | grep 'Status:' | sed 's/^ */   /'
pass

check "the database, -wal and -shm are group-writable and private to the group"
within 10 test -e "$database-shm" || fail "no $database-shm"
for file in "$database" "$database-wal" "$database-shm"; do
    modes="$(stat -c '%a %U:%G' "$file")"
    [ "$modes" = "660 $name:$name" ] || fail "$file is $modes, expected 660 $name:$name"
done
pass

check "a producer in the group, umask 0007, enqueues tasks and a coupon; they reach their final state"
for task in task_000001 task_000002 task_000003; do
    as_producer "$name enqueue --config $config --merchant 1900000001 --brand 120344 --type CUT_OUT $task" ||
        fail "enqueue $task"
done
as_producer "$name enqueue --config $config --merchant 1900000001 --brand 120344 --product-coupon 1000000013" ||
    fail "enqueue the coupon"
pass
check "a producer in the group inserts with the sqlite3 shell"
as_producer "sqlite3 -cmd '.timeout 5000' $database \"INSERT INTO image_generation_tasks (merchant_id, task_id, brand_id, image_generation_type) VALUES ('1900000001', 'task_sqlite3', '120344', 'COMBINE_IMAGE')\"" ||
    fail "the sqlite3 shell could not insert"
pass
check "wait returns each row's final state"
for task in task_000001 task_000002 task_000003 task_sqlite3; do
    if output="$(runuser -u producer -- $name wait --config "$config" --merchant 1900000001 "$task" --timeout 120)"; then
        status=0
    else
        status=$?
    fi
    [ "$status" -eq 0 ] || fail "wait $task exited $status: $output"
done
if output="$(runuser -u producer -- $name wait --config "$config" --merchant 1900000001 --product-coupon 1000000013 --timeout 120 --json)"; then
    status=0
else
    status=$?
fi
case "$status" in 0 | 3) ;; *) fail "wait for the coupon exited $status: $output" ;; esac
echo "   ${output:0:160}"
pass

check "a user outside the group cannot read the database"
if runuser -u outsider -- sqlite3 "$database" "SELECT count(*) FROM image_generation_tasks" >/dev/null 2>&1; then
    fail "outsider read the database"
fi
if runuser -u outsider -- cat "$database" >/dev/null 2>&1; then fail "outsider read the file"; fi
pass

check "systemctl reload rereads the configuration and reopens the log"
sed -i 's/"log_level" *: *"[a-z]*"/"log_level" : "debug"/' "$config"
grep -q '"log_level" : "debug"' "$config" || fail "could not edit log_level"
systemctl reload "$unit" || fail "systemctl reload exited $?"
within 10 grep -q 'config.reloaded' "$log" || fail "no config.reloaded in $log"
pass

check "logrotate -f leaves the daemon writing the new file"
logrotate -f "/etc/logrotate.d/$name" >/ci/out/logrotate.txt 2>&1 || fail "logrotate: $(cat /ci/out/logrotate.txt)"
[ -s "$log.1" ] || fail "no $log.1 after rotation"
as_producer "$name enqueue --config $config --merchant 1900000001 --brand 120344 --type CUT_OUT task_rotated" >/dev/null
within 60 grep -q task_rotated "$log" || fail "the daemon did not write the new $log (still $(ls -l /proc/"$(main_pid)"/fd 2>/dev/null | grep -o 'watcher.log[.0-9]*' | head -1))"
[ "$(stat -c '%a %U:%G' "$log")" = "640 $name:$name" ] || fail "the new log is $(stat -c '%a %U:%G' "$log")"
pass

check "the unit's journal holds no line an operator would have to explain away"
# What systemd says about a unit that starts, reloads and runs normally, and check-config's answer.
expected='(Starting|Started|Reloading|Reloaded) .*WeChat Pay job watcher|configuration .* OK|^OK|: OK'
unexpected="$(journalctl --after-cursor="$journal_cursor" -u "$unit" --no-pager -o cat | grep -Ev "$expected" || true)"
[ -z "$unexpected" ] || fail "unexpected journal lines:
$unexpected"
pass

check "kill -STOP on the main process ends in a watchdog kill and a restart that loses nothing"
before_pid="$(main_pid)"
restarts="$(property NRestarts)"
for index in 1 2 3 4 5; do
    as_producer "$name enqueue --config $config --merchant 1900000001 --brand 120344 --type COMBINE_IMAGE task_watchdog_$index" >/dev/null
done
kill -STOP "$before_pid"
within 120 sh -c "[ \"\$(systemctl show -p NRestarts --value $unit)\" -gt $restarts ] && systemctl is-active --quiet $unit" ||
    fail "no restart within 120 s ($(property ActiveState)/$(property SubState), result $(property Result))"
journalctl -u "$unit" --no-pager -o cat | grep -q 'Watchdog timeout' || fail "the journal does not say the watchdog fired"
[ "$(main_pid)" != "$before_pid" ] || fail "the main process did not change"
for index in 1 2 3 4 5; do
    runuser -u producer -- $name wait --config "$config" --merchant 1900000001 "task_watchdog_$index" --timeout 120 >/dev/null ||
        fail "task_watchdog_$index did not reach SUCCESS after the restart"
done
lost="$(sqlite3 "$database" "SELECT count(*) FROM image_generation_tasks WHERE state NOT IN ('SUCCESS', 'FAIL')")"
[ "$lost" = 0 ] || fail "$lost rows unfinished after the restart"
journal_cursor="$(journalctl -n 0 --show-cursor --no-pager | sed -n 's/^-- cursor: //p')"
pass

check "the package upgrades over itself with the service running"
upgrade_pid="$(main_pid)"
as_producer "$name enqueue --config $config --merchant 1900000001 --brand 120344 --type CUT_OUT task_upgrade" >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --reinstall "$deb" >/ci/out/apt-upgrade.txt 2>&1 ||
    fail "$(tail -5 /ci/out/apt-upgrade.txt)"
systemctl is-active --quiet "$unit" || fail "the service is $(systemctl is-active "$unit") after the upgrade"
[ "$(main_pid)" != "$upgrade_pid" ] || fail "the upgrade did not restart the service"
grep -q '"log_level" : "debug"' "$config" || fail "the upgrade replaced the edited configuration"
[ "$(stat -c '%a %U:%G' "$config")" = "640 root:$name" ] || fail "the configuration is $(stat -c '%a %U:%G' "$config")"
runuser -u producer -- $name wait --config "$config" --merchant 1900000001 task_upgrade --timeout 120 >/dev/null ||
    fail "task_upgrade did not reach SUCCESS"
pass

check "systemctl stop exits 0 within the stop timeout"
stop_started=$SECONDS
systemctl stop "$unit" || fail "systemctl stop exited $?"
[ $((SECONDS - stop_started)) -lt 30 ] || fail "stopping took $((SECONDS - stop_started)) s"
[ "$(property Result)" = success ] || fail "result $(property Result), status $(property ExecMainStatus)"
echo "   stopped in $((SECONDS - stop_started)) s"
pass

check "the journal from the watchdog's restart to the stop holds no line an operator would have to explain away"
expected="$expected|(Stopping|Stopped) .*WeChat Pay job watcher|Deactivated successfully|Consumed .* CPU time"
unexpected="$(journalctl --after-cursor="$journal_cursor" -u "$unit" --no-pager -o cat | grep -Ev "$expected" || true)"
[ -z "$unexpected" ] || fail "unexpected journal lines:
$unexpected"
pass

check "a configuration the daemon refuses fails the start (or the upgrade's restart, said by apt) with the reason in the journal, and is not restarted"
# Exit 2 is not restarted (RestartPreventExitStatus=2): the unit is failed at once, not waiting to start again.
cp "$config" /ci/out/good.json
refused() {
    local cursor
    cursor="$(journalctl -n 0 --show-cursor --no-pager | sed -n 's/^-- cursor: //p')"
    systemctl start "$unit" 2>/dev/null && fail "systemctl start succeeded with $1"
    [ "$(property ActiveState)/$(property Result)/$(property ExecMainStatus)" = failed/exit-code/2 ] ||
        fail "with $1: $(property ActiveState)/$(property SubState), result $(property Result), exit $(property ExecMainStatus)"
    journalctl --after-cursor="$cursor" -u "$unit" --no-pager -o cat | grep -q -e "$2" ||
        fail "with $1 the journal does not say '$2': $(journalctl --after-cursor="$cursor" -u "$unit" --no-pager -o cat | head -5)"
    systemctl reset-failed "$unit"
}
sed -i "s#/etc/$name/1900000001/apiclient_key.pem#/etc/$name/missing.pem#" "$config"
refused "a missing private key" "/etc/$name/missing.pem: cannot read"
cp /ci/out/good.json "$config"
# Outside the unit's folders the database is read-only (ProtectSystem=strict); check-config from a shell says OK.
install -d -m 2770 -o $name -g $name /srv/queue
sed -i "s#$database#/srv/queue/watcher.sqlite3#" "$config"
refused "the database in /srv/queue" "ReadWritePaths=/srv/queue"
cp /ci/out/good.json "$config"
# An upgrade whose restart fails (the configuration was broken while the service ran) still installs, and says so.
systemctl start "$unit" || fail "systemctl start with the configuration restored exited $?"
sed -i "s#/etc/$name/1900000001/apiclient_key.pem#/etc/$name/missing.pem#" "$config"
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --reinstall "$deb" >/ci/out/apt-broken-upgrade.txt 2>&1 ||
    fail "the upgrade failed: $(tail -5 /ci/out/apt-broken-upgrade.txt)"
grep -q 'did not start again after the upgrade' /ci/out/apt-broken-upgrade.txt ||
    fail "the upgrade did not say the service failed to restart: $(tail -5 /ci/out/apt-broken-upgrade.txt)"
cp /ci/out/good.json "$config"
systemctl reset-failed "$unit"
pass

cp "$log" /ci/out/watcher.log
check "apt-get remove keeps the configuration, the database and the logs"
systemctl start "$unit"
DEBIAN_FRONTEND=noninteractive apt-get remove -y -q $name >/ci/out/apt-remove.txt 2>&1 || fail "$(tail -5 /ci/out/apt-remove.txt)"
[ ! -e /usr/bin/$name ] || fail "the binary is still there"
systemctl is-active --quiet "$unit" && fail "the service still runs"
for path in "$config" "$database" "$log"; do [ -e "$path" ] || fail "$path was removed"; done
pass

check "purge removes them"
DEBIAN_FRONTEND=noninteractive apt-get purge -y -q $name >/ci/out/apt-purge.txt 2>&1 || fail "$(tail -5 /ci/out/apt-purge.txt)"
for path in /etc/$name /var/lib/$name /var/log/$name; do [ ! -e "$path" ] || fail "$path is still there"; done
[ -z "$(dpkg-statoverride --list | grep $name)" ] || fail "dpkg-statoverride still lists $(dpkg-statoverride --list | grep $name)"
ls /etc/systemd/system/*.wants/$unit >/dev/null 2>&1 && fail "an enablement link is left"
pass

trap - ERR
finish
