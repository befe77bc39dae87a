/* What both crypto backends share: the library's identity, the first look at key
 * input (so both backends reject the wrong kind of PEM with the same words),
 * certificate serial and time conversion, and certificate spec checking. */
#include <arpa/inet.h>
#include <string.h>
#include <time.h>
#include <wechatpay/version.h>

#include "backend.h"
#include "util/error.h"

const char *wx_version(void) { return WX_VERSION_STRING; }

const char *wx_crypto_backend(void) { return wxc_backend_name(); }
const char *wx_crypto_backend_version(void) { return wxc_backend_version(); }

/* ------------------------------------------------------------ PEM labels */

typedef enum {
    PEM_PRIVATE,     /* "PRIVATE KEY", "RSA PRIVATE KEY" */
    PEM_ENCRYPTED,   /* "ENCRYPTED PRIVATE KEY" */
    PEM_OTHER_PRIV,  /* "EC PRIVATE KEY", "OPENSSH PRIVATE KEY", ... */
    PEM_CERT,        /* "CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE" */
    PEM_PUBLIC,      /* "PUBLIC KEY", "RSA PUBLIC KEY" */
    PEM_OTHER_PUB,   /* "EC PUBLIC KEY", ... */
    PEM_OTHER
} pem_kind;

static const char k_begin[] = "-----BEGIN ";

static const char *find_mem(const char *hay, size_t hay_len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; n <= hay_len && i <= hay_len - n; i++)
        if (hay[i] == needle[0] && memcmp(hay + i, needle, n) == 0)
            return hay + i;
    return NULL;
}

