/* libFuzzer target for key and certificate loading (src/crypto/keys.c and the
 * backend's PEM/DER parsers): wx_privkey_load and wx_pubkey_load on arbitrary bytes,
 * as given and wrapped in PEM armour.
 *
 * Input: byte 0 is a set of switches, the rest the payload.
 *   0x01  wrap: base64 the payload in 64-column lines between BEGIN/END lines
 *   0x0e  which label when wrapping (PRIVATE KEY, RSA PRIVATE KEY, ENCRYPTED PRIVATE
 *         KEY, CERTIFICATE, PUBLIC KEY, RSA PUBLIC KEY, EC PRIVATE KEY, X509 CRL)
 *   0x10  give the password "fuzz-pass"
 * Checked on every input:
 * - each load gives WX_OK, WX_E_KEY or WX_E_NOMEM; a failure leaves *out NULL and says
 *   why, and no message carries a run of base64 long enough to be key material;
 * - a private key that loads signs, and its public half verifies that signature;
 * - a public key that loads has a serial that is NULL or upper-case hex, rejects a
 *   signature made by another key, and copes with a garbage signature;
 * - nothing leaks and nothing crashes (ASan/UBSan).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wechatpay/crypto.h>

#include "fuzz_support.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const k_labels[] = {"PRIVATE KEY", "RSA PRIVATE KEY", "ENCRYPTED PRIVATE KEY",
                                       "CERTIFICATE", "PUBLIC KEY",      "RSA PUBLIC KEY",
                                       "EC PRIVATE KEY", "X509 CRL"};

static wx_privkey_t *g_other;
static char *g_other_sig; /* a signature of "fuzz" made with the golden other_key */

static void setup(void)
{
    if (g_other)
        return;
    const char *o = wxf_golden("other_key.pem");
    if (wx_privkey_load(o, strlen(o), NULL, &g_other, NULL) != WX_OK ||
        wx_rsa_sign(g_other, "fuzz", 4, &g_other_sig, NULL) != WX_OK)
        abort();
}

static int b64_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '+' || c == '/' || c == '=';
}

static void check_message(const wx_error_t *err)
{
    size_t n = strnlen(err->message, sizeof err->message);
    if (n == 0 || n >= sizeof err->message)
        abort();
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        run = b64_char(err->message[i]) ? run + 1 : 0;
        if (run >= 48)
            abort();
    }
}

static char *wrap(const uint8_t *data, size_t size, const char *label, size_t *out_len)
{
    char *b64 = NULL;
    if (wx_base64_encode(data, size, &b64) != WX_OK)
        return NULL;
    size_t blen = strlen(b64);
    size_t cap = blen + blen / 64 + 2 * strlen(label) + 64;
    char *pem = malloc(cap);
    size_t off = (size_t)snprintf(pem, cap, "-----BEGIN %s-----\n", label);
    for (size_t i = 0; i < blen; i += 64) {
        size_t k = blen - i < 64 ? blen - i : 64;
        memcpy(pem + off, b64 + i, k);
        off += k;
        pem[off++] = '\n';
    }
    off += (size_t)snprintf(pem + off, cap - off, "-----END %s-----\n", label);
    wx_free(b64);
    *out_len = off;
    return pem;
}

static void try_private(const char *text, size_t len, const char *password)
{
    wx_privkey_t *key = (wx_privkey_t *)1;
    wx_error_t err;
    memset(&err, 0, sizeof err);
    wx_err rc = wx_privkey_load(text, len, password, &key, &err);
    if (rc != WX_OK) {
        if (key || (rc != WX_E_KEY && rc != WX_E_NOMEM))
            abort();
        check_message(&err);
        return;
    }
    char *sig = NULL;
    wx_pubkey_t *pub = NULL;
    if (wx_rsa_sign(key, "fuzz", 4, &sig, NULL) != WX_OK ||
        wx_pubkey_from_privkey(key, &pub, NULL) != WX_OK || !wx_keys_match(key, pub) ||
        wx_rsa_verify(pub, "fuzz", 4, sig, NULL) != WX_OK)
        abort();
    wx_free(sig);
    wx_pubkey_free(pub);
    wx_privkey_free(key);
}

static void try_public(const char *text, size_t len)
{
    wx_pubkey_t *key = (wx_pubkey_t *)1;
    wx_error_t err;
    memset(&err, 0, sizeof err);
    wx_err rc = wx_pubkey_load(text, len, &key, &err);
    if (rc != WX_OK) {
        if (key || (rc != WX_E_KEY && rc != WX_E_NOMEM))
            abort();
        check_message(&err);
        return;
    }
    const char *serial = wx_pubkey_serial(key);
    for (const char *p = serial; p && *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'F')))
            abort();
    int64_t nb = 0, na = 0;
    wx_pubkey_validity(key, &nb, &na);
    /* Not the other key's public half (that would be the golden other_cert itself). */
    if (!wx_keys_match(g_other, key) &&
        wx_rsa_verify(key, "fuzz", 4, g_other_sig, NULL) == WX_OK)
        abort();
    if (wx_rsa_verify(key, "fuzz", 4, "AAAA", NULL) == WX_OK)
        abort();
    wx_pubkey_free(key);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 16384)
        return 0;
    setup();
    uint8_t sw = data[0];
    const char *password = (sw & 0x10) ? "fuzz-pass" : NULL;
    const uint8_t *payload = data + 1;
    size_t plen = size - 1;
    char *text;
    size_t tlen;
    /* Exactly tlen bytes, no NUL after them: the loaders take a length, and ASan
       catches a parser that reads past it. */
    if (sw & 0x01) {
        char *pem = wrap(payload, plen, k_labels[(sw >> 1) & 7], &tlen);
        if (!pem)
            return 0;
        text = malloc(tlen);
        memcpy(text, pem, tlen);
        free(pem);
    } else {
        tlen = plen;
        text = malloc(tlen ? tlen : 1);
        memcpy(text, payload, tlen);
    }
    try_private(text, tlen, password);
    try_public(text, tlen);
    free(text);
    return 0;
}
