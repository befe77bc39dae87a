/* sign/s and verify/s through the library's public API (wx_rsa_sign, wx_rsa_verify:
 * hashing, the backend call, base64) next to the backend library called directly
 * (raw_crypto.c) on the same key and message, measured in the same run. */
#include <stdio.h>
#include <string.h>

#include "bench.h"

#define GROUP "crypto"

/* A request's signed message, as the signer builds it. */
static const char k_message[] = "POST\n/v3/industry-coupon/tokens\n1700000000\n"
                                "593BEC0C930BF1AFEB40B4A08C8FB242\n" BENCH_SEED_BODY "\n";

typedef struct crypto_bench {
    wx_privkey_t *key;
    wx_pubkey_t *pub;
    char *sig_b64;
    bench_raw_rsa *raw;
    unsigned char raw_sig[1024];
    size_t raw_sig_len;
    uint64_t failures;
} crypto_bench;

static void api_sign(void *ud, uint64_t n)
{
    crypto_bench *b = ud;
    for (uint64_t i = 0; i < n; i++) {
        char *sig = NULL;
        if (wx_rsa_sign(b->key, k_message, sizeof k_message - 1, &sig, NULL) != WX_OK)
            b->failures++;
        wx_free(sig);
    }
}

static void api_verify(void *ud, uint64_t n)
{
    crypto_bench *b = ud;
    for (uint64_t i = 0; i < n; i++)
        if (wx_rsa_verify(b->pub, k_message, sizeof k_message - 1, b->sig_b64, NULL) != WX_OK)
            b->failures++;
}

static void raw_sign(void *ud, uint64_t n)
{
    crypto_bench *b = ud;
    for (uint64_t i = 0; i < n; i++) {
        size_t len = sizeof b->raw_sig;
        if (bench_raw_sign(b->raw, k_message, sizeof k_message - 1, b->raw_sig, &len) != 0)
            b->failures++;
        b->raw_sig_len = len;
    }
}

static void raw_verify(void *ud, uint64_t n)
{
    crypto_bench *b = ud;
    for (uint64_t i = 0; i < n; i++)
        if (bench_raw_verify(b->raw, k_message, sizeof k_message - 1, b->raw_sig,
                             b->raw_sig_len) != 0)
            b->failures++;
}

void bench_group_crypto(const bench_ctx *ctx)
{
    crypto_bench b = {0};
    wx_error_t err = {0};
    if (wx_privkey_load_file(ctx->key_path, NULL, &b.key, &err) != WX_OK ||
        wx_pubkey_from_privkey(b.key, &b.pub, &err) != WX_OK ||
        wx_rsa_sign(b.key, k_message, sizeof k_message - 1, &b.sig_b64, &err) != WX_OK) {
        fprintf(stderr, "bench: crypto set-up: %s\n", err.message);
        goto out;
    }
    if (!(b.raw = bench_raw_load(ctx->key_path))) {
        fprintf(stderr, "bench: %s cannot load %s\n", bench_raw_library(), ctx->key_path);
        goto out;
    }
    raw_sign(&b, 1);
    double s = ctx->seconds / 2;
    /* Raw and API alternate, so a change of machine load hits both alike. */
    double raw_sign_ns = bench_ns_per_op(raw_sign, &b, s / 2);
    double api_sign_ns = bench_ns_per_op(api_sign, &b, s);
    raw_sign_ns = (raw_sign_ns + bench_ns_per_op(raw_sign, &b, s / 2)) / 2;
    double raw_verify_ns = bench_ns_per_op(raw_verify, &b, s / 2);
    double api_verify_ns = bench_ns_per_op(api_verify, &b, s);
    raw_verify_ns = (raw_verify_ns + bench_ns_per_op(raw_verify, &b, s / 2)) / 2;

    char name[96];
    const char *be = wx_crypto_backend();
    snprintf(name, sizeof name, "%s: raw sign/s (library called directly)", be);
    bench_record(GROUP, name, 1e9 / raw_sign_ns, "1/s", BENCH_INFO, 0);
    snprintf(name, sizeof name, "%s: wx_rsa_sign sign/s", be);
    bench_record(GROUP, name, 1e9 / api_sign_ns, "1/s", BENCH_INFO, 0);
    snprintf(name, sizeof name, "%s: sign overhead, %% of a raw sign", be);
    bench_record(GROUP, name, (api_sign_ns - raw_sign_ns) / raw_sign_ns * 100, "%", BENCH_INFO, 0);
    snprintf(name, sizeof name, "%s: raw verify/s (library called directly)", be);
    bench_record(GROUP, name, 1e9 / raw_verify_ns, "1/s", BENCH_INFO, 0);
    snprintf(name, sizeof name, "%s: wx_rsa_verify verify/s", be);
    bench_record(GROUP, name, 1e9 / api_verify_ns, "1/s", BENCH_INFO, 0);
    snprintf(name, sizeof name, "%s: verify overhead, %% of a raw sign", be);
    bench_record(GROUP, name, (api_verify_ns - raw_verify_ns) / raw_sign_ns * 100, "%",
                 BENCH_INFO, 0);
    snprintf(name, sizeof name, "%s: verify overhead, %% of a raw verify", be);
    bench_record(GROUP, name, (api_verify_ns - raw_verify_ns) / raw_verify_ns * 100, "%",
                 BENCH_INFO, 0);
    if (ctx->rep == 0)
        bench_note("crypto: raw rates are %s, called directly in bench/raw_crypto.c",
                   bench_raw_library());
    if (b.failures)
        bench_note("crypto: %llu operations failed", (unsigned long long)b.failures);
out:
    bench_raw_free(b.raw);
    wx_free(b.sig_b64);
    wx_pubkey_free(b.pub);
    wx_privkey_free(b.key);
}
