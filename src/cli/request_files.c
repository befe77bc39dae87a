/* The request mode's file options: `--upload FILE` sends a media upload (multipart, with
 * the signed `meta` part holding the file's name and SHA-256, as wx_upload does), and
 * `--download FILE` follows a bill request's answer ({download_url, hash_type,
 * hash_value}) with wx_download, which writes FILE only once the digest matches. An
 * APIv2 bill (POST v2/pay/downloadbill, v2/pay/downloadfundflow) is the answer itself:
 * `--download` streams it into FILE with wx_v2_download (gzip inflated as it comes). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include <wechatpay/wechatpay.h>

#include "cli_util.h"
#include "request_files.h"

int cli_upload_prepare(const char *file, wx_upload_t *u)
{
    if (access(file, R_OK) != 0)
        return cli_fail(CLI_EXIT_USAGE, NULL, "--upload %s: cannot read the file", file);
    const char *slash = strrchr(file, '/');
    *u = (wx_upload_t){.filename = slash ? slash + 1 : file, .path = file};
    if (!*u->filename)
        return cli_usage_error(NULL, "--upload %s: not a file name", file);
    return CLI_EXIT_OK;
}

static const char *member(struct json_object *o, const char *name)
{
    struct json_object *v;
    return json_object_object_get_ex(o, name, &v) && json_object_is_type(v, json_type_string)
               ? json_object_get_string(v)
               : NULL;
}

int cli_download_bill(wx_client_t *c, const wx_response_t *r, const char *file)
{
    struct json_object *j = wx_response_json(r);
    const char *url = member(j, "download_url");
    if (!url)
        return cli_fail(CLI_EXIT_FAIL, NULL, "--download: the answer has no download_url "
                                             "(ask a bill endpoint, e.g. GET v3/bill/tradebill)");
    wx_download_options_t d = {.version = WX_DOWNLOAD_OPTIONS_VERSION,
                               .download_url = url,
                               .hash_type = member(j, "hash_type"),
                               .hash_value = member(j, "hash_value"),
                               .path = file};
    if (!d.hash_type || !d.hash_value)
        return cli_fail(CLI_EXIT_FAIL, NULL, "--download: the answer announces no digest "
                                             "(hash_type, hash_value): nothing downloaded");
    size_t bytes = 0;
    wx_error_t err;
    memset(&err, 0, sizeof err);
    wx_err rc = wx_download(c, &d, &bytes, &err);
    if (rc == WX_E_DIGEST)
        return cli_fail_err(CLI_EXIT_UNVERIFIED, NULL, "--download: the bill does not match its "
                                                       "digest, nothing written", &err);
    if (rc != WX_OK)
        return cli_fail_err(rc == WX_E_HTTP ? CLI_EXIT_FAIL : CLI_EXIT_UNVERIFIED, NULL,
                            "--download", &err);
    fprintf(stderr, "wxpay: %s: %zu bytes, %s %s checked\n", file, bytes, d.hash_type,
            d.hash_value);
    return CLI_EXIT_OK;
}

int cli_is_v2_path(const char *path)
{
    if (*path == '/')
        path++;
    return !strncmp(path, "v2/", 3) || !strncmp(path, "v2.", 3);
}

/* "v2.pay.downloadbill" and "/v2/pay/downloadbill" as wx_v2_download takes them: an
 * APIv2 segment holds no dot, so the dotted spelling only ever separates segments. */
static void v2_slash_path(const char *path, char *out, size_t size)
{
    snprintf(out, size, "%s", *path == '/' ? path + 1 : path);
    if (!strncmp(out, "v2.", 3))
        for (char *p = out; *p; p++)
            if (*p == '.')
                *p = '/';
}

int cli_download_v2_bill(wx_client_t *c, const char *path, const char *body, size_t body_len,
                         const char *file)
{
    if (!body)
        return cli_usage_error(NULL, "--download %s: an APIv2 bill needs its request fields "
                                     "in --json (bill_date, bill_type ...)", path);
    struct json_object *fields = NULL;
    int rc = cli_parse_json(NULL, "--json", body, body_len, &fields);
    if (rc != CLI_EXIT_OK)
        return rc;
    char slash_path[512];
    v2_slash_path(path, slash_path, sizeof slash_path);
    wx_download_options_t d = {.version = WX_DOWNLOAD_OPTIONS_VERSION, .path = file};
    size_t bytes = 0;
    wx_error_t err;
    memset(&err, 0, sizeof err);
    wx_err e = wx_v2_download(c, slash_path, fields, &d, &bytes, &err);
    json_object_put(fields);
    if (e == WX_OK) {
        fprintf(stderr, "wxpay: %s: %zu bytes\n", file, bytes);
        return CLI_EXIT_OK;
    }
    if (e == WX_E_HTTP) /* WeChat Pay said FAIL (no bill that day ...): a verified answer */
        return cli_fail_err(CLI_EXIT_FAIL, NULL, "--download", &err);
    if (e == WX_E_INVALID_ARG || e == WX_E_VALIDATION || e == WX_E_CONFIG ||
        e == WX_E_CHAIN || e == WX_E_UNSUPPORTED)
        return cli_fail_err(CLI_EXIT_USAGE, NULL, "--download: nothing was sent", &err);
    return cli_fail_err(CLI_EXIT_UNVERIFIED, NULL, "--download: no bill written", &err);
}
