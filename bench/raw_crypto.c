/* The raw RSA rates of the crypto backend library, called directly, to set the
 * library's own figures against.
 *
 * This file is the one place outside src/crypto/ that includes a crypto library's
 * header: the point of it is to measure the library without libwechatpay in between.
 * It is built for the backend the library was configured with (WXPAY_CRYPTO). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#ifdef WX_BENCH_OPENSSL
/* ------------------------------------------------------------------ OpenSSL */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

struct bench_raw_rsa {
    EVP_PKEY *pkey;
    EVP_MD_CTX *md;
};

const char *bench_raw_library(void) { return OpenSSL_version(OPENSSL_VERSION); }

bench_raw_rsa *bench_raw_load(const char *key_path)
{
    FILE *f = fopen(key_path, "r");
    if (!f)
        return NULL;
    bench_raw_rsa *k = calloc(1, sizeof *k);
    if (k) {
        k->pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
        k->md = EVP_MD_CTX_new();
    }
    fclose(f);
    if (k && (!k->pkey || !k->md)) {
        bench_raw_free(k);
        k = NULL;
    }
    return k;
}

void bench_raw_free(bench_raw_rsa *k)
{
    if (!k)
        return;
    EVP_MD_CTX_free(k->md);
    EVP_PKEY_free(k->pkey);
    free(k);
}

/* The usual one-shot calls: a fresh init per message, as an application signs. */
int bench_raw_sign(bench_raw_rsa *k, const void *msg, size_t len, unsigned char *sig,
                   size_t *sig_len)
{
    if (EVP_DigestSignInit(k->md, NULL, EVP_sha256(), NULL, k->pkey) != 1 ||
        EVP_DigestSign(k->md, sig, sig_len, msg, len) != 1)
        return -1;
    return 0;
}

int bench_raw_verify(bench_raw_rsa *k, const void *msg, size_t len, const unsigned char *sig,
                     size_t sig_len)
{
    if (EVP_DigestVerifyInit(k->md, NULL, EVP_sha256(), NULL, k->pkey) != 1 ||
        EVP_DigestVerify(k->md, sig, sig_len, msg, len) != 1)
        return -1;
    return 0;
}

#else
/* ------------------------------------------------------------------ mbed TLS */
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>
#include <mbedtls/version.h>

#define MBED3 (MBEDTLS_VERSION_NUMBER >= 0x03000000)

/* One per thread: a CTR_DRBG context is not shared between threads. */
struct bench_raw_rsa {
    mbedtls_pk_context pk;
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
};

const char *bench_raw_library(void) { return MBEDTLS_VERSION_STRING_FULL; }

bench_raw_rsa *bench_raw_load(const char *key_path)
{
    bench_raw_rsa *k = calloc(1, sizeof *k);
    if (!k)
        return NULL;
    mbedtls_pk_init(&k->pk);
    mbedtls_entropy_init(&k->entropy);
    mbedtls_ctr_drbg_init(&k->drbg);
    int ret = mbedtls_ctr_drbg_seed(&k->drbg, mbedtls_entropy_func, &k->entropy,
                                    (const unsigned char *)"bench", 5);
#if MBED3
    if (ret == 0)
        ret = mbedtls_pk_parse_keyfile(&k->pk, key_path, NULL, mbedtls_ctr_drbg_random, &k->drbg);
#else
    if (ret == 0)
        ret = mbedtls_pk_parse_keyfile(&k->pk, key_path, NULL);
#endif
    if (ret != 0) {
        bench_raw_free(k);
        return NULL;
    }
    return k;
}

void bench_raw_free(bench_raw_rsa *k)
{
    if (!k)
        return;
    mbedtls_pk_free(&k->pk);
    mbedtls_ctr_drbg_free(&k->drbg);
    mbedtls_entropy_free(&k->entropy);
    free(k);
}

/* Blinded, as the library signs (mbed TLS blinds when it is given an RNG). */
int bench_raw_sign(bench_raw_rsa *k, const void *msg, size_t len, unsigned char *sig,
                   size_t *sig_len)
{
    unsigned char hash[32];
#if MBED3
    if (mbedtls_sha256(msg, len, hash, 0) != 0)
        return -1;
    return mbedtls_pk_sign(&k->pk, MBEDTLS_MD_SHA256, hash, 32, sig, *sig_len, sig_len,
                           mbedtls_ctr_drbg_random, &k->drbg) == 0 ? 0 : -1;
#else
    if (mbedtls_sha256_ret(msg, len, hash, 0) != 0)
        return -1;
    return mbedtls_pk_sign(&k->pk, MBEDTLS_MD_SHA256, hash, 32, sig, sig_len,
                           mbedtls_ctr_drbg_random, &k->drbg) == 0 ? 0 : -1;
#endif
}

int bench_raw_verify(bench_raw_rsa *k, const void *msg, size_t len, const unsigned char *sig,
                     size_t sig_len)
{
    unsigned char hash[32];
#if MBED3
    if (mbedtls_sha256(msg, len, hash, 0) != 0)
        return -1;
#else
    if (mbedtls_sha256_ret(msg, len, hash, 0) != 0)
        return -1;
#endif
    return mbedtls_pk_verify(&k->pk, MBEDTLS_MD_SHA256, hash, 32, sig, sig_len) == 0 ? 0 : -1;
}
#endif