static int ends_with(const char *s, size_t len, const char *suffix)
{
    size_t n = strlen(suffix);
    return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

static int equals(const char *s, size_t len, const char *word)
{
    return strlen(word) == len && memcmp(s, word, len) == 0;
}

static pem_kind classify(const char *label, size_t n)
{
    if (equals(label, n, "PRIVATE KEY") || equals(label, n, "RSA PRIVATE KEY"))
        return PEM_PRIVATE;
    if (equals(label, n, "ENCRYPTED PRIVATE KEY"))
        return PEM_ENCRYPTED;
    if (ends_with(label, n, "PRIVATE KEY"))
        return PEM_OTHER_PRIV;
    if (ends_with(label, n, "CERTIFICATE"))
        return PEM_CERT;
    if (equals(label, n, "PUBLIC KEY") || equals(label, n, "RSA PUBLIC KEY"))
        return PEM_PUBLIC;
    if (ends_with(label, n, "PUBLIC KEY"))
        return PEM_OTHER_PUB;
    return PEM_OTHER;
}

/* Calls fn for each "-----BEGIN LABEL-----" line until it returns nonzero. */
static int each_label(const char *pem, size_t len, int (*fn)(pem_kind, const char *, void *),
                      void *ctx)
{
    const char *end = pem + len, *p = pem;
    while ((p = find_mem(p, (size_t)(end - p), k_begin)) != NULL) {
        const char *label = p + sizeof k_begin - 1;
        const char *stop = find_mem(label, (size_t)(end - label), "-----");
        if (!stop)
            return 0;
        const char *nl = memchr(label, '\n', (size_t)(stop - label));
        if (!nl && fn(classify(label, (size_t)(stop - label)), label, ctx))
            return 1;
        p = stop;
    }
    return 0;
}

/* How many blocks of each kind a PEM text holds. */
typedef struct {
    int seen, has_private, has_encrypted, has_other_priv, has_cert, has_public, has_other_pub;
} pem_census;

static int count_kind(pem_kind k, const char *label, void *ctx)
{
    (void)label;
    pem_census *c = ctx;
    c->seen = 1;
    c->has_private += k == PEM_PRIVATE;
    c->has_encrypted += k == PEM_ENCRYPTED;
    c->has_other_priv += k == PEM_OTHER_PRIV;
    c->has_cert += k == PEM_CERT;
    c->has_public += k == PEM_PUBLIC;
    c->has_other_pub += k == PEM_OTHER_PUB;
    return 0;
}

/* 1 when something other than white space follows the last "-----END ...-----". */
static int trailing_garbage(const char *pem, size_t len)
{
    const char *last = NULL, *p = pem, *end = pem + len;
    while ((p = find_mem(p, (size_t)(end - p), "-----END ")) != NULL)
        last = p++;
    if (!last)
        return 0; /* no END line: the parser says what is wrong */
    const char *stop = find_mem(last + 9, (size_t)(end - last - 9), "-----");
    for (p = stop ? stop + 5 : end; p < end; p++)
        if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n' && *p != 0)
            return 1;
    return 0;
}

wx_err wxc_pem_check(const char *pem, size_t len, int want_private, wx_error_t *err)
{
    const char *what = want_private ? "private key" : "public key";
    if (!pem || !len)
        return wx_error_set(err, WX_E_KEY, what, "empty input: " WXC_MSG_NOT_PEM);
    pem_census c = {0};
    each_label(pem, len, count_kind, &c);
    if (!c.seen) {
        /* DER: an ASN.1 SEQUENCE with a long-form length, as every RSA key and
         * certificate of a usable size has. */
        if (len > 4 && (unsigned char)pem[0] == 0x30 && ((unsigned char)pem[1] & 0x80))
            return WX_OK;
        return wx_error_set(err, WX_E_KEY, what, WXC_MSG_NOT_PEM);
    }
    /* A file is one key (a certificate may come with its chain): anything else is a
       mistake that picking the first block would hide. */
    if (trailing_garbage(pem, len))
        return wx_error_set(err, WX_E_KEY, what,
                            "data after the last -----END----- line: not a clean PEM file");
    if (want_private && c.has_private + c.has_encrypted > 1)
        return wx_error_set(err, WX_E_KEY, what,
                            "%d private keys in one PEM: give exactly one",
                            c.has_private + c.has_encrypted);
    if (!want_private && !c.has_cert && c.has_public > 1)
        return wx_error_set(err, WX_E_KEY, what, "%d public keys in one PEM: give exactly one",
                            c.has_public);
    if (want_private) {
        if (c.has_private || c.has_encrypted)
            return WX_OK;
        if (c.has_other_priv)
            return wx_error_set(err, WX_E_KEY, what, WXC_MSG_NOT_RSA);
        if (c.has_cert)
            return wx_error_set(err, WX_E_KEY, what, WXC_MSG_CERT_NOT_PRIV);
        if (c.has_public || c.has_other_pub)
            return wx_error_set(err, WX_E_KEY, what, WXC_MSG_PUB_NOT_PRIV);
        return wx_error_set(err, WX_E_KEY, what, WXC_MSG_NOT_PEM);
    }
    if (c.has_cert || c.has_public)
        return WX_OK;
    if (c.has_other_pub)
        return wx_error_set(err, WX_E_KEY, what, WXC_MSG_NOT_RSA);
    if (c.has_private || c.has_encrypted || c.has_other_priv)
        return wx_error_set(err, WX_E_KEY, what, WXC_MSG_PRIV_NOT_PUB);
    return wx_error_set(err, WX_E_KEY, what, WXC_MSG_NOT_PEM);
}

int wxc_pem_is_encrypted(const char *pem, size_t len)
{
    pem_census c = {0};
    each_label(pem, len, count_kind, &c);
    return c.has_encrypted || find_mem(pem, len, "Proc-Type: 4,ENCRYPTED") != NULL;
}

/* ------------------------------------------------------------ self-test */

wx_err wxc_privkey_selftest(const wxc_privkey *k, wx_error_t *err)
{
    static const unsigned char digest[32] = "libwechatpay private key check";
    unsigned char sig[WXC_RSA_MAX_BYTES];
    size_t n = sizeof sig;
    wxc_pubkey *pub = NULL;
    wx_err rc = wxc_pubkey_from_privkey(k, &pub, NULL);
    if (rc == WX_E_NOMEM)
        return wx_error_set(err, rc, "private key", NULL);
    if (rc == WX_OK)
        rc = wxc_rsa_sign_sha256(k, digest, sig, &n, NULL);
    if (rc == WX_OK)
        rc = wxc_rsa_verify_sha256(pub, digest, sig, n, NULL);
    wxc_pubkey_free(pub);
    if (rc != WX_OK)
        return wx_error_set(err, WX_E_KEY, "private key",
                            WXC_MSG_CORRUPT_PRIV ": its numbers do not make a working RSA key");
    return WX_OK;
}

/* ------------------------------------------------------- serials and times */

void wxc_serial_hex(const unsigned char *bytes, size_t len, char *out, size_t out_size)
{
    static const char hex[] = "0123456789ABCDEF";
    if (!out_size)
        return;
    while (len > 1 && bytes[0] == 0) {
        bytes++;
        len--;
    }
    size_t o = 0;
    if (len == 0 || (len == 1 && bytes[0] == 0)) {
        bytes = (const unsigned char *)"";
        len = 1;
    }
    for (size_t i = 0; i < len && o + 2 < out_size; i++) {
        out[o++] = hex[bytes[i] >> 4];
        out[o++] = hex[bytes[i] & 15];
    }
    out[o] = 0;
}

int64_t wxc_utc_to_unix(int year, int mon, int day, int hour, int min, int sec)
{
    /* Days from civil (H. Hinnant's algorithm), valid for any Gregorian date. */
    int64_t y = year - (mon <= 2);
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t mp = (mon + 9) % 12;
    int64_t doy = (153 * mp + 2) / 5 + day - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = era * 146097 + doe - 719468;
    return days * 86400 + hour * 3600 + min * 60 + sec;
}

/* --------------------------------------------------------- certificate spec */

static int is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int dns_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 253)
        return 0;
    for (const char *p = s; *p; p++) {
        char c = *p;
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '-' || c == '.' || (c == '*' && p == s);
        if (!ok)
            return 0;
    }
    return 1;
}

