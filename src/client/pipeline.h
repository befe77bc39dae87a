/* The steps of a request's way out (pipeline.c runs them in order), and what they share
 * while one request is prepared. Each step is a short function with one job; a step
 * that fails sets prep->err and returns its code, and nothing is sent. */
#ifndef WX_CLIENT_PIPELINE_H
#define WX_CLIENT_PIPELINE_H

#include "client/client_internal.h"

struct json_object;

/* One request being prepared. Owned by wx_call_prepare, freed when it returns; what goes
 * on the wire is copied into the call. */
typedef struct wx_prep {
    wx_call *call;
    wx_client_t *client;
    wx_route *route;
    wx_method method;
    const char *method_name;          /* "POST" */
    const wx_request_options_t *o;    /* the caller's options, never NULL */
    wx_error_t err;
    wx_buf target;                    /* "/v3/...?query" (expand) */
    const wx_route_spec *spec;        /* the route's endpoint for the method (endpoint) */
    struct json_object *body;         /* the body as a value (body), owned if own_body */
    int own_body;
    const char *text;                 /* the body text to send (body, encrypt, payload) */
    size_t text_len;
    const wx_kv_t *headers;           /* the caller's headers, or the encryption plan's */
    wx_sensitive_plan plan;           /* encrypt_fields: the key, its header, the result */
    int encrypting;                   /* encrypt_fields or marked fields */
    const wx_endpoint_t *marked;      /* the endpoint, when its spec marks sensitive fields */
    int v2_cert;                      /* APIv2: sent with the merchant TLS certificate */
} wx_prep;

typedef wx_err (*wx_prep_step_fn)(wx_prep *p);

/* prepare_path.c */
wx_err wx_step_expand(wx_prep *p);    /* path template and query -> target */
wx_err wx_step_endpoint(wx_prep *p);  /* the spec's endpoint, and whether 2xx is signed */
/* prepare_strict.c: WX_VALIDATION_STRICT and no endpoint for the request: refused, with
 * the methods the spec has for the path, or the deepest known path above it. */
wx_err wx_strict_refuse(wx_prep *p);
/* prepare_body.c */
wx_err wx_step_body(wx_prep *p);      /* json / json_text -> body value and text */
wx_err wx_step_encrypt(wx_prep *p);   /* encrypt_fields and marked fields, platform key */
/* prepare_params.c: the query and header parameters the spec marks sensitive */
int wx_sensitive_params_given(const wx_endpoint_t *ep, const wx_request_options_t *o);
wx_err wx_sensitive_params_encrypt(wx_prep *p); /* after the body: values, then the target */
wx_err wx_step_payload(wx_prep *p);   /* the bytes sent: the body text or an upload */
/* prepare_validate.c */
wx_err wx_step_validate(wx_prep *p);  /* the request against its endpoint */
/* prepare_headers.c */
wx_err wx_step_headers(wx_prep *p);   /* Authorization (empty), defaults, the caller's */
/* sign.c */
wx_err wx_step_sign(wx_prep *p);      /* the HTTP request, signed, aimed at base_url */
wx_err wx_step_freeze(wx_prep *p);    /* the record of what was sent; limits and sinks */

/* apiv2_call.c: the APIv2 steps; headers, sign and freeze are the common ones. */
wx_err wx_step_v2_path(wx_prep *p);     /* POST, the APIv2 key, "v2/pay/x" -> "/pay/x" */
wx_err wx_step_v2_body(wx_prep *p);     /* a flat object, owned; no other merchant */
wx_err wx_step_v2_endpoint(wx_prep *p); /* endpoint, or by path; whether a cert is needed */
wx_err wx_step_v2_validate(wx_prep *p); /* validate, nonce_str and sign counted as given */
wx_err wx_step_v2_encode(wx_prep *p);   /* nonce_str, sign, the XML body */
wx_err wx_step_v2_cert(wx_prep *p);     /* the merchant TLS certificate where needed */

/* Record an out-of-memory failure on the prep (for steps). */
wx_err wx_prep_nomem(wx_prep *p);

#endif
