#!/bin/bash
# Outage drill: WeChat Pay answers every request with 500 SYSTEM_ERROR for OUTAGE seconds, then recovers.
# Every task finishes during the outage; prints how long after the recovery all were noticed, and how many
# requests were sent during the outage and in all.
#
#   scripts/outage-drill.sh [BINARY] [OUTAGE_SECONDS] [ROWS]
#
# Needs python3 and curl; runs the simulator (TLS, one merchant) on 127.0.0.1 in a temporary folder.
set -euo pipefail
binary=${1:-.build/release/wechatpay-watcher}
outage=${2:-60}
rows=${3:-200}
folder=$(mktemp -d -t wechatpay-watcher-outage.XXXXXX)
simulator=""
daemon=""
cleanup() {
    [ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
    [ -n "$simulator" ] && kill "$simulator" 2>/dev/null && wait "$simulator" 2>/dev/null
    rm -rf "$folder"
}
trap cleanup EXIT

"$binary" simulate --dir "$folder" --tls --merchants 1 >"$folder/simulator.out" 2>&1 &
simulator=$!
for _ in $(seq 1 100); do
    grep -q "listening on" "$folder/simulator.out" 2>/dev/null && break
    sleep 0.1
done
base=$(sed -n 's/.*listening on \(https:[^ ]*\).*/\1/p' "$folder/simulator.out")
[ -n "$base" ] || { echo "the simulator did not start: $(cat "$folder/simulator.out")" >&2; exit 1; }
config="$folder/wechatpay-watcher.json"
database=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["database"])' "$config")
"$binary" migrate --config "$config" >/dev/null
# The tasks exist from now and finish within 2–21 s, all before the outage ends.
python3 - "$rows" <<'PY' | curl -sk -X POST --data-binary @- "$base/_sim/resources" >/dev/null
import json, sys
print(json.dumps([
    {"api": "image_generation_task", "mchid": "1900000001", "id": "outage_%05d" % i, "brand_id": "120344",
     "image_generation_type": "COMBINE_IMAGE", "duration_seconds": 2 + i % 20, "outcome": "success"}
    for i in range(int(sys.argv[1]))]))
PY
python3 - "$database" "$rows" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=10)
with db:
    db.executemany(
        "INSERT INTO image_generation_tasks (merchant_id, task_id, brand_id, image_generation_type) VALUES (?,?,?,?)",
        [("1900000001", "outage_%05d" % i, "120344", "COMBINE_IMAGE") for i in range(int(sys.argv[2]))])
PY
faults() { curl -sk -X PUT -d "$1" "$base/_sim/faults" >/dev/null; }
requests() { curl -sk "$base/_sim/stats" | python3 -c 'import json,sys; print(sum(l["requests"] for l in json.load(sys.stdin)["lanes"].values()))'; }
unfinished() {
    python3 - "$database" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=10)
print(db.execute("SELECT count(*) FROM image_generation_tasks WHERE state IN ('PENDING','PROCESSING')").fetchone()[0])
PY
}

faults '{"probabilities":{"server_error":1.0}}'
"$binary" run --config "$config" >"$folder/run.out" 2>&1 &
daemon=$!
sleep "$outage"
during=$(requests)
faults '{"probabilities":{}}'
recovered=$(date +%s.%N)
while [ "$(unfinished)" != "0" ]; do
    sleep 0.2
    if [ "$(echo "$(date +%s.%N) - $recovered > 600" | bc)" = 1 ]; then echo "not drained in 600 s" >&2; exit 1; fi
done
drained=$(date +%s.%N)
printf 'outage %s s, %s rows: every task noticed %.1f s after the recovery; %s requests during the outage, %s in all\n' \
    "$outage" "$rows" "$(echo "$drained - $recovered" | bc)" "$during" "$(requests)"