wx_err wxc_cert_spec_check(const wx_cert_spec_t *in, wx_cert_spec_t *out, char serial_buf[48],
                           wx_error_t *err)
{
    if (!in)
        return wx_error_set(err, WX_E_INVALID_ARG, "spec", "no certificate spec given");
    *out = *in;
    const char *cn = in->subject_cn;
    size_t cn_len = cn ? strlen(cn) : 0;
    if (cn_len == 0 || cn_len > 64)
        return wx_error_set(err, WX_E_INVALID_ARG, "spec.subject_cn",
                            "the subject common name must be 1 to 64 bytes");
    for (size_t i = 0; i < cn_len; i++)
        if ((unsigned char)cn[i] < 0x20 || cn[i] == 0x7f)
            return wx_error_set(err, WX_E_INVALID_ARG, "spec.subject_cn",
                                "the subject common name has a control character");

    if (in->serial_hex) {
        size_t n = strlen(in->serial_hex), o = 0;
        if (n == 0 || n > 40)
            return wx_error_set(err, WX_E_INVALID_ARG, "spec.serial_hex",
                                "the serial must be 1 to 40 hex digits");
        if (n % 2)
            serial_buf[o++] = '0';
        for (size_t i = 0; i < n; i++) {
            char c = in->serial_hex[i];
            if (!is_hex(c))
                return wx_error_set(err, WX_E_INVALID_ARG, "spec.serial_hex",
                                    "the serial has a character that is not hex");
            serial_buf[o++] = (char)(c >= 'a' ? c - 'a' + 'A' : c);
        }
        serial_buf[o] = 0;
        int nonzero = 0;
        for (size_t i = 0; i < o; i++)
            nonzero |= serial_buf[i] != '0';
        if (!nonzero)
            return wx_error_set(err, WX_E_INVALID_ARG, "spec.serial_hex",
                                "the serial must not be zero");
    } else {
        /* 20 bytes like the serials WeChat Pay issues, positive, top byte nonzero. */
        unsigned char r[20];
        wx_err rc = wxc_random(r, sizeof r);
        if (rc != WX_OK)
            return wx_error_set(err, rc, "spec.serial_hex", "no random serial: RNG failed");
        r[0] = (unsigned char)((r[0] & 0x7f) | 0x10);
        wxc_serial_hex(r, sizeof r, serial_buf, 48);
    }
    out->serial_hex = serial_buf;

    if (in->not_before == 0 && in->not_after == 0) {
        int64_t now = (int64_t)time(NULL);
        out->not_before = now - 3600;
        out->not_after = now + (int64_t)3653 * 86400;
    }
    /* 9999-12-31T23:59:59Z is the last time X.509 can write. */
    if (out->not_before < 0 || out->not_after > INT64_C(253402300799) ||
        out->not_before >= out->not_after)
        return wx_error_set(err, WX_E_INVALID_ARG, "spec.not_before",
                            "the validity period must start before it ends, within 1970..9999");

    if (in->dns_name && !dns_name_ok(in->dns_name))
        return wx_error_set(err, WX_E_INVALID_ARG, "spec.dns_name",
                            "the DNS name may hold only letters, digits, '-', '.' and a leading '*'");
    if (in->ip_address) {
        unsigned char ip[16];
        if (inet_pton(AF_INET, in->ip_address, ip) != 1 &&
            inet_pton(AF_INET6, in->ip_address, ip) != 1)
            return wx_error_set(err, WX_E_INVALID_ARG, "spec.ip_address",
                                "the IP address is neither IPv4 nor IPv6");
    }
    if (in->issuer_key && (!in->issuer_cert_pem || !*in->issuer_cert_pem))
        return wx_error_set(err, WX_E_INVALID_ARG, "spec.issuer_cert_pem",
                            "an issuer key needs the issuer certificate");
    if (!in->issuer_key && in->issuer_cert_pem)
        return wx_error_set(err, WX_E_INVALID_ARG, "spec.issuer_key",
                            "an issuer certificate needs the issuer key");
    return WX_OK;
}
