/* wxpay keys gen DIR: a complete set of test keys for the client and the sandbox.
 *
 *   merchant_key.pem / merchant_cert.pem       the merchant's signing key and certificate
 *   platform_key.pem / platform_cert.pem       the WeChat Pay platform certificate
 *   wechatpay_pub_key.pem (+ _private.pem)     the newer "WeChat Pay public key"
 *   CONFIG.json                                what `wxpay` and `wxpay mock` read
 *   mock.json                                  the private halves only the sandbox uses
 *
 * Files that hold secrets (private keys, CONFIG.json with the APIv3 key) are 0600. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <wechatpay/wechatpay.h>
#include <wechatpay/sys/crypto.h>

#include "cli_util.h"
#include "commands.h"

#define TEST_MCHID "1900000001"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: wxpay keys gen DIR\n"
            "\n"
            "Creates DIR if needed and writes test keys for the sandbox (`wxpay mock`):\n"
            "  merchant_key.pem, merchant_cert.pem     merchant key (PKCS#8) and certificate\n"
            "  platform_key.pem, platform_cert.pem     WeChat Pay platform key and certificate\n"
            "  wechatpay_pub_key.pem                   WeChat Pay public key (PUB_KEY_ID_...)\n"
            "  wechatpay_pub_key_private.pem           its private half (for the sandbox)\n"
            "  CONFIG.json                             mchid, serial, keys, apiv3_key, apiv2_key,\n"
            "                                          merchant_cert, base_url\n"
            "  mock.json                               the sandbox's private key file names\n"
            "Private keys and CONFIG.json are mode 0600. Existing files are replaced.\n"
            "\n"
            "example:\n"
            "  wxpay keys gen keys && wxpay mock --keys keys &\n"
            "  wxpay -c keys/CONFIG.json GET /v3/certificates\n");
}

/* mkdir -p; new folders are 0700 since they will hold private keys. */
static int make_dirs(const char *dir)
{
    char *p = strdup(dir);
    if (!p)
        return -1;
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = 0;
        if (mkdir(p, 0700) != 0 && errno != EEXIST) {
            free(p);
            return -1;
        }
        *s = '/';
    }
    int rc = mkdir(p, 0700) == 0 || errno == EEXIST ? 0 : -1;
    free(p);
    struct stat st;
    if (rc == 0 && (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))) {
        errno = ENOTDIR;
        rc = -1;
    }
    return rc;
}

/* Write a file with exactly @p mode (also when it already existed). */
static int write_file(const char *dir, const char *name, const char *data, mode_t mode)
{
    if (!data) { /* the JSON text could not be made */
        fprintf(stderr, "wxpay keys: cannot write %s/%s: out of memory\n", dir, name);
        return -1;
    }
    size_t n = strlen(dir) + strlen(name) + 2;
    char *path = malloc(n);
    if (!path)
        return -1;
    snprintf(path, n, "%s/%s", dir, name);
    /* O_NOFOLLOW: a symlink planted in DIR must not redirect a key onto another file */
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
    int rc = -1;
    if (fd >= 0 && fchmod(fd, mode) == 0) {
        size_t len = strlen(data), off = 0;
        while (off < len) {
            ssize_t w = write(fd, data + off, len - off);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                break;
            off += (size_t)w;
        }
        rc = off == len ? 0 : -1;
    }
    if (fd >= 0 && close(fd) != 0)
        rc = -1;
    if (rc != 0)
        fprintf(stderr, "wxpay keys: cannot write %s: %s\n", path, strerror(errno));
    free(path);
    return rc;
}

/* 40 upper-case hex characters; the first byte keeps the ASN.1 integer positive and
 * without a leading zero, so the serial reads back exactly as written. */
static int random_serial(char out[41])
{
    unsigned char raw[20];
    if (wx_random_bytes(raw, sizeof raw) != WX_OK)
        return -1;
    raw[0] = (unsigned char)(0x10 | (raw[0] & 0x6f));
    for (size_t i = 0; i < sizeof raw; i++)
        snprintf(out + 2 * i, 3, "%02X", raw[i]);
    return 0;
}

