#!/bin/sh
# Regenerates the pay-sign vectors with the openssl command line (not with this
# library): SHA256withRSA over the lines the cashier checks, with keys/merchant_key.pem.
# PKCS#1 v1.5 is deterministic, so the library must reproduce `json` byte for byte.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
key="$here/../keys/merchant_key.pem"

# jsapi NAME APPID TIMESTAMP NONCE PREPAY_ID
jsapi() {
    d="$here/$1"
    mkdir -p "$d"
    printf 'jsapi' > "$d/kind"
    printf '%s' "$2" > "$d/appid"
    printf '%s' "$3" > "$d/timestamp"
    printf '%s' "$4" > "$d/nonce"
    printf '%s' "$5" > "$d/prepay_id"
    printf '%s\n%s\n%s\nprepay_id=%s\n' "$2" "$3" "$4" "$5" > "$d/message"
    openssl dgst -sha256 -sign "$key" "$d/message" | base64 -w0 > "$d/signature"
    printf '{"appId":"%s","timeStamp":"%s","nonceStr":"%s","package":"prepay_id=%s","signType":"RSA","paySign":"%s"}' \
        "$2" "$3" "$4" "$5" "$(cat "$d/signature")" > "$d/json"
}

# app NAME APPID PARTNERID TIMESTAMP NONCE PREPAY_ID
app() {
    d="$here/$1"
    mkdir -p "$d"
    printf 'app' > "$d/kind"
    printf '%s' "$2" > "$d/appid"
    printf '%s' "$3" > "$d/partnerid"
    printf '%s' "$4" > "$d/timestamp"
    printf '%s' "$5" > "$d/nonce"
    printf '%s' "$6" > "$d/prepay_id"
    printf '%s\n%s\n%s\n%s\n' "$2" "$4" "$5" "$6" > "$d/message"
    openssl dgst -sha256 -sign "$key" "$d/message" | base64 -w0 > "$d/signature"
    printf '{"appid":"%s","partnerid":"%s","prepayid":"%s","package":"Sign=WXPay","noncestr":"%s","timestamp":"%s","sign":"%s"}' \
        "$2" "$3" "$6" "$5" "$4" "$(cat "$d/signature")" > "$d/json"
}

jsapi jsapi wx8888888888888888 1414561699 5K8264ILTKCH16CQ2502SI8ZNMTM67VS \
    wx201410272009395522657a690389285100
jsapi miniprogram wxd678efh567hg6787 1700000000 593BEC0C930BF1AFEB40B4A08C8FB242 \
    wx17144813292497b3f1a5d4b1c0dc270000
app app wx8888888888888888 1900000109 1700000123 C380BEC2BFD727A4B6845133519F3AD6 \
    WX1217752501201407033233368018
