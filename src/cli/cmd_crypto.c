/* wxpay sign / verify / encrypt / decrypt: the APIv3 crypto primitives on files,
 * for checking a signature by hand or preparing a sensitive field. Inputs are taken
 * byte for byte (no newline is added or removed) except base64 text, whose
 * surrounding whitespace is dropped. Private keys are only ever handled by the
 * library, which zeroises them; nothing here prints key material. */
#include <stdlib.h>
#include <string.h>

#include <wechatpay/wechatpay.h>

#include "cli_util.h"
#include "commands.h"

/* ------------------------------------------------------------------ shared */

static int load_privkey(const char *cmd, const char *path, wx_privkey_t **key)
{
    wx_error_t err = {0};
    if (wx_privkey_load_file(path, NULL, key, &err) != WX_OK)
        return cli_fail_err(CLI_EXIT_USAGE, cmd, path, &err);
    return CLI_EXIT_OK;
}

/* --cert wants an X.509 certificate, --pubkey a bare public key: saying which one
 * was given catches swapped files early. */
static int load_pubkey(const char *cmd, const char *cert, const char *pubkey, wx_pubkey_t **key)
{
    if (cert && pubkey)
        return cli_usage_error(cmd, "give --cert or --pubkey, not both");
    if (!cert && !pubkey)
        return cli_usage_error(cmd, "missing --cert CERT.pem or --pubkey KEY.pem");
    const char *path = cert ? cert : pubkey;
    wx_error_t err = {0};
    if (wx_pubkey_load_file(path, key, &err) != WX_OK)
        return cli_fail_err(CLI_EXIT_USAGE, cmd, path, &err);
    int is_cert = wx_pubkey_serial(*key) != NULL;
    if (cert && !is_cert) {
        wx_pubkey_free(*key);
        *key = NULL;
        return cli_fail(CLI_EXIT_USAGE, cmd, "%s: a public key, not a certificate (use --pubkey)",
                        path);
    }
    if (pubkey && is_cert) {
        wx_pubkey_free(*key);
        *key = NULL;
        return cli_fail(CLI_EXIT_USAGE, cmd, "%s: a certificate, not a public key (use --cert)",
                        path);
    }
    return CLI_EXIT_OK;
}

static void trim(char *s, size_t *len)
{
    size_t n = *len, start = 0;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        n--;
    while (start < n && (s[start] == ' ' || s[start] == '\t' || s[start] == '\n' ||
                         s[start] == '\r'))
        start++;
    memmove(s, s + start, n - start);
    s[n - start] = 0;
    *len = n - start;
}

/* Base64 text from a file or standard input, checked to decode. */
static int read_base64(const char *cmd, const char *path, char **b64)
{
    size_t len = 0;
    int rc = cli_read_input(cmd, path, b64, &len);
    if (rc != CLI_EXIT_OK)
        return rc;
    trim(*b64, &len);
    unsigned char *raw = NULL;
    size_t raw_len = 0;
    if (len == 0 || wx_base64_decode(*b64, len, &raw, &raw_len) != WX_OK) {
        free(*b64);
        *b64 = NULL;
        return cli_fail(CLI_EXIT_USAGE, cmd, "%s: %s", path && strcmp(path, "-") ? path
                                                                                  : "standard input",
                        len ? "not base64 (standard alphabet, padded, no line breaks)"
                            : "empty, expected base64 text");
    }
    wx_free(raw);
    return CLI_EXIT_OK;
}

static int print_line(const char *s)
{
    if (cli_write_stdout(s, strlen(s)) == 0)
        cli_write_stdout("\n", 1);
    return cli_finish(CLI_EXIT_OK);
}

/* The common loop: options into @p values (indexed by id; each table lists its
 * options in id order), at most one positional. */
static int parse(const char *cmd, int argc, char **argv, const cli_option *opts,
                 const char **values, const char **input, void (*help)(void))
{
    cli_parser p;
    cli_parser_init(&p, cmd, argc, argv, 1);
    int k;
    while ((k = cli_next(&p, opts)) != CLI_END) {
        if (k == CLI_HELP) {
            help();
            return -1;
        }
        if (k == CLI_BAD)
            return CLI_EXIT_USAGE;
        if (k == CLI_POSITIONAL) {
            if (*input)
                return cli_usage_error(cmd, "unexpected argument \"%s\"", p.value);
            *input = p.value;
            continue;
        }
        if (values[k])
            return cli_usage_error(cmd, "option --%s given twice", opts[k].long_name);
        values[k] = p.value;
    }
    return CLI_EXIT_OK;
}

