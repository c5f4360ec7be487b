#!/usr/bin/env bash
# Writes the seed corpora in fuzz/corpus/<target>/: a few valid inputs per target, from which the fuzzer mutates.
# The verifier's seeds are answers really signed with the test key of Tests/WatcherTestSupport/TestKeys.swift
# (RSASSA-PKCS1-v1_5 is deterministic, so the files come out the same every time). Needs the openssl command.
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=fuzz/corpus
rm -rf "$corpus"
mkdir -p "$corpus"/{verifier,decoders,errorbody,config,rows,response}
key=$(mktemp)
trap 'rm -f "$key"' EXIT
sed -n '/BEGIN PRIVATE KEY/,/END PRIVATE KEY/p' Tests/WatcherTestSupport/TestKeys.swift | sed 's/^ *//' >"$key"

task_processing='{"brand_id":"120344","task_id":"task_000001","image_generation_type":"CUT_OUT","task_state":"PROCESSING"}'
task_success='{"brand_id":"120344","task_id":"task_000001","image_generation_type":"CUT_OUT","task_state":"SUCCESS","cut_out_result":{"image_url":"https://wxpaylogo.qpic.cn/wxpaylogo/simulated/1900000001/task_000001.jpg"}}'
combine_success='{"brand_id":"120344","task_id":"task_000001","image_generation_type":"COMBINE_IMAGE","task_state":"SUCCESS","combine_image_result":{"image_url":"https://wxpaylogo.qpic.cn/a.jpg"}}'
task_fail='{"brand_id":"120344","task_id":"task_000001","task_state":"FAIL"}'
coupon_effective='{"product_coupon_id":"1000000013","scope":"ALL","type":"DISCOUNT","usage_mode":"SINGLE","single_usage_info":{"discount_coupon":{"threshold":10000,"percent_off":20}},"display_info":{"name":"全场满100立打8折","image_url":"https://a.example/i","background_url":"https://a.example/b","detail_image_url_list":["https://a.example/d1"]},"state":"EFFECTIVE","out_product_no":"Product_1000000013","brand_id":"120344"}'
coupon_deactivated='{"product_coupon_id":"1000000013","scope":"SINGLE","type":"EXCHANGE","usage_mode":"PROGRESSIVE_BUNDLE","progressive_bundle_usage_info":{"count":5,"interval_days":1},"display_info":{"name":"单人套餐兑换券","image_url":"https://a.example/i","original_price":9900,"combo_package_list":[{"name":"主食","pick_count":1,"choice_list":[{"name":"牛肉面","price":3200,"count":1,"image_url":"https://a.example/c1","mini_program_appid":"wx1234567890abcdef","mini_program_path":"/pages/item?id=1"}]}]},"state":"DEACTIVATED","out_product_no":"Product_1000000013","brand_id":"120344","deactivate_request_no":"deactivate_1000000013","deactivate_time":"2026-11-23T13:24:02+08:00","deactivate_reason":"品牌方主动失效"}'

# verifier: timestamp, nonce, signature, serial, signature type (empty: header absent), body.
answer() { # name timestamp nonce serial type body [signature]
    local signature="${7:-}"
    if [ -z "$signature" ]; then
        signature=$(printf '%s\n%s\n%s\n' "$2" "$3" "$6" | openssl dgst -sha256 -sign "$key" | base64 -w0)
    fi
    printf '%s\n%s\n%s\n%s\n%s\n%s' "$2" "$3" "$signature" "$4" "$5" "$6" >"$corpus/verifier/$1"
}
answer signed-processing 1700000000 NONCE0123456789ABCDEF PUB_KEY_ID_FUZZ "" "$task_processing"
answer signed-success 1700000030 5K8264ILTKCH16CQ2502SI8ZNMTM67VS PUB_KEY_ID_FUZZ WECHATPAY2-SHA256-RSA2048 "$task_success"
answer signed-coupon 1700000000 NONCE0123456789ABCDEF PUB_KEY_ID_FUZZ "" "$coupon_deactivated"
answer signtest-probe 1700000000 NONCE0123456789ABCDEF PUB_KEY_ID_FUZZ "" "$task_processing" \
    "WECHATPAY/SIGNTEST/$(head -c 256 /dev/zero | base64 -w0)"
