/* wxpay certs: download the platform certificates, decrypt and check them, optionally
 * write them out as PEM files, and print one line per certificate. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <wechatpay/wechatpay.h>

#include "cli_util.h"
#include "commands.h"

static void help(void)
{
    fputs("usage: wxpay certs [-c CONFIG.json] [--base-url URL] [--out DIR]\n"
          "\n"
          "Downloads the WeChat Pay platform certificates (GET /v3/certificates), decrypts\n"
          "each with the configured apiv3_key (AEAD_AES_256_GCM), checks it (parses, carries\n"
          "the serial listed, times consistent) and checks the download's own signature.\n"
          "A download signed by a certificate that is not configured yet (the first one,\n"
          "or after a rotation) is checked with that certificate from the download itself:\n"
          "it decrypted with the APIv3 key, which only WeChat Pay and the merchant hold.\n"
          "Prints one line per certificate:\n"
          "  SERIAL  NOT_BEFORE  NOT_AFTER  STATE\n"
          "times in UTC, STATE one of valid, expired, not-yet-valid.\n"
          "\n"
          "  -c CONFIG.json   mchid, serial, private_key, apiv3_key (default: $WXPAY_CONFIG);\n"
          "                   \"platform\" may be {} for the very first download\n"
          "  --base-url URL   ask this server instead of the configured base_url\n"
          "  --out DIR        write SERIAL.pem for each certificate into DIR (created if\n"
          "                   missing; files replaced whole)\n"
          "\n"
          "exit: 0 downloaded and checked; 1 a verified HTTP error (code and message on\n"
          "      stderr); 3 the download does not verify or decrypt, or no answer came:\n"
          "      nothing on stdout, nothing written; 2 usage or configuration\n"
          "\n"
          "examples:\n"
          "  wxpay certs -c keys/CONFIG.json --out platform-certs\n"
          "  wxpay certs -c keys/CONFIG.json --base-url http://127.0.0.1:8080/\n",
          stdout);
}

static void utc(int64_t t, char out[32])
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(out, 32, "%lld", (long long)t);
}

static const char *state_name(wx_cert_state s)
{
    return s == WX_CERT_EXPIRED ? "expired" : s == WX_CERT_NOT_YET_VALID ? "not-yet-valid" : "valid";
}

static int exit_code(wx_err e)
{
    switch (e) {
    case WX_OK:
        return CLI_EXIT_OK;
    case WX_E_HTTP:
        return CLI_EXIT_FAIL;
    case WX_E_CONFIG:
    case WX_E_INVALID_ARG:
    case WX_E_IO:
    case WX_E_NOMEM:
        return CLI_EXIT_USAGE;
    default:
        return CLI_EXIT_UNVERIFIED;
    }
}

int wx_cmd_certs(int argc, char **argv)
{
    enum { OPT_CONFIG, OPT_BASE_URL, OPT_OUT };
    static const cli_option opts[] = {{"config", 'c', 1, OPT_CONFIG},
                                      {"base-url", 0, 1, OPT_BASE_URL},
                                      {"out", 0, 1, OPT_OUT},
                                      {0}};
    const char *config = NULL, *base_url = NULL, *out_dir = NULL;
    cli_parser p;
    cli_parser_init(&p, "certs", argc, argv, 1);
    int k;
    while ((k = cli_next(&p, opts)) != CLI_END) {
        switch (k) {
        case CLI_HELP:
            help();
            return CLI_EXIT_OK;
        case CLI_BAD:
            return CLI_EXIT_USAGE;
        case CLI_POSITIONAL:
            return cli_usage_error("certs", "unexpected argument \"%s\"", p.value);
        case OPT_CONFIG:
            config = p.value;
            break;
        case OPT_BASE_URL:
            base_url = p.value;
            break;
        case OPT_OUT:
            out_dir = p.value;
            break;
        }
    }
    if (out_dir && !*out_dir)
        return cli_usage_error("certs", "--out wants a folder");
    if (cli_require_config("certs", config) != CLI_EXIT_OK)
        return CLI_EXIT_USAGE;
    wx_client_options_t overrides = {.base_url = base_url};
    wx_client_t *c = NULL;
    wx_error_t err = {0};
    if (wx_client_new_from_config(config, &overrides, &c, &err) != WX_OK)
        return cli_fail_err(CLI_EXIT_USAGE, "certs", NULL, &err);
    wx_cert_set_t *set = NULL;
    /* Checked in full before anything is written: --out gets files only for a
     * download that verified and decrypted. */
    wx_cert_refresh_options_t ro = {.save_dir = out_dir};
    wx_err e = wx_certificates_refresh(c, &ro, &set, &err);
    int rc = exit_code(e);
    if (e == WX_OK) {
        for (size_t i = 0; i < wx_cert_set_count(set); i++) {
            const wx_platform_cert_t *cert = wx_cert_set_at(set, i);
            char from[32], to[32];
            utc(cert->not_before, from);
            utc(cert->not_after, to);
            printf("%s  %s  %s  %s\n", cert->serial, from, to, state_name(cert->state));
        }
        if (out_dir)
            fprintf(stderr, "wxpay certs: %zu certificate%s written to %s\n",
                    wx_cert_set_count(set), wx_cert_set_count(set) == 1 ? "" : "s", out_dir);
        rc = cli_finish(CLI_EXIT_OK);
    } else if (rc == CLI_EXIT_UNVERIFIED) {
        fprintf(stderr, "wxpay certs: no verified download: %s (%s)\n",
                err.message[0] ? err.message : wx_strerror(e), wx_err_name(e));
    } else {
        cli_fail_err(rc, "certs", NULL, &err);
    }
    wx_cert_set_free(set);
    wx_client_free(c);
    return rc;
}