/* ------------------------------------------------------------------ sign */

static void sign_help(void)
{
    fputs("usage: wxpay sign --key KEY.pem [MESSAGE_FILE|-]\n"
          "\n"
          "SHA256withRSA (PKCS#1 v1.5) over the bytes of MESSAGE_FILE (standard input when\n"
          "none or -) exactly as given; prints the base64 signature and a newline.\n"
          "KEY.pem is the merchant RSA private key (PKCS#1 or PKCS#8 PEM).\n"
          "\n"
          "exit: 0 signed; 2 an unreadable file or an unusable key\n"
          "\n"
          "examples:\n"
          "  printf 'GET\\n/v3/certificates\\n1554208460\\nNONCE\\n\\n' | \\\n"
          "      wxpay sign --key keys/merchant_key.pem\n"
          "  wxpay sign --key keys/merchant_key.pem message.txt > message.sig\n",
          stdout);
}

int wx_cmd_sign(int argc, char **argv)
{
    enum { OPT_KEY, OPT_COUNT };
    static const cli_option opts[] = {{"key", 0, 1, OPT_KEY}, {0}};
    const char *values[OPT_COUNT] = {0}, *input = NULL;
    int rc = parse("sign", argc, argv, opts, values, &input, sign_help);
    if (rc != CLI_EXIT_OK)
        return rc == -1 ? CLI_EXIT_OK : rc;
    if (!values[OPT_KEY])
        return cli_usage_error("sign", "missing --key KEY.pem");
    char *msg = NULL;
    size_t len = 0;
    if ((rc = cli_read_input("sign", input, &msg, &len)) != CLI_EXIT_OK)
        return rc;
    wx_privkey_t *key = NULL;
    if ((rc = load_privkey("sign", values[OPT_KEY], &key)) != CLI_EXIT_OK) {
        free(msg);
        return rc;
    }
    char *sig = NULL;
    wx_error_t err = {0};
    if (wx_rsa_sign(key, msg, len, &sig, &err) != WX_OK)
        rc = cli_fail_err(CLI_EXIT_USAGE, "sign", NULL, &err);
    else
        rc = print_line(sig);
    wx_free(sig);
    wx_privkey_free(key);
    free(msg);
    return rc;
}

/* ------------------------------------------------------------------ verify */

static void verify_help(void)
{
    fputs("usage: wxpay verify (--cert CERT.pem | --pubkey KEY.pem) --signature B64|@FILE\n"
          "                    [MESSAGE_FILE|-]\n"
          "\n"
          "Checks a base64 SHA256withRSA signature over the bytes of MESSAGE_FILE (standard\n"
          "input when none or -) exactly as given, with a platform certificate or a\n"
          "WeChat Pay public key. @FILE reads the signature from a file.\n"
          "\n"
          "exit: 0 the signature is good; 3 it is not; 2 an unreadable file or unusable key\n"
          "\n"
          "examples:\n"
          "  wxpay verify --cert keys/platform_cert.pem --signature @message.sig message.txt\n"
          "  printf '%s\\n%s\\n%s\\n' \"$TS\" \"$NONCE\" \"$BODY\" | \\\n"
          "      wxpay verify --pubkey keys/wechatpay_pub_key.pem --signature \"$SIG\"\n",
          stdout);
}

int wx_cmd_verify(int argc, char **argv)
{
    enum { OPT_CERT, OPT_PUBKEY, OPT_SIGNATURE, OPT_COUNT };
    static const cli_option opts[] = {{"cert", 0, 1, OPT_CERT},
                                      {"pubkey", 0, 1, OPT_PUBKEY},
                                      {"signature", 0, 1, OPT_SIGNATURE},
                                      {0}};
    const char *values[OPT_COUNT] = {0}, *input = NULL;
    int rc = parse("verify", argc, argv, opts, values, &input, verify_help);
    if (rc != CLI_EXIT_OK)
        return rc == -1 ? CLI_EXIT_OK : rc;
    if (!values[OPT_SIGNATURE])
        return cli_usage_error("verify", "missing --signature B64");
    if (!strcmp(values[OPT_SIGNATURE], "@-") && (!input || !strcmp(input, "-")))
        return cli_usage_error("verify", "the signature and the message cannot both come from "
                                         "standard input");
    wx_pubkey_t *key = NULL;
    if ((rc = load_pubkey("verify", values[OPT_CERT], values[OPT_PUBKEY], &key)) != CLI_EXIT_OK)
        return rc;
    char *sig = NULL, *msg = NULL;
    size_t len = 0;
    const char *s = values[OPT_SIGNATURE];
    if (s[0] == '@') {
        size_t slen = 0;
        if ((rc = cli_read_input("verify", s + 1, &sig, &slen)) != CLI_EXIT_OK)
            goto out;
        trim(sig, &slen);
        s = sig;
    }
    if ((rc = cli_read_input("verify", input, &msg, &len)) != CLI_EXIT_OK)
        goto out;
    wx_error_t err = {0};
    wx_err e = wx_rsa_verify(key, msg, len, s, &err);
    if (e == WX_OK) {
        puts("signature ok");
        rc = cli_finish(CLI_EXIT_OK);
    } else if (e == WX_E_VERIFY_SIGNATURE) {
        rc = cli_fail_err(CLI_EXIT_UNVERIFIED, "verify", "signature does not verify", &err);
    } else {
        rc = cli_fail_err(CLI_EXIT_USAGE, "verify", NULL, &err);
    }
out:
    free(sig);
    free(msg);
    wx_pubkey_free(key);
    return rc;
}