static int random_alnum(char *out, size_t n)
{
    static const char alphabet[] =
        "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    unsigned char raw[64];
    if (n > sizeof raw)
        return -1;
    /* rejection sampling: 62 does not divide 256 */
    size_t got = 0;
    while (got < n) {
        if (wx_random_bytes(raw, sizeof raw) != WX_OK)
            return -1;
        for (size_t i = 0; i < sizeof raw && got < n; i++)
            if (raw[i] < 248)
                out[got++] = alphabet[raw[i] % 62];
    }
    out[n] = 0;
    return 0;
}

/* A key pair with a certificate: key PEM (secret), certificate PEM. */
typedef struct keypair {
    char *key_pem;
    char *cert_pem;
    char serial[41];
} keypair;

static void keypair_free(keypair *k)
{
    if (k->key_pem)
        wx_free_secret(k->key_pem, strlen(k->key_pem));
    wx_free(k->cert_pem);
    memset(k, 0, sizeof *k);
}

static int make_keypair(const char *what, const char *cn, int with_cert, keypair *k)
{
    wx_error_t err = {0};
    wx_privkey_t *key = NULL;
    memset(k, 0, sizeof *k);
    if (random_serial(k->serial) != 0) {
        fprintf(stderr, "wxpay keys: %s: random source failed\n", what);
        return -1;
    }
    if (wx_rsa_generate(2048, &k->key_pem, &err) != WX_OK ||
        wx_privkey_load(k->key_pem, strlen(k->key_pem), NULL, &key, &err) != WX_OK) {
        fprintf(stderr, "wxpay keys: %s key: %s\n", what, err.message);
        keypair_free(k);
        return -1;
    }
    wx_err rc;
    if (with_cert) {
        wx_cert_spec_t spec = {.subject_cn = cn, .serial_hex = k->serial};
        rc = wx_cert_create(key, &spec, &k->cert_pem, &err);
    } else {
        rc = wx_pubkey_pem(key, &k->cert_pem, &err);
    }
    wx_privkey_free(key);
    if (rc != WX_OK) {
        fprintf(stderr, "wxpay keys: %s %s: %s\n", what, with_cert ? "certificate" : "public key",
                err.message);
        keypair_free(k);
        return -1;
    }
    return 0;
}

static const char *json_text(struct json_object *o)
{
    return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                 JSON_C_TO_STRING_NOSLASHESCAPE);
}

