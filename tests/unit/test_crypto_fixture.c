#define _GNU_SOURCE
#include "test_crypto_fixture.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int wxct_openssl(char **out, char **errout, const char *fmt, ...)
{
    char *args = NULL;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&args, fmt, ap) < 0)
        fail_msg("vasprintf");
    va_end(ap);
    int rc = wxt_sh(out, errout, "'%s' %s", OPENSSL_CLI, args);
    free(args);
    return rc;
}

static void must(const char *what, int rc, char *err)
{
    if (rc != 0)
        fail_msg("openssl %s failed (%d): %s", what, rc, err ? err : "");
    free(err);
}

#define RUN(what, ...)                                \
    do {                                              \
        char *e_ = NULL;                              \
        int rc_ = wxct_openssl(NULL, &e_, __VA_ARGS__); \
        must(what, rc_, e_);                          \
    } while (0)

static void self_signed(const char *key, const char *out, const char *serial, const char *cn)
{
    RUN("req", "req -new -x509 -key '%s' -out '%s' -days 30 -sha256 -subj '/CN=%s' -set_serial 0x%s",
        key, out, cn, serial);
}

static wxct_fixture g_fx;

const wxct_fixture *wxct_get(void)
{
    if (g_fx.dir)
        return &g_fx;
    wxct_fixture f;
    f.dir = wxt_tmpdir("crypto-fixture");
#define P(field, name) f.field = wxt_path(f.dir, name)
    P(key_pkcs8, "key.pem");
    P(key_pkcs1, "key_pkcs1.pem");
    P(key_der, "key.der");
    P(key_enc_aes, "key_enc_aes.pem");
    P(key_enc_des3, "key_enc_des3.pem");
    P(key_enc_legacy, "key_enc_legacy.pem");
    P(pub_spki, "pub.pem");
    P(pub_pkcs1, "pub_pkcs1.pem");
    P(cert, "cert.pem");
    P(cert_high, "cert_high.pem");
    P(cert_low, "cert_low.pem");
    P(other_key, "other.pem");
    P(ec_key, "ec.pem");
    P(ec_cert, "ec_cert.pem");
    P(ed_key, "ed25519.pem");
    P(ec_pub, "ec_pub.pem");
#undef P
    RUN("genpkey", "genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out '%s'", f.key_pkcs8);
    RUN("rsa -traditional", "rsa -in '%s' -traditional -out '%s'", f.key_pkcs8, f.key_pkcs1);
    RUN("pkey DER", "pkey -in '%s' -outform DER -out '%s'", f.key_pkcs8, f.key_der);
    /* OpenSSL 3's default: PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC. */
    RUN("pkcs8 aes", "pkcs8 -topk8 -in '%s' -out '%s' -passout 'pass:%s'", f.key_pkcs8,
        f.key_enc_aes, WXCT_PASSWORD);
    RUN("pkcs8 des3", "pkcs8 -topk8 -v2 des3 -in '%s' -out '%s' -passout 'pass:%s'", f.key_pkcs8,
        f.key_enc_des3, WXCT_PASSWORD);
    RUN("rsa -aes256", "rsa -in '%s' -traditional -aes256 -out '%s' -passout 'pass:%s'",
        f.key_pkcs8, f.key_enc_legacy, WXCT_PASSWORD);
    RUN("pkey -pubout", "pkey -in '%s' -pubout -out '%s'", f.key_pkcs8, f.pub_spki);
    RUN("rsa -RSAPublicKey_out", "rsa -in '%s' -RSAPublicKey_out -out '%s'", f.key_pkcs8,
        f.pub_pkcs1);
    self_signed(f.key_pkcs8, f.cert, WXCT_SERIAL, "Wechatpay Test Platform");
    self_signed(f.key_pkcs8, f.cert_high, "9E0011223344556677889900AABBCCDDEEFF0011", "high");
    self_signed(f.key_pkcs8, f.cert_low, "0A1B2C3D", "low");
    RUN("genpkey other", "genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out '%s'",
        f.other_key);
    RUN("genpkey ec", "genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out '%s'",
        f.ec_key);
    self_signed(f.ec_key, f.ec_cert, "01", "ec");
    RUN("pkey ec -pubout", "pkey -in '%s' -pubout -out '%s'", f.ec_key, f.ec_pub);
    RUN("genpkey ed25519", "genpkey -algorithm ED25519 -out '%s'", f.ed_key);
    g_fx = f;
    return &g_fx;
}

wx_privkey_t *wxct_privkey(const char *path, const char *password)
{
    wx_error_t err = {0};
    wx_privkey_t *k = NULL;
    if (wx_privkey_load_file(path, password, &k, &err) != WX_OK)
        fail_msg("load %s: %s", path, err.message);
    return k;
}

wx_pubkey_t *wxct_pubkey(const char *path)
{
    wx_error_t err = {0};
    wx_pubkey_t *k = NULL;
    if (wx_pubkey_load_file(path, &k, &err) != WX_OK)
        fail_msg("load %s: %s", path, err.message);
    return k;
}

size_t wxct_unhex(const char *hex, unsigned char *out, size_t cap)
{
    size_t n = 0;
    for (; hex[0] && hex[1]; hex += 2) {
        unsigned v = 0;
        if (n == cap || sscanf(hex, "%2x", &v) != 1)
            fail_msg("bad hex vector");
        out[n++] = (unsigned char)v;
    }
    return n;
}

int64_t wxct_openssl_date(const char *text)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (!strptime(text, "%b %d %H:%M:%S %Y GMT", &tm))
        fail_msg("cannot parse date '%s'", text);
    return (int64_t)timegm(&tm);
}
