/* A request's way out, as a table of steps (pipeline.h); the way back in is answer.c.
 * Nothing is sent unless every step succeeds. */
#include <json-c/json.h>

#include "client/pipeline.h"
#include "util/buf.h"
#include "util/error.h"

/* Platform certificates near their expiry are renewed first (auto_refresh_certificates),
 * except by the certificate download itself. */
static wx_err step_certificates(wx_prep *p)
{
    if (!p->call->answer.cert_download)
        wx_certs_maintain(p->client);
    return WX_OK;
}

typedef struct wx_prep_step {
    const char *name;
    wx_prep_step_fn run;
} wx_prep_step;

/* The APIv3 pipeline. Validation sees the body in clear (with the header naming the key
 * that will encrypt it); the signature covers the bytes that go on the wire. */
static const wx_prep_step k_apiv3_steps[] = {
    {"certificates", step_certificates},
    {"expand", wx_step_expand},     {"endpoint", wx_step_endpoint},
    {"body", wx_step_body},         {"validate", wx_step_validate},
    {"encrypt", wx_step_encrypt},   {"payload", wx_step_payload},
    {"headers", wx_step_headers},   {"sign", wx_step_sign},
    {"freeze", wx_step_freeze},
    {NULL, NULL},
};

/* The APIv2 pipeline (apiv2_call.c): the path without "v2", a flat body validated with
 * nonce_str and sign counted as supplied, then signed inside the body and sent as XML;
 * from the headers on, the steps are the common ones. */
static const wx_prep_step k_apiv2_steps[] = {
    {"path", wx_step_v2_path},         {"body", wx_step_v2_body},
    {"endpoint", wx_step_v2_endpoint}, {"validate", wx_step_v2_validate},
    {"encode", wx_step_v2_encode},     {"headers", wx_step_headers},
    {"cert", wx_step_v2_cert},         {"sign", wx_step_sign},
    {"freeze", wx_step_freeze},
    {NULL, NULL},
};

wx_err wx_prep_nomem(wx_prep *p) { return wx_error_set(&p->err, WX_E_NOMEM, "", "out of memory"); }

static void prep_free(wx_prep *p)
{
    if (p->own_body)
        json_object_put(p->body);
    wx_sensitive_plan_free(&p->plan);
    wx_buf_free(&p->target);
}

wx_err wx_call_prepare(wx_call *call, wx_route *route, wx_method method,
                       const wx_request_options_t *opts)
{
    static const wx_request_options_t no_options;
    wx_prep p = {.call = call, .client = call->client, .route = route, .method = method,
                 .method_name = wx_method_name(method), .o = opts ? opts : &no_options};
    wx_error_clear(&p.err);
    wx_buf_init(&p.target);
    p.headers = p.o->headers;
    wx_err rc = WX_OK;
    if (!p.method_name)
        rc = wx_error_set(&p.err, WX_E_INVALID_ARG, "", "invalid method %d", (int)method);
    const wx_prep_step *step = wx_v2_node(route) ? k_apiv2_steps : k_apiv3_steps;
    for (; rc == WX_OK && step->run; step++)
        rc = step->run(&p);
    if (rc != WX_OK)
        wx_response_fail(call->resp, rc, &p.err);
    prep_free(&p);
    return rc;
}
