#!/bin/sh
# Regenerates the APIv2 vectors with the openssl command line (never with this
# library). Not run by the build: the files are committed; the tests check the library
# against them, and recompute them with openssl where it is on the machine.
#
# sign/<case>/: fields.json (the fields, as a flat JSON object), key (the APIv2 key),
#   sign_type (MD5 or HMAC-SHA256), message (what is signed: the non-empty fields but
#   sign, sorted by name, `k=v` joined by `&`, then `&key=KEY`), sign (upper-case hex).
# refund-notify/: key, req_info.xml (the plaintext), req_info (its AES-256-ECB, PKCS#7,
#   base64, under the lower-case hex MD5 of key), body.xml (the notification).
set -eu
here=$(cd "$(dirname "$0")" && pwd)

# make_sign NAME TYPE KEY MESSAGE_WITHOUT_KEY
make_sign() {
    d="$here/sign/$1"
    mkdir -p "$d"
    printf '%s' "$2" > "$d/sign_type"
    printf '%s' "$3" > "$d/key"
    printf '%s&key=%s' "$4" "$3" > "$d/message"
    if [ "$2" = MD5 ]; then
        openssl dgst -md5 -r "$d/message" | cut -d' ' -f1 | tr a-f A-F | tr -d '\n' > "$d/sign"
    else
        openssl dgst -sha256 -hmac "$3" -r "$d/message" | cut -d' ' -f1 | tr a-f A-F | tr -d '\n' > "$d/sign"
    fi
}

# WeChat Pay's own example from its signing page (appid .. nonce_str, key below).
make_sign wechat-example-md5 MD5 192006250b4c09247ec02edce69f6a2d \
    'appid=wxd930ea5d5a258f4f&body=test&device_info=1000&mch_id=10000100&nonce_str=ibuaiVcKdpRxkhJA'
make_sign wechat-example-hmac HMAC-SHA256 192006250b4c09247ec02edce69f6a2d \
    'appid=wxd930ea5d5a258f4f&body=test&device_info=1000&mch_id=10000100&nonce_str=ibuaiVcKdpRxkhJA&sign_type=HMAC-SHA256'
# A till sale: Chinese text, a number, an empty field left out, an old sign ignored.
make_sign micropay-md5 MD5 8934e7d15453e97507ef794cf7b0519d \
    'appid=wx2421b1c4370ec43b&auth_code=120061098828009406&body=刷卡支付测试&mch_id=10000100&nonce_str=5K8264ILTKCH16CQ2502SI8ZNMTM67VS&out_trade_no=1415757673&spbill_create_ip=14.17.22.52&total_fee=1'
make_sign orderquery-hmac HMAC-SHA256 8934e7d15453e97507ef794cf7b0519d \
    'appid=wx2421b1c4370ec43b&mch_id=10000100&nonce_str=ec2316275641faa3aacf3cc599e8730f&out_trade_no=1415757673&sign_type=HMAC-SHA256'

d="$here/refund-notify"
mkdir -p "$d"
key=8934e7d15453e97507ef794cf7b0519d
printf '%s' "$key" > "$d/key"
k=$(printf '%s' "$key" | openssl dgst -md5 -r | cut -d' ' -f1)
# AES-256 takes a 32-byte key: the 32 hex characters of the MD5, as text.
khex=$(printf '%s' "$k" | od -An -tx1 | tr -d ' \n')
openssl enc -aes-256-ecb -K "$khex" -base64 -A -in "$d/req_info.xml" | tr -d '\n' > "$d/req_info"
printf '<xml><return_code>SUCCESS</return_code><appid><![CDATA[wx2421b1c4370ec43b]]></appid><mch_id><![CDATA[10000100]]></mch_id><nonce_str><![CDATA[TeqClE3i0mvn3DrK]]></nonce_str><req_info><![CDATA[%s]]></req_info></xml>' \
    "$(cat "$d/req_info")" > "$d/body.xml"
