/* A small command-line front end to the public crypto API, built once per crypto
 * backend, so that test_crypto_cross can hand files made by one backend to the other.
 * Only the public API (wechatpay/crypto.h) is used. Exit 0 ok, 2 usage or bad input,
 * 3 a signature or tag that does not match. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wechatpay/crypto.h>
#include <wechatpay/version.h>
#include <wechatpay/sys/crypto.h>

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        exit(2);
    }
    size_t cap = 4096, n = 0, r;
    char *p = malloc(cap);
    while (p && (r = fread(p + n, 1, cap - n - 1, f)) > 0) {
        n += r;
        if (cap - n < 2)
            p = realloc(p, cap *= 2);
    }
    fclose(f);
    if (!p)
        exit(2);
    p[n] = 0;
    if (len)
        *len = n;
    return p;
}

/* Text files from the shell end in a newline that is not part of the value. */
static char *slurp_line(const char *path)
{
    size_t n;
    char *p = slurp(path, &n);
    while (n && (p[n - 1] == '\n' || p[n - 1] == '\r'))
        p[--n] = 0;
    return p;
}

static int fail(wx_err rc, const wx_error_t *err)
{
    fprintf(stderr, "%s: %s\n", wx_err_name(rc), err->message);
    return rc == WX_E_VERIFY_SIGNATURE || rc == WX_E_DECRYPT ? 3 : 2;
}

static wx_privkey_t *privkey(const char *path)
{
    wx_privkey_t *k = NULL;
    wx_error_t err = {0};
    if (wx_privkey_load_file(path, getenv("WXCT_PASSWORD"), &k, &err) != WX_OK) {
        fprintf(stderr, "%s\n", err.message);
        exit(2);
    }
    return k;
}

static wx_pubkey_t *pubkey(const char *path)
{
    wx_pubkey_t *k = NULL;
    wx_error_t err = {0};
    if (wx_pubkey_load_file(path, &k, &err) != WX_OK) {
        fprintf(stderr, "%s\n", err.message);
        exit(2);
    }
    return k;
}

static int usage(void)
{
    fputs("usage: crypto_tool backend\n"
          "       crypto_tool sign KEY MSG | verify PUB SIG_B64 MSG\n"
          "       crypto_tool encrypt PUB PLAIN | decrypt KEY CIPHER_B64\n"
          "       crypto_tool gcm-encrypt KEY32 NONCE AAD PLAIN\n"
          "       crypto_tool gcm-decrypt KEY32 NONCE AAD CIPHER_B64\n"
          "       crypto_tool genkey BITS OUT\n"
          "       crypto_tool cert KEY CN SERIAL OUT [ISSUER_KEY ISSUER_CERT]\n"
          "       crypto_tool info CERT\n",
          stderr);
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    const char *cmd = argv[1];
    wx_error_t err = {0};
    wx_err rc = WX_OK;
    size_t len = 0;
    if (!strcmp(cmd, "backend") && argc == 2) {
        printf("%s\n", wx_crypto_backend());
    } else if (!strcmp(cmd, "sign") && argc == 4) {
        wx_privkey_t *k = privkey(argv[2]);
        char *msg = slurp(argv[3], &len), *sig = NULL;
        rc = wx_rsa_sign(k, msg, len, &sig, &err);
        if (rc == WX_OK)
            printf("%s\n", sig);
        wx_free(sig);
        free(msg);
        wx_privkey_free(k);
    } else if (!strcmp(cmd, "verify") && argc == 5) {
        wx_pubkey_t *k = pubkey(argv[2]);
        char *sig = slurp_line(argv[3]), *msg = slurp(argv[4], &len);
        rc = wx_rsa_verify(k, msg, len, sig, &err);
        free(sig);
        free(msg);
        wx_pubkey_free(k);
    } else if (!strcmp(cmd, "encrypt") && argc == 4) {
        wx_pubkey_t *k = pubkey(argv[2]);
        char *plain = slurp(argv[3], &len), *ct = NULL;
        rc = wx_rsa_oaep_encrypt(k, plain, len, &ct, &err);
        if (rc == WX_OK)
            printf("%s\n", ct);
        wx_free(ct);
        free(plain);
        wx_pubkey_free(k);
    } else if (!strcmp(cmd, "decrypt") && argc == 4) {
        wx_privkey_t *k = privkey(argv[2]);
        char *ct = slurp_line(argv[3]), *plain = NULL;
        rc = wx_rsa_oaep_decrypt(k, ct, &plain, &len, &err);
        if (rc == WX_OK)
            fwrite(plain, 1, len, stdout);
        wx_free_secret(plain, len);
        free(ct);
        wx_privkey_free(k);
    } else if (!strcmp(cmd, "gcm-encrypt") && argc == 6) {
        char *plain = slurp(argv[5], &len), *ct = NULL;
        rc = wx_aes_gcm_encrypt(argv[2], argv[3], argv[4], plain, len, &ct, &err);
        if (rc == WX_OK)
            printf("%s\n", ct);
        wx_free(ct);
        free(plain);
    } else if (!strcmp(cmd, "gcm-decrypt") && argc == 6) {
        char *ct = slurp_line(argv[5]), *plain = NULL;
        rc = wx_aes_gcm_decrypt(argv[2], argv[3], argv[4], ct, &plain, &len, &err);
        if (rc == WX_OK)
            fwrite(plain, 1, len, stdout);
        wx_free_secret(plain, len);
        free(ct);
    } else if (!strcmp(cmd, "genkey") && argc == 4) {
        char *pem = NULL;
        rc = wx_rsa_generate((unsigned)atoi(argv[2]), &pem, &err);
        if (rc == WX_OK) {
            FILE *f = fopen(argv[3], "wb");
            if (!f || fputs(pem, f) < 0 || fclose(f) != 0)
                rc = WX_E_IO;
        }
        wx_free_secret(pem, pem ? strlen(pem) : 0);
    } else if (!strcmp(cmd, "cert") && (argc == 6 || argc == 8)) {
        wx_privkey_t *k = privkey(argv[2]), *ik = NULL;
        char *issuer_pem = NULL, *pem = NULL;
        wx_cert_spec_t spec = {0};
        spec.subject_cn = argv[3];
        spec.serial_hex = argv[4];
        spec.is_ca = argc == 6;
        if (argc == 8) {
            ik = privkey(argv[6]);
            issuer_pem = slurp(argv[7], NULL);
            spec.issuer_key = ik;
            spec.issuer_cert_pem = issuer_pem;
        }
        rc = wx_cert_create(k, &spec, &pem, &err);
        if (rc == WX_OK) {
            FILE *f = fopen(argv[5], "wb");
            if (!f || fputs(pem, f) < 0 || fclose(f) != 0)
                rc = WX_E_IO;
        }
        wx_free(pem);
        free(issuer_pem);
        wx_privkey_free(ik);
        wx_privkey_free(k);
    } else if (!strcmp(cmd, "info") && argc == 3) {
        wx_pubkey_t *k = pubkey(argv[2]);
        int64_t nb, na;
        wx_pubkey_validity(k, &nb, &na);
        const char *serial = wx_pubkey_serial(k);
        printf("serial=%s not_before=%lld not_after=%lld\n", serial ? serial : "",
               (long long)nb, (long long)na);
        wx_pubkey_free(k);
    } else {
        return usage();
    }
    return rc == WX_OK ? 0 : fail(rc, &err);
}
