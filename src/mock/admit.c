/* What a request may send before its body is read (issue 16): the sandbox decides from
 * the request line and headers alone, so a caller who cannot even name the merchant
 * in a well-formed Authorization header never gets a byte of body buffered, and no
 * path takes more than it plausibly needs (APIv2 XML and control calls are small, JSON
 * calls modest, only media uploads large). The signature itself covers the body and is
 * checked after it (handler.c). */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth_header.h"
#include "lifecycle.h"
#include "mock.h"
#include <wechatpay/sys/spec.h>

/* The most body bytes an APIv3 call to @p target may send: an upload's or a JSON call's. */
static size_t v3_limit(const wx_mock_handler_ctx *ctx, const char *method, const char *target)
{
    size_t plen = strcspn(target, "?");
    char *path = malloc(plen + 1);
    if (!path)
        return WX_MOCK_MAX_JSON_BODY;
    memcpy(path, target, plen);
    path[plen] = 0;
    const wx_endpoint_t *ep = NULL;
    struct json_object *vars = NULL;
    if (wx_spec_find(ctx->spec, method, path, &ep, &vars, NULL) != WX_OK)
        ep = NULL;
    json_object_put(vars);
    free(path);
    return wx_endpoint_is_multipart(ep) ? WX_MOCK_MAX_UPLOAD_BODY : WX_MOCK_MAX_JSON_BODY;
}

/* The fault header as wx_mock_handle() reads it: 1 with a 400 when it names no mode. */
static int bad_fault_header(const wx_mock_request *req, wx_mock_reply *reply)
{
    const char *fault = wx_mock_header(req->headers, "Wxpay-Mock-Fault");
    wx_mock_fault f;
    if (!fault || wx_mock_fault_parse(fault, strlen(fault), &f) == 0) {
        if (fault)
            reply->fault = f;
        return 0;
    }
    reply->fault = WX_FAULT_NONE;
    wx_mock_reply_error(reply, 400, "PARAM_ERROR",
                        "unknown Wxpay-Mock-Fault mode '%.40s' (see wxpay mock --help)", fault);
    return 1;
}

int wx_mock_admit(const wx_mock_handler_ctx *ctx, const wx_mock_request *req,
                  uint64_t content_length, size_t *limit, wx_mock_reply *reply)
{
    memset(reply, 0, sizeof *reply);
    reply->fault = ctx->default_fault;
    reply->content_type = "application/json";
    if (bad_fault_header(req, reply))
        return 1;
    if (!strncmp(req->target, "/mock/", 6)) {
        if (!req->peer_loopback) {
            wx_mock_control_answer(ctx, req, reply); /* the 403, without a body */
            return 1;
        }
        *limit = WX_MOCK_MAX_SMALL_BODY;
    } else if (wx_mock_v2_is_call(ctx, req->method, req->target)) {
        *limit = WX_MOCK_MAX_SMALL_BODY; /* signed inside its body: nothing to check before */
    } else {
        wx_mock_auth a;
        if (wx_mock_auth_check(ctx, req, &a, reply) != 0) {
            if (reply->fault == WX_FAULT_HTTP_500)
                wx_mock_reply_error(reply, 500, "SYSTEM_ERROR",
                                    "system error (injected fault http-500)");
            return 1;
        }
        *limit = v3_limit(ctx, req->method, req->target);
    }
    if (content_length != UINT64_MAX && content_length > *limit) {
        wx_mock_reply_error(reply, 413, "PARAM_ERROR",
                            "request body is too large: Content-Length %llu, at most %zu bytes "
                            "on this path", (unsigned long long)content_length, *limit);
        return 1;
    }
    wx_mock_reply_free(reply); /* nothing decided yet */
    return 0;
}
