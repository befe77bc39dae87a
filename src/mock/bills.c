/* Bill requests that agree with bill downloads: the sandbox's answer to a bill request
 * (trade, fund-flow, ...) points its download_url at this sandbox and announces the
 * SHA-1 of what `GET /v3/billdownload/file` will answer, as WeChat Pay does, so that a
 * client can run the whole request-download-verify flow against it. */
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mock.h"
#include <wechatpay/sys/spec.h>

static const char *header(const wx_kv_t *h, const char *name)
{
    for (size_t i = 0; h && h[i].key; i++)
        if (strcasecmp(h[i].key, name) == 0)
            return h[i].value;
    return NULL;
}

void wx_mock_bill_answer(const wx_mock_handler_ctx *ctx, const wx_mock_request *req,
                         struct json_object *example)
{
    struct json_object *url, *hash;
    if (!json_object_is_type(example, json_type_object) ||
        !json_object_object_get_ex(example, "download_url", &url) ||
        !json_object_object_get_ex(example, "hash_value", &hash))
        return;
    const wx_endpoint_t *ep = NULL;
    struct json_object *file = NULL;
    int status = 0;
    if (wx_spec_find(ctx->spec, "GET", "/v3/billdownload/file", &ep, NULL, NULL) != WX_OK ||
        wx_endpoint_example_response(ep, &status, &file, NULL) != WX_OK ||
        !json_object_is_type(file, json_type_string)) {
        json_object_put(file);
        return;
    }
    char sha1[41];
    if (wx_sha1_hex(json_object_get_string(file), (size_t)json_object_get_string_len(file), sha1) ==
        WX_OK) {
        json_object_object_add(example, "hash_type", json_object_new_string("SHA1"));
        json_object_object_add(example, "hash_value", json_object_new_string(sha1));
    }
    json_object_put(file);
    /* Keep the example's token; send the client back here. */
    const char *host = header(req->headers, "Host");
    const char *q = strchr(json_object_get_string(url), '?');
    if (host && !strpbrk(host, "/\\\"\r\n ")) {
        char buf[1024];
        snprintf(buf, sizeof buf, "%s://%s/v3/billdownload/file%s", ctx->tls ? "https" : "http",
                 host, q ? q : "");
        json_object_object_add(example, "download_url", json_object_new_string(buf));
    }
}
