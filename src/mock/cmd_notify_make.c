/* wxpay notify make: write a callback notification as WeChat Pay would send it (a headers
 * file and a body file), signed with the sandbox's platform key and its resource
 * encrypted under the APIv3 key, so that a merchant unit-tests its notify_url handler
 * without a running sandbox. `wxpay notify` reads the pair back. It lives with the
 * sandbox because it needs the keys only the sandbox holds (mock.json). */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_util.h"
#include "commands.h"
#include "lifecycle.h"

static void help(void)
{
    fputs("usage: wxpay notify make [--keys DIR] [--sign-with cert|pubkey] --event TYPE\n"
          "                         --resource JSON|@FILE|- [--summary TEXT]\n"
          "                         [--original-type TYPE] [--id ID] [--create-time TIME]\n"
          "                         --headers-out FILE --body-out FILE\n"
          "\n"
          "Writes a callback notification exactly as WeChat Pay POSTs one to a notify_url:\n"
          "BODY is the envelope {id, create_time, resource_type, event_type, summary,\n"
          "resource} with the resource AEAD_AES_256_GCM-encrypted under CONFIG.json's\n"
          "apiv3_key; HEADERS holds Wechatpay-Timestamp (now), -Nonce, -Serial and\n"
          "-Signature over TIMESTAMP\\nNONCE\\nBODY\\n by the platform key of the keys folder.\n"
          "Feed them to a merchant's handler in a unit test, or check them with\n"
          "`wxpay notify --headers HEADERS BODY` (within 300 s, or with --now).\n"
          "\n"
          "  --keys DIR          folder made by `wxpay keys gen` (default $WXPAY_KEYS or ./keys)\n"
          "  --sign-with K       cert: the platform certificate's key (default); pubkey: the\n"
          "                      WeChat Pay public key (Wechatpay-Serial PUB_KEY_ID_...)\n"
          "  --event TYPE        TRANSACTION.SUCCESS, REFUND.SUCCESS, REFUND.ABNORMAL, ...\n"
          "  --resource JSON     the event's resource in clear: JSON text, @FILE, or - (stdin)\n"
          "  --summary TEXT      default: WeChat Pay's for the event (支付成功, 退款成功, ...)\n"
          "  --original-type T   resource.original_type and associated_data (default from the\n"
          "                      event: transaction, refund, profitsharing...)\n"
          "  --id ID             the notification id (default a new UUID)\n"
          "  --create-time TIME  default now, RFC 3339 in +08:00\n"
          "  --headers-out FILE  where the headers go, one `Name: value` a line\n"
          "  --body-out FILE     where the body goes, byte for byte\n"
          "\n"
          "exit: 0 written; 2 usage or bad input (resource not JSON, keys folder unusable)\n"
          "\n"
          "example:\n"
          "  wxpay notify make --keys keys --event TRANSACTION.SUCCESS \\\n"
          "      --resource '{\"out_trade_no\":\"o1\",\"trade_state\":\"SUCCESS\"}' \\\n"
          "      --headers-out n.headers --body-out n.body\n"
          "  wxpay notify -c keys/CONFIG.json --headers n.headers n.body\n",
          stdout);
}

typedef struct make_args {
    const char *keys, *event, *resource, *summary, *original_type, *id, *create_time;
    const char *headers_out, *body_out;
    wx_mock_sign_with with;
} make_args;

static const char *default_summary(const char *event)
{
    static const char *const k[][2] = {
        {"TRANSACTION.SUCCESS", "支付成功"}, {"REFUND.SUCCESS", "退款成功"},
        {"REFUND.ABNORMAL", "退款异常"},     {"REFUND.CLOSED", "退款关闭"},
        {"PROFITSHARING.SUCCESS", "分账成功"},
    };
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++)
        if (!strcmp(event, k[i][0]))
            return k[i][1];
    return event;
}

/* "REFUND.SUCCESS" -> "refund" in out. */
static void default_original_type(const char *event, char *out, size_t out_len)
{
    size_t n = strcspn(event, ".");
    snprintf(out, out_len, "%.*s", (int)(n < out_len ? n : out_len - 1), event);
    for (char *p = out; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
}

static int parse(int argc, char **argv, make_args *a)
{
    enum { O_KEYS, O_SIGN, O_EVENT, O_RES, O_SUM, O_OT, O_ID, O_TIME, O_HDR, O_BODY };
    static const cli_option opts[] = {
        {"keys", 0, 1, O_KEYS},         {"sign-with", 0, 1, O_SIGN}, {"event", 0, 1, O_EVENT},
        {"resource", 0, 1, O_RES},      {"summary", 0, 1, O_SUM},
        {"original-type", 0, 1, O_OT},  {"id", 0, 1, O_ID},     {"create-time", 0, 1, O_TIME},
        {"headers-out", 0, 1, O_HDR},   {"body-out", 0, 1, O_BODY}, {0}};
    const char **slot[] = {&a->keys, NULL, &a->event, &a->resource, &a->summary,
                           &a->original_type, &a->id, &a->create_time, &a->headers_out,
                           &a->body_out};
    cli_parser p;
    cli_parser_init(&p, "notify make", argc, argv, 1);
    int k;
    while ((k = cli_next(&p, opts)) != CLI_END) {
        if (k == CLI_HELP) {
            help();
            return 1;
        }
        if (k == CLI_BAD)
            return CLI_EXIT_USAGE;
        if (k == CLI_POSITIONAL)
            return cli_usage_error("notify make", "unexpected argument \"%s\"", p.value);
        if (k == O_SIGN) {
            if (strcmp(p.value, "cert") && strcmp(p.value, "pubkey"))
                return cli_usage_error("notify make", "--sign-with is cert or pubkey, not '%s'",
                                       p.value);
            a->with = strcmp(p.value, "cert") ? WX_SIGN_WITH_PUBKEY : WX_SIGN_WITH_CERT;
        } else {
            *slot[k] = p.value;
        }
    }
    if (!a->event || !a->resource || !a->headers_out || !a->body_out)
        return cli_usage_error("notify make", "missing %s", !a->event ? "--event TYPE"
                               : !a->resource ? "--resource JSON" : !a->headers_out
                               ? "--headers-out FILE" : "--body-out FILE");
    return 0;
}

static int write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(data, 1, len, f) == len;
    if (f && fclose(f) != 0)
        ok = 0;
    return ok ? CLI_EXIT_OK
              : cli_fail(CLI_EXIT_USAGE, "notify make", "cannot write %s: %s", path,
                         strerror(errno));
}