/* ------------------------------------------------------------------ encrypt */

static void encrypt_help(void)
{
    fputs("usage: wxpay encrypt (--cert CERT.pem | --pubkey KEY.pem) [PLAINTEXT_FILE|-]\n"
          "\n"
          "RSA-OAEP (SHA-1, MGF1-SHA-1), as WeChat Pay wants sensitive fields (names, phone\n"
          "numbers) in requests; prints the base64 ciphertext and a newline. The plaintext\n"
          "is taken byte for byte: `printf`, not `echo`, unless the newline belongs to it.\n"
          "Send the certificate's serial (or PUB_KEY_ID_...) as the Wechatpay-Serial header.\n"
          "\n"
          "exit: 0 encrypted; 2 an unreadable file, an unusable key or too long a plaintext\n"
          "\n"
          "examples:\n"
          "  printf '张三' | wxpay encrypt --cert keys/platform_cert.pem\n"
          "  wxpay encrypt --pubkey keys/wechatpay_pub_key.pem phone.txt\n",
          stdout);
}

int wx_cmd_encrypt(int argc, char **argv)
{
    enum { OPT_CERT, OPT_PUBKEY, OPT_COUNT };
    static const cli_option opts[] = {
        {"cert", 0, 1, OPT_CERT}, {"pubkey", 0, 1, OPT_PUBKEY}, {0}};
    const char *values[OPT_COUNT] = {0}, *input = NULL;
    int rc = parse("encrypt", argc, argv, opts, values, &input, encrypt_help);
    if (rc != CLI_EXIT_OK)
        return rc == -1 ? CLI_EXIT_OK : rc;
    wx_pubkey_t *key = NULL;
    if ((rc = load_pubkey("encrypt", values[OPT_CERT], values[OPT_PUBKEY], &key)) != CLI_EXIT_OK)
        return rc;
    char *plain = NULL, *out = NULL;
    size_t len = 0;
    if ((rc = cli_read_input("encrypt", input, &plain, &len)) == CLI_EXIT_OK) {
        wx_error_t err = {0};
        if (wx_rsa_oaep_encrypt(key, plain, len, &out, &err) != WX_OK)
            rc = cli_fail_err(CLI_EXIT_USAGE, "encrypt", NULL, &err);
        else
            rc = print_line(out);
    }
    wx_free(out);
    if (plain)
        explicit_bzero(plain, len); /* plaintext of a sensitive field */
    free(plain);
    wx_pubkey_free(key);
    return rc;
}

/* ------------------------------------------------------------------ decrypt */

static void decrypt_help(void)
{
    fputs("usage: wxpay decrypt --key KEY.pem [CIPHERTEXT_B64_FILE|-]\n"
          "       wxpay decrypt --apiv3-key KEY|@FILE --nonce NONCE [--aad AAD]\n"
          "                     [CIPHERTEXT_B64_FILE|-]\n"
          "\n"
          "The first form reverses `wxpay encrypt`: RSA-OAEP (SHA-1) with the private key.\n"
          "The second is AEAD_AES_256_GCM as in callbacks (`resource.ciphertext`, `nonce`,\n"
          "`associated_data`) and certificate downloads, with the 32-byte APIv3 key;\n"
          "@FILE reads the key from a file, which keeps it out of the process list.\n"
          "The ciphertext is base64 (standard input when no file or -); the plaintext is\n"
          "printed exactly, with no newline added.\n"
          "\n"
          "exit: 0 decrypted; 3 the tag does not match or the ciphertext does not decode;\n"
          "      2 an unreadable file, an unusable key, input that is not base64\n"
          "\n"
          "examples:\n"
          "  wxpay decrypt --key keys/platform_key.pem field.b64\n"
          "  wxpay decrypt --apiv3-key @apiv3.key --nonce fdasflkja484w \\\n"
          "      --aad certificate resource.b64\n",
          stdout);
}

