/* Keys and certificates for the crypto tests, all made by the `openssl` command line
 * (never by the code under test) in a fresh folder per test process. */
#ifndef WX_TEST_CRYPTO_FIXTURE_H
#define WX_TEST_CRYPTO_FIXTURE_H

#include <stddef.h>
#include <stdint.h>
#include <wechatpay/crypto.h>
#include <wechatpay/version.h>

#include "testutil.h"

#define WXCT_PASSWORD "s3cret pass"
/* WeChat Pay shows serials like this one: 20 bytes, upper-case hex. */
#define WXCT_SERIAL "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"

typedef struct wxct_fixture {
    char *dir;
    /* The main 2048-bit key in every format, and its public half. */
    char *key_pkcs8, *key_pkcs1, *key_der, *key_enc_aes, *key_enc_des3, *key_enc_legacy;
    char *pub_spki, *pub_pkcs1;
    char *cert;        /* self-signed, serial WXCT_SERIAL */
    char *cert_high;   /* serial with the top bit set (DER needs a 00 pad byte) */
    char *cert_low;    /* serial whose first byte is below 0x10 */
    char *other_key;   /* an unrelated RSA key */
    char *ec_key, *ec_cert, *ed_key, *ec_pub;
} wxct_fixture;

/* Made once per process (lazily); paths stay valid until exit. */
const wxct_fixture *wxct_get(void);

/* Run `openssl ARGS` through /bin/sh; returns the exit status. out/errout as wxt_sh. */
int wxct_openssl(char **out, char **errout, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Load helpers that fail the test on error. */
wx_privkey_t *wxct_privkey(const char *path, const char *password);
wx_pubkey_t *wxct_pubkey(const char *path);

/* Hex string -> bytes (test vectors). Returns the byte count. */
size_t wxct_unhex(const char *hex, unsigned char *out, size_t cap);

/* "Nov 29 07:01:00 2025 GMT" (as `openssl x509 -dates` prints) -> UNIX seconds. */
int64_t wxct_openssl_date(const char *text);

#endif