answer wrong-serial 1700000000 NONCE0123456789ABCDEF PUB_KEY_ID_OTHER "" "$task_processing"
answer stale-timestamp 1699999000 NONCE0123456789ABCDEF PUB_KEY_ID_FUZZ "" "$task_processing"
answer other-signature-type 1700000000 NONCE0123456789ABCDEF PUB_KEY_ID_FUZZ HMAC-SHA256 "$task_processing"

# decoders: verified answer bodies.
printf '%s' "$task_processing" >"$corpus/decoders/task-processing.json"
printf '%s' "$task_success" >"$corpus/decoders/task-cut-out-success.json"
printf '%s' "$combine_success" >"$corpus/decoders/task-combine-success.json"
printf '%s' "$task_fail" >"$corpus/decoders/task-fail.json"
printf '%s' "$coupon_effective" >"$corpus/decoders/coupon-effective.json"
printf '%s' "$coupon_deactivated" >"$corpus/decoders/coupon-deactivated.json"

# errorbody: unsigned 4xx/5xx bodies.
printf '%s' '{"code":"PARAM_ERROR","message":"brand_id 参数错误","detail":{"field":"brand_id","value":"x","issue":"invalid","location":"query"}}' \
    >"$corpus/errorbody/param-error.json"
printf '%s' '{"code":"FREQUENCY_LIMITED","message":"频率超限"}' >"$corpus/errorbody/throttled.json"
printf '%s' '{"code":"SYSTEM_ERROR","message":"系统错误","detail":null}' >"$corpus/errorbody/system-error.json"
printf '%s' '<html><body>502 Bad Gateway</body></html>' >"$corpus/errorbody/html.txt"

# config: the example file and a minimal loopback one.
cp config/wechatpay-watcher.example.json "$corpus/config/example.json"
printf '%s' '{"database":"w.sqlite3","api":{"base_url":"http://127.0.0.1:8080"},"merchants":[{"mchid":"1900000001","certificate_serial":"ABC","private_key_file":"k.pem","wechatpay_public_key_id":"PUB_KEY_ID_1","wechatpay_public_key_file":"p.pem"}]}' \
    >"$corpus/config/minimal.json"

# rows: merchant, id, brand, type separated by NUL bytes.
printf '1900000001\0task_000001\0120344\0CUT_OUT' >"$corpus/rows/task"
printf '1900000001\0demo-1_002\0brand_1\0COMBINE_IMAGE' >"$corpus/rows/task-combine"
printf '1900000001\01000000013\0120344\0' >"$corpus/rows/coupon"
printf '1900000001\0bad id!\0\0SOMETHING' >"$corpus/rows/invalid"

# response: a control byte (split point and cap), then an answer as a server sends it.
response() { printf '%b' "$2" >"$corpus/response/$1"; }
response content-length '\x00HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nRequest-ID: 08F5B8C2-0\r\nContent-Length: 11\r\n\r\n{"ok":true}'
response chunked '\x20HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\n'
response interim '\x10HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n'
response until-close '\x03HTTP/1.0 200 OK\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\n\r\nall of the rest'
response error-answer '\x41HTTP/1.1 429 Too Many Requests\r\nContent-Length: 51\r\n\r\n{"code":"FREQUENCY_LIMITED","message":"频率超限"}'
response connect-answer '\x00HTTP/1.1 200 Connection Established\r\n\r\n'
response proxy-407 '\x00HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="x"\r\nContent-Length: 0\r\n\r\n'
response compressed '\x00HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 2\r\n\r\nxx'