/* The resource as one line of JSON (checked to be a JSON object). */
static int read_resource(const char *arg, char **out)
{
    char *text = NULL;
    size_t len = 0;
    int rc = CLI_EXIT_OK;
    if (arg[0] == '@' || !strcmp(arg, "-")) {
        rc = cli_read_input("notify make", arg[0] == '@' ? arg + 1 : NULL, &text, &len);
    } else {
        text = strdup(arg);
        len = strlen(arg);
        if (!text)
            rc = cli_fail(CLI_EXIT_USAGE, "notify make", "out of memory");
    }
    struct json_object *o = NULL;
    if (rc == CLI_EXIT_OK)
        rc = cli_parse_json("notify make", "--resource", text, len, &o);
    free(text);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (!json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        return cli_usage_error("notify make", "--resource must be a JSON object");
    }
    *out = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                                        JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
    return *out ? CLI_EXIT_OK : cli_fail(CLI_EXIT_USAGE, "notify make", "out of memory");
}

static int make(const make_args *a, const wx_mock_config *cfg, const char *resource)
{
    char id[64], now[32], otype[32], why[512];
    if (a->id)
        snprintf(id, sizeof id, "%s", a->id);
    else
        wx_mock_event_id(id);
    wx_mock_time_rfc3339(-1, now);
    default_original_type(a->event, otype, sizeof otype);
    char *body = NULL;
    size_t len = 0;
    wx_mock_signature sig = {0};
    if (wx_mock_notification_build(cfg, a->with, id, a->create_time ? a->create_time : now,
                                   a->event, a->summary ? a->summary : default_summary(a->event),
                                   a->original_type ? a->original_type : otype, resource, &body,
                                   &len, &sig, why, sizeof why) != 0)
        return cli_fail(CLI_EXIT_USAGE, "notify make", "%s", why);
    wx_mock_str h = {0};
    wx_mock_str_printf(&h, "Wechatpay-Timestamp: %s\nWechatpay-Nonce: %s\nWechatpay-Serial: %s\n"
                           "Wechatpay-Signature: %s\n"
                           "Wechatpay-Signature-Type: WECHATPAY2-SHA256-RSA2048\n"
                           "Content-Type: application/json\n",
                       sig.timestamp, sig.nonce, sig.serial, sig.signature);
    int rc = h.failed ? cli_fail(CLI_EXIT_USAGE, "notify make", "out of memory")
                      : write_file(a->headers_out, h.data, h.len);
    if (rc == CLI_EXIT_OK)
        rc = write_file(a->body_out, body, len);
    wx_mock_str_free(&h);
    wx_mock_signature_clear(&sig);
    free(body);
    return rc;
}

int wx_cmd_notify_make(int argc, char **argv)
{
    make_args a;
    memset(&a, 0, sizeof a);
    const char *env = getenv("WXPAY_KEYS");
    a.keys = env && *env ? env : "keys";
    int rc = parse(argc, argv, &a);
    if (rc != 0)
        return rc == 1 ? CLI_EXIT_OK : rc;
    char why[512];
    wx_mock_config cfg;
    if (wx_mock_config_load(a.keys, &cfg, why, sizeof why) != 0)
        return cli_fail(CLI_EXIT_USAGE, "notify make", "keys folder %s: %s", a.keys, why);
    if (a.with == WX_SIGN_WITH_PUBKEY && !cfg.pubkey_key) {
        wx_mock_config_free(&cfg);
        return cli_fail(CLI_EXIT_USAGE, "notify make", "--sign-with pubkey: %s/mock.json names "
                        "no public_key_id", a.keys);
    }
    char *resource = NULL;
    rc = read_resource(a.resource, &resource);
    if (rc == CLI_EXIT_OK)
        rc = make(&a, &cfg, resource);
    free(resource);
    wx_mock_config_free(&cfg);
    return rc;
}
