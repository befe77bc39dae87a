#!/bin/sh
# Regenerates the notification vectors. Not run by the build: the files are committed,
# and the tests check the library against them.
#   signature: the openssl command line (SHA256withRSA with keys/platform_key.pem)
#   resource:  AEAD_AES_256_GCM through Node's crypto module (OpenSSL's GCM), because
#              `openssl enc` refuses AEAD ciphers; the library must reproduce the
#              ciphertext byte for byte (GCM is deterministic for a given key and nonce).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
keys="$here/../keys"
serial=5157F09EFDC096DE15EBE81A47057A7232F1B8E1

# make_case NAME TIMESTAMP NONCE APIV3_KEY RESOURCE_NONCE AAD ORIGINAL_TYPE EVENT SUMMARY ID
make_case() {
    d="$here/$1"
    mkdir -p "$d"
    printf '%s' "$2" > "$d/timestamp"
    printf '%s' "$3" > "$d/nonce"
    printf '%s' "$4" > "$d/apiv3_key"
    printf '%s' "$serial" > "$d/serial"
    cipher=$(node -e '
        const c = require("crypto"), fs = require("fs");
        const [key, nonce, aad, file] = process.argv.slice(1);
        const g = c.createCipheriv("aes-256-gcm", Buffer.from(key, "latin1"), Buffer.from(nonce, "latin1"));
        g.setAAD(Buffer.from(aad, "utf8"));
        const out = Buffer.concat([g.update(fs.readFileSync(file)), g.final(), g.getAuthTag()]);
        process.stdout.write(out.toString("base64"));
    ' "$4" "$5" "$6" "$d/resource.json")
    if [ -n "$6" ]; then aad_member=",\"associated_data\":\"$6\""; else aad_member=""; fi
    printf '{"id":"%s","create_time":"2023-11-15T06:13:20+08:00","resource_type":"encrypt-resource","event_type":"%s","summary":"%s","resource":{"original_type":"%s","algorithm":"AEAD_AES_256_GCM","ciphertext":"%s"%s,"nonce":"%s"}}' \
        "${10}" "$8" "$9" "$7" "$cipher" "$aad_member" "$5" > "$d/body"
    { printf '%s\n%s\n' "$2" "$3"; cat "$d/body"; printf '\n'; } > "$d/message"
    openssl dgst -sha256 -sign "$keys/platform_key.pem" "$d/message" | base64 -w0 > "$d/signature"
}

make_case transaction 1700000000 fdasfwqewlkja484w 'a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb' \
    1f5EuvhVgmH6 transaction transaction TRANSACTION.SUCCESS '支付成功' \
    EV-2018022511223320873
make_case refund 1700000123 4Y2JQ3NP8D3T6YQ0Y3U6B1C2D3E4F5A6 'a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb' \
    OaDsrwVbJ7nC '' refund REFUND.SUCCESS '退款成功' \
    EV-2023111512345678901

# Headers as a web server would save them: the transaction one with its request line
# and CRLF, the refund one with LF and lower-case names.
d="$here/transaction"
printf 'POST /pay/notify HTTP/1.1\r\nHost: merchant.example\r\nContent-Type: application/json\r\nWechatpay-Nonce: %s\r\nWechatpay-Serial: %s\r\nWechatpay-Signature: %s\r\nWechatpay-Timestamp: %s\r\nUser-Agent: Mozilla/4.0\r\n\r\n' \
    "$(cat "$d/nonce")" "$(cat "$d/serial")" "$(cat "$d/signature")" "$(cat "$d/timestamp")" > "$d/headers"
d="$here/refund"
printf 'content-type: application/json\nwechatpay-timestamp: %s\nwechatpay-nonce: %s\nwechatpay-signature: %s\nwechatpay-serial: %s\n' \
    "$(cat "$d/timestamp")" "$(cat "$d/nonce")" "$(cat "$d/signature")" "$(cat "$d/serial")" > "$d/headers"