/* The APIv3 key, literally or from @FILE (one line); a secret, zeroised by the caller. */
static int apiv3_key(const char *arg, char **key)
{
    if (arg[0] != '@') {
        *key = strdup(arg);
        return *key ? CLI_EXIT_OK : cli_fail(CLI_EXIT_USAGE, "decrypt", "out of memory");
    }
    size_t len = 0;
    int rc = cli_read_input("decrypt", arg + 1, key, &len);
    if (rc == CLI_EXIT_OK)
        while (len && ((*key)[len - 1] == '\n' || (*key)[len - 1] == '\r'))
            (*key)[--len] = 0;
    return rc;
}

static int finish_plain(wx_err e, const wx_error_t *err, char *plain, size_t len, int oaep)
{
    int rc;
    if (e == WX_OK) {
        cli_write_stdout(plain, len);
        rc = cli_finish(CLI_EXIT_OK);
    } else if (e == WX_E_DECRYPT) {
        rc = cli_fail_err(CLI_EXIT_UNVERIFIED, "decrypt",
                          oaep ? "does not decrypt with this key"
                               : "tag does not match (wrong key, nonce or associated data, or "
                                 "an altered ciphertext)",
                          err);
    } else {
        rc = cli_fail_err(CLI_EXIT_USAGE, "decrypt", NULL, err);
    }
    wx_free_secret(plain, len);
    return rc;
}

int wx_cmd_decrypt(int argc, char **argv)
{
    enum { OPT_KEY, OPT_APIV3, OPT_NONCE, OPT_AAD, OPT_COUNT };
    static const cli_option opts[] = {{"key", 0, 1, OPT_KEY},
                                      {"apiv3-key", 0, 1, OPT_APIV3},
                                      {"nonce", 0, 1, OPT_NONCE},
                                      {"aad", 0, 1, OPT_AAD},
                                      {0}};
    const char *values[OPT_COUNT] = {0}, *input = NULL;
    int rc = parse("decrypt", argc, argv, opts, values, &input, decrypt_help);
    if (rc != CLI_EXIT_OK)
        return rc == -1 ? CLI_EXIT_OK : rc;
    int rsa = values[OPT_KEY] != NULL, aes = values[OPT_APIV3] != NULL;
    if (rsa == aes)
        return cli_usage_error("decrypt", rsa ? "give --key or --apiv3-key, not both"
                                              : "missing --key KEY.pem or --apiv3-key KEY");
    if (rsa && (values[OPT_NONCE] || values[OPT_AAD]))
        return cli_usage_error("decrypt", "--nonce and --aad go with --apiv3-key, not --key");
    if (aes && !values[OPT_NONCE])
        return cli_usage_error("decrypt", "missing --nonce NONCE (the resource's `nonce`)");

    char *b64 = NULL, *plain = NULL;
    size_t len = 0;
    wx_error_t err = {0};
    if (rsa) {
        wx_privkey_t *key = NULL;
        if ((rc = load_privkey("decrypt", values[OPT_KEY], &key)) != CLI_EXIT_OK)
            return rc;
        if ((rc = read_base64("decrypt", input, &b64)) == CLI_EXIT_OK) {
            wx_err e = wx_rsa_oaep_decrypt(key, b64, &plain, &len, &err);
            rc = finish_plain(e, &err, plain, len, 1);
        }
        wx_privkey_free(key);
        free(b64);
        return rc;
    }
    char *key = NULL;
    if ((rc = apiv3_key(values[OPT_APIV3], &key)) != CLI_EXIT_OK)
        return rc;
    size_t key_len = strlen(key);
    if (key_len != 32) {
        rc = cli_fail(CLI_EXIT_USAGE, "decrypt",
                      "the APIv3 key must be 32 characters, this one has %zu", key_len);
    } else if ((rc = read_base64("decrypt", input, &b64)) == CLI_EXIT_OK) {
        wx_err e = wx_aes_gcm_decrypt(key, values[OPT_NONCE], values[OPT_AAD] ? values[OPT_AAD] : "",
                                      b64, &plain, &len, &err);
        rc = finish_plain(e, &err, plain, len, 0);
    }
    explicit_bzero(key, key_len);
    free(key);
    free(b64);
    return rc;
}