static int keys_gen(const char *dir)
{
    if (make_dirs(dir) != 0) {
        fprintf(stderr, "wxpay keys: cannot create %s: %s\n", dir, strerror(errno));
        return 1;
    }
    keypair merchant, platform, pub;
    char pub_key_id[64], apiv3_key[33], apiv2_key[33];
    int rc = 1;
    memset(&merchant, 0, sizeof merchant);
    memset(&platform, 0, sizeof platform);
    memset(&pub, 0, sizeof pub);
    if (make_keypair("merchant", TEST_MCHID " test merchant", 1, &merchant) ||
        make_keypair("platform", "WeChat Pay test platform", 1, &platform) ||
        make_keypair("WeChat Pay public", NULL, 0, &pub))
        goto out;
    /* The public-key id takes a fresh random hex string, not a certificate serial. */
    char id_hex[41];
    if (random_serial(id_hex) != 0 || random_alnum(apiv3_key, 32) != 0 ||
        random_alnum(apiv2_key, 32) != 0) {
        fprintf(stderr, "wxpay keys: random source failed\n");
        goto out;
    }
    snprintf(pub_key_id, sizeof pub_key_id, "PUB_KEY_ID_%.32s", id_hex);

    struct json_object *config = json_object_new_object();
    json_object_object_add(config, "mchid", json_object_new_string(TEST_MCHID));
    json_object_object_add(config, "serial", json_object_new_string(merchant.serial));
    json_object_object_add(config, "private_key", json_object_new_string("merchant_key.pem"));
    struct json_object *plat = json_object_new_object();
    json_object_object_add(plat, platform.serial, json_object_new_string("platform_cert.pem"));
    json_object_object_add(plat, pub_key_id, json_object_new_string("wechatpay_pub_key.pem"));
    json_object_object_add(config, "platform", plat);
    struct json_object *apiv3 = json_object_new_string(apiv3_key);
    json_object_object_add(config, "apiv3_key", apiv3);
    struct json_object *apiv2 = json_object_new_string(apiv2_key);
    json_object_object_add(config, "apiv2_key", apiv2);
    /* APIv2's TLS client certificate is the merchant certificate, with its key. */
    json_object_object_add(config, "merchant_cert", json_object_new_string("merchant_cert.pem"));
    json_object_object_add(config, "base_url", json_object_new_string("http://127.0.0.1:8080/"));

    struct json_object *mock = json_object_new_object();
    json_object_object_add(mock, "merchant_certificate", json_object_new_string("merchant_cert.pem"));
    json_object_object_add(mock, "platform_private_key", json_object_new_string("platform_key.pem"));
    json_object_object_add(mock, "platform_certificate", json_object_new_string("platform_cert.pem"));
    json_object_object_add(mock, "public_key_id", json_object_new_string(pub_key_id));
    json_object_object_add(mock, "public_key_private_key",
                           json_object_new_string("wechatpay_pub_key_private.pem"));

    int failed = write_file(dir, "merchant_key.pem", merchant.key_pem, 0600) ||
                 write_file(dir, "merchant_cert.pem", merchant.cert_pem, 0644) ||
                 write_file(dir, "platform_key.pem", platform.key_pem, 0600) ||
                 write_file(dir, "platform_cert.pem", platform.cert_pem, 0644) ||
                 write_file(dir, "wechatpay_pub_key_private.pem", pub.key_pem, 0600) ||
                 write_file(dir, "wechatpay_pub_key.pem", pub.cert_pem, 0644) ||
                 write_file(dir, "mock.json", json_text(mock), 0644);
    /* CONFIG.json last: its presence means the folder is complete. It carries the
     * APIv3 key, so it is private too. */
    if (!failed) {
        /* the text lives in config's own buffer, wiped before json-c frees it */
        char *text = (char *)json_text(config);
        failed = write_file(dir, "CONFIG.json", text, 0600);
        if (text)
            memset(text, 0, strlen(text));
    }
    memset((char *)json_object_get_string(apiv3), 0, strlen(json_object_get_string(apiv3)));
    memset((char *)json_object_get_string(apiv2), 0, strlen(json_object_get_string(apiv2)));
    json_object_put(config);
    json_object_put(mock);
    if (failed)
        goto out;
    printf("wrote %s/CONFIG.json\n"
           "  mchid           %s\n"
           "  merchant serial %s\n"
           "  platform serial %s\n"
           "  public key id   %s\n",
           dir, TEST_MCHID, merchant.serial, platform.serial, pub_key_id);
    rc = 0;
out:
    memset(apiv3_key, 0, sizeof apiv3_key);
    memset(apiv2_key, 0, sizeof apiv2_key);
    keypair_free(&merchant);
    keypair_free(&platform);
    keypair_free(&pub);
    return rc;
}

int wx_cmd_keys(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
                      !strcmp(argv[1], "help"))) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    if (argc < 2)
        return cli_usage_error("keys", "missing a subcommand: gen DIR");
    if (strcmp(argv[1], "gen") != 0)
        return cli_usage_error("keys", "unknown subcommand \"%s\" (only gen)", argv[1]);
    /* Parsed like every other command, so that `keys gen --help` shows the help
     * instead of making a folder named --help. */
    static const cli_option opts[] = {{0}};
    cli_parser p;
    cli_parser_init(&p, "keys gen", argc, argv, 2);
    const char *dir = NULL;
    int k;
    while ((k = cli_next(&p, opts)) != CLI_END) {
        if (k == CLI_HELP) {
            usage(stdout);
            return CLI_EXIT_OK;
        }
        if (k == CLI_BAD)
            return CLI_EXIT_USAGE;
        if (dir)
            return cli_usage_error("keys gen", "unexpected argument \"%s\"", p.value);
        dir = p.value;
    }
    if (!dir || !*dir)
        return cli_usage_error("keys gen", "missing DIR");
    return keys_gen(dir);
}
