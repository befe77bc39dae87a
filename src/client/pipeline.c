/* One request's way out and back in:
 *   out: expand the path template, add the query, check the body is JSON, validate
 *        against the spec, sign, assemble headers and URL (nothing is sent on failure);
 *   in:  verify the signature over the exact bytes received (before anything is
 *        parsed), then turn a 4xx/5xx into WX_E_HTTP with the server's code/message. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "client/client_internal.h"
#include "request/target.h"
#include "request/uritemplate_internal.h"
#include "sign/sign_internal.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/json.h"
#include "util/strutil.h"

#define WX_MAX_HEADERS 48

/* ---------------------------------------------------------------- variables */

static void lookup_var(void *ud, const char *name, size_t len, wx_uri_value *out)
{
    const wx_request_options_t *o = ud;
    out->type = WX_UV_UNDEF;
    for (size_t i = 0; o->vars && o->vars[i].key; i++) {
        if (strlen(o->vars[i].key) == len && memcmp(o->vars[i].key, name, len) == 0) {
            if (!o->vars[i].value)
                return;
            out->type = WX_UV_STRING;
            out->str = o->vars[i].value;
            out->len = strlen(o->vars[i].value);
            return;
        }
    }
    if (o->vars_json && json_object_is_type(o->vars_json, json_type_object)) {
        char key[256];
        if (len >= sizeof key)
            return;
        memcpy(key, name, len);
        key[len] = 0;
        struct json_object *v;
        if (json_object_object_get_ex(o->vars_json, key, &v) && v) {
            out->type = WX_UV_JSON;
            out->json = v;
        }
    }
}

/* Path variables as the validator sees them: values the router took from a concrete
 * path, then the caller's. The router's values belong to the node, which other threads
 * use at the same time: they are copied, never shared (json-c's reference counts are
 * not atomic). */
static struct json_object *path_vars_view(const wx_route_spec *s, const wx_request_options_t *o)
{
    struct json_object *v = json_object_new_object();
    if (!v)
        return NULL;
    if (s->vars) {
        json_object_object_foreach(s->vars, k, val)
        {
            const char *str = json_object_get_string(val); /* a string: only read */
            if (str && str[0] != '{') /* an expression: the caller supplies the value */
                json_object_object_add(
                    v, k, json_object_new_string_len(str, json_object_get_string_len(val)));
        }
    }
    for (size_t i = 0; o->vars && o->vars[i].key; i++)
        if (o->vars[i].value)
            json_object_object_add(v, o->vars[i].key, json_object_new_string(o->vars[i].value));
    if (o->vars_json && json_object_is_type(o->vars_json, json_type_object)) {
        json_object_object_foreach(o->vars_json, k, val)
        {
            if (val && !json_object_is_type(val, json_type_null))
                json_object_object_add(v, k, json_object_new_string(json_object_get_string(val)));
        }
    }
    return v;
}

/* ---------------------------------------------------------------- path */

/* ---------------------------------------------------------------- headers */

typedef struct header_list {
    size_t name[WX_MAX_HEADERS], value[WX_MAX_HEADERS]; /* offsets in head_store */
    size_t count;
} header_list;

static int header_token_ok(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c <= 32 || c >= 127 || strchr("()<>@,;:\\\"/[]?={}", c))
            return 0;
    }
    return 1;
}

static void add_header(wx_call *call, header_list *h, const char *name, const char *value)
{
    if (h->count == WX_MAX_HEADERS) {
        call->head_store.failed = WX_E_TOO_LARGE;
        return;
    }
    h->name[h->count] = call->head_store.len;
    wx_buf_append(&call->head_store, name, strlen(name) + 1);
    h->value[h->count] = call->head_store.len;
    wx_buf_append(&call->head_store, value, strlen(value) + 1);
    h->count++;
}

static int has_header(const wx_kv_t *kv, const char *name)
{
    return wx_kv_find_ci(kv, name) != NULL;
}

/* ---------------------------------------------------------------- uploads */

static const char *guess_type(const char *filename)
{
    static const char *const map[][2] = {
        {".jpg", "image/jpeg"}, {".jpeg", "image/jpeg"}, {".png", "image/png"},
        {".bmp", "image/bmp"},  {".gif", "image/gif"},   {".mp4", "video/mp4"},
        {".avi", "video/x-msvideo"}, {".wmv", "video/x-ms-wmv"}, {".mpeg", "video/mpeg"},
        {".mov", "video/quicktime"}, {".flv", "video/x-flv"}, {".mkv", "video/x-matroska"},
        {".rmvb", "application/vnd.rn-realmedia-vbr"}};
    const char *dot = strrchr(filename, '.');
    for (size_t i = 0; dot && i < sizeof map / sizeof map[0]; i++)
        if (wx_strcasecmp_ascii(dot, map[i][0]) == 0)
            return map[i][1];
    return "application/octet-stream";
}

/* The file name and content type go into the part's headers: no control characters. */
static int has_control(const char *s)
{
    for (; s && *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 1;
    return 0;
}

static wx_err prepare_upload(wx_call *call, const wx_upload_t *u, wx_error_t *err)
{
    if (!u->filename || !*u->filename)
        return wx_error_set(err, WX_E_INVALID_ARG, "upload.filename", "upload needs a filename");
    if (has_control(u->filename) || has_control(u->content_type))
        return wx_error_set(err, WX_E_HEADER_VALUE,
                            has_control(u->filename) ? "upload.filename" : "upload.content_type",
                            "%s holds a control character (CR, LF, ...): it would forge a "
                            "header of the multipart body",
                            has_control(u->filename) ? "upload.filename" : "upload.content_type");
    if (!u->path == !u->data)
        return wx_error_set(err, WX_E_INVALID_ARG, "upload",
                            "upload needs exactly one of a path or data");
    char hex[65];
    if (u->path) {
        /* The file is hashed now and read again by the transport when it is sent. */
        char *data = NULL;
        size_t len = 0;
        wx_err rc = wx_read_file(u->path, &data, &len, err);
        if (rc != WX_OK)
            return rc;
        wx_sha256_hex(data, len, hex);
        wx_free(data);
        if (!(call->upload_path = wx_strdup(u->path)))
            return wx_error_set(err, WX_E_NOMEM, "", "out of memory");
    } else {
        wx_sha256_hex(u->data, u->data_len, hex);
        if (!(call->upload_data = wx_memdup(u->data, u->data_len)))
            return wx_error_set(err, WX_E_NOMEM, "", "out of memory");
    }
    struct json_object *meta = json_object_new_object();
    if (!meta)
        return wx_error_set(err, WX_E_NOMEM, "", "out of memory");
    json_object_object_add(meta, "filename", json_object_new_string(u->filename));
    json_object_object_add(meta, "sha256", json_object_new_string(hex));
    call->upload_meta = wx_strdup(
        json_object_to_json_string_ext(meta, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(meta);
    call->upload_filename = wx_strdup(u->filename);
    if (!call->upload_meta || !call->upload_filename || (u->path && !call->upload_path))
        return wx_error_set(err, WX_E_NOMEM, "", "out of memory");
    call->req.upload_meta = call->upload_meta;
    call->req.upload_filename = call->upload_filename;
    call->req.upload_path = call->upload_path;
    call->req.upload_data = call->upload_data;
    call->req.upload_data_len = u->data_len;
    call->req.upload_content_type = u->content_type ? u->content_type : guess_type(u->filename);
    return WX_OK;
}

/* ---------------------------------------------------------------- body */

/* ---------------------------------------------------------------- debug */

static void debug_request(wx_call *call)
{
    wx_client_t *c = call->client;
    if (!c->debug)
        return;
    wx_buf d = WX_BUF_INIT;
    wx_buf_puts(&d, "> ");
    const char *head = call->resp->request_head;
    /* The signature is not a secret, but a log is no place for credentials. */
    const char *sig = strstr(head, "signature=\"");
    if (sig) {
        wx_buf_append(&d, head, (size_t)(sig - head) + 11);
        wx_buf_puts(&d, "<masked>");
        const char *q = strchr(sig + 11, '"');
        wx_buf_puts(&d, q ? q : "\"");
    } else {
        wx_buf_puts(&d, head);
    }
    if (call->body_len) {
        wx_buf_putc(&d, '\n');
        wx_buf_append(&d, call->body, call->body_len);
        wx_buf_putc(&d, '\n');
    }
    if (wx_buf_ok(&d))
        c->debug(c->debug_ud, d.data, d.len);
    wx_buf_free(&d);
}

static void debug_response(wx_call *call)
{
    wx_client_t *c = call->client;
    if (!c->debug)
        return;
    wx_response_t *r = call->resp;
    wx_buf d = WX_BUF_INIT;
    wx_buf_printf(&d, "< %d (%s)\n", r->http.status, wx_err_name(r->error.code));
    for (size_t i = 0; i < r->http.header_count; i++)
        wx_buf_printf(&d, "< %s: %s\n", r->http.headers[i].key, r->http.headers[i].value);
    if (r->body_visible && r->http.body.len) {
        wx_buf_append(&d, r->http.body.data, r->http.body.len);
        wx_buf_putc(&d, '\n');
    } else if (r->error.code != WX_OK) {
        wx_buf_printf(&d, "< error: %s\n", r->error.message);
    }
    if (wx_buf_ok(&d))
        c->debug(c->debug_ud, d.data, d.len);
    wx_buf_free(&d);
}

/* ---------------------------------------------------------------- prepare */

/* Downloads WeChat Pay does not sign, for when no spec says so: the path exactly
 * (a query may follow), or an image under the images folder. */
static int is_download_path(const char *target)
{
    static const char bill[] = "/v3/billdownload/file";
    static const char images[] = "/v3/merchant-service/images/";
    size_t n = sizeof bill - 1;
    if (strncmp(target, bill, n) == 0 && (target[n] == 0 || target[n] == '?'))
        return 1;
    n = sizeof images - 1;
    return strncmp(target, images, n) == 0 && target[n] && target[n] != '?' &&
           !strchr(target + n, '/');
}

/* Sign (again, for a retry: a fresh timestamp and nonce) and aim at base_url: the
 * Authorization value, the URL and the record of the request head. */
wx_err wx_call_sign(wx_call *call, const char *base_url, wx_error_t *err)
{
    if (call->v2)
        return wx_v2_aim(call, base_url, err);
    wx_client_t *c = call->client;
    char nonce[64];
    nonce[sizeof nonce - 1] = 0;
    wx_err rc = c->nonce(c->nonce_ud, nonce);
    if (rc != WX_OK)
        return wx_error_set(err, WX_E_SIGN, "", "no nonce: %s", wx_strerror(rc));
    /* A custom nonce goes between quotes in the header: letters and digits only. */
    int nonce_ok = nonce[0] != 0;
    for (const char *p = nonce; *p; p++)
        nonce_ok &= (*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z');
    if (!nonce_ok)
        return wx_error_set(err, WX_E_SIGN, "nonce",
                            "the nonce source gave an empty nonce or one with characters "
                            "other than letters and digits");
    const char *body = call->upload_meta ? call->upload_meta : call->body;
    size_t body_len = call->upload_meta ? strlen(call->upload_meta) : call->body_len;
    wx_sign_input_t in = {call->method, call->target, body ? body : "", body ? body_len : 0,
                          wx_client_now(c), nonce};
    char auth[2048];
    auth[sizeof auth - 1] = 0; /* whatever the signer does, the header ends here */
    if ((rc = c->signer->authorization(c->signer->ctx, &in, auth, sizeof auth, err)) != WX_OK) {
        rc = rc == WX_E_NOMEM ? rc : WX_E_SIGN;
        if (err)
            err->code = rc;
        return rc;
    }
    if (wx_has_crlf_nul(auth, strlen(auth)))
        return wx_error_set(err, WX_E_SIGN, "", "the signer produced a header with CR or LF");
    char *copy = wx_strdup(auth);
    wx_buf url = WX_BUF_INIT, head = WX_BUF_INIT;
    wx_buf_puts(&url, base_url);
    wx_buf_puts(&url, call->target + 1);
    if (copy) {
        call->headers[0].value = copy;
        wx_buf_printf(&head, "%s %s HTTP/1.1\n", call->method, call->target);
        for (size_t i = 0; call->headers[i].key; i++)
            wx_buf_printf(&head, "%s: %s\n", call->headers[i].key, call->headers[i].value);
    }
    if (!copy || !wx_buf_ok(&url) || !wx_buf_ok(&head)) {
        if (copy)
            call->headers[0].value = call->auth ? call->auth : "";
        wx_free(copy);
        wx_buf_free(&url);
        wx_buf_free(&head);
        return wx_error_set(err, WX_E_NOMEM, "", "out of memory");
    }
    wx_free(call->auth);
    call->auth = copy;
    wx_buf_free(&call->url);
    call->url = url;
    call->req.url = call->url.data;
    wx_free(call->resp->request_head);
    call->resp->request_head = wx_buf_steal(&head, NULL);
    debug_request(call);
    return WX_OK;
}

static wx_err fail_call(wx_call *call, wx_err code, wx_error_t *err)
{
    wx_response_fail(call->resp, code, err);
    return code;
}

wx_err wx_call_prepare(wx_call *call, wx_route *node, wx_method method,
                       const wx_request_options_t *opts)
{
    static const wx_request_options_t no_options;
    const wx_request_options_t *o = opts ? opts : &no_options;
    wx_client_t *c = call->client;
    wx_error_t err;
    wx_error_clear(&err);
    wx_err rc;
    const char *mname = wx_method_name(method);
    if (!mname)
        return wx_error_set(&err, WX_E_INVALID_ARG, "", "invalid method %d", (int)method),
               fail_call(call, WX_E_INVALID_ARG, &err);
    if (wx_v2_node(node)) /* APIv2: XML, signed in the body (apiv2_call.c) */
        return wx_v2_prepare(call, node, method, o);
    /* auto_refresh_certificates: certificates near their expiry are renewed first */
    if (!call->cert_download)
        wx_certs_maintain(c);

    /* 1. path and query */
    const wx_uri_template_t *t = wx_route_template(node, &err);
    if (!t)
        return fail_call(call, err.code, &err);
    wx_buf target = WX_BUF_INIT;
    wx_buf_putc(&target, '/');
    rc = wx_uri_template_expand_fn(t, lookup_var, (void *)o, WX_URI_REQUEST, &target, &err);
    if (rc != WX_OK) {
        wx_buf_free(&target);
        return fail_call(call, rc, &err);
    }
    if (wx_buf_ok(&target) && wx_request_target_check(target.data, &err) != WX_OK) {
        wx_buf_free(&target);
        return fail_call(call, err.code, &err);
    }
    if (o->query && o->query[0].key) {
        wx_buf_putc(&target, '?');
        wx_query_encode(&target, o->query);
    }

    /* 2. body */
    struct json_object *body = NULL;
    int own_body = 0;
    const char *text = NULL;
    size_t text_len = 0;
    /* encrypt_fields: the key is chosen first, so that validation sees the request's
     * Wechatpay-Serial; the fields are encrypted after validating them in clear. */
    wx_sensitive_plan plan = {0};
    const wx_kv_t *headers = o->headers;
    if (o->json && o->json_text) {
        rc = wx_error_set(&err, WX_E_INVALID_ARG, "body", "give json or json_text, not both");
        goto out;
    }
    if (o->upload && (o->json || o->json_text)) {
        rc = wx_error_set(&err, WX_E_INVALID_ARG, "body",
                          "an upload carries its own meta JSON: leave json/json_text empty");
        goto out;
    }
    if (o->json) {
        body = o->json;
        text = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN |
                                                        JSON_C_TO_STRING_NOSLASHESCAPE);
        text_len = text ? strlen(text) : 0;
    } else if (o->json_text) {
        text = o->json_text;
        text_len = o->json_text_len ? o->json_text_len : strlen(text);
        if ((rc = wx_json_parse(text, text_len, "body", &body, &err)) != WX_OK)
            goto out;
        own_body = 1;
    }
    int encrypting = o->encrypt_fields && o->encrypt_fields[0];
    if (encrypting) {
        if ((rc = wx_sensitive_plan_make(c, o, &plan, &err)) != WX_OK)
            goto out;
        headers = plan.headers;
    }

    /* 3. spec: validate, and learn whether the answer will be signed */
    const wx_route_spec *spec = wx_route_spec_for(node, method);
    if (spec->rc == WX_E_NOMEM) { /* not knowing the spec is not "no spec" */
        rc = wx_error_set(&err, WX_E_NOMEM, "", "out of memory looking up the spec");
        goto out;
    }
    if (spec->rc == WX_E_SPEC && c->validate_requests && !o->no_validation) {
        if (spec->err)
            err = *spec->err;
        else
            wx_error_set(&err, WX_E_SPEC, "", "the spec for %s /%s is unusable", mname, node->path);
        rc = WX_E_SPEC;
        goto out;
    }
    call->ep = spec->rc == WX_OK ? spec->ep : NULL;
    if (call->ep && c->validate_requests && !o->no_validation) {
        wx_request_view_t view = {.query = o->query, .headers = headers, .body = body,
                                  .has_body = o->json || o->json_text};
        view.path_vars = path_vars_view(spec, o);
        if (!view.path_vars) {
            rc = wx_error_set(&err, WX_E_NOMEM, "", "out of memory");
            goto out;
        }
        wx_violations_t *v = NULL;
        rc = wx_endpoint_validate_request(call->ep, &view, &v);
        json_object_put(view.path_vars);
        if (rc != WX_OK) {
            call->resp->violations = v;
            size_t n = wx_violations_count(v);
            const wx_violation_t *first = wx_violations_at(v, 0);
            if (rc == WX_E_VALIDATION && first)
                wx_error_set(&err, rc, first->path, "%s %s: %zu violation%s, first: %s: %s",
                             mname, wx_endpoint_template(call->ep), n, n == 1 ? "" : "s",
                             first->path, first->reason);
            else
                wx_error_set(&err, rc, "", "request validation failed: %s", wx_strerror(rc));
            goto out;
        }
        wx_violations_free(v);
    }
    call->unsigned_2xx = call->ep ? wx_endpoint_unsigned_response(call->ep)
                                  : is_download_path(target.data) &&
                                        !wx_request_path_has_escape(target.data);

    /* 4. the body as sent, and uploads */
    if (encrypting &&
        (rc = wx_sensitive_plan_encrypt(c, &plan, body, o->encrypt_fields, &text, &text_len,
                                        &err)) != WX_OK)
        goto out;
    if (o->upload) {
        if ((rc = prepare_upload(call, o->upload, &err)) != WX_OK)
            goto out;
        text = call->upload_meta;
        text_len = strlen(text);
    } else if (text) {
        if (!(call->body = wx_memdup(text, text_len))) {
            rc = wx_error_set(&err, WX_E_NOMEM, "", "out of memory");
            goto out;
        }
        call->body_len = text_len;
    }

    /* 5. headers; Authorization first, its value filled in by wx_call_sign */
    header_list h = {0};
    add_header(call, &h, "Authorization", "");
    add_header(call, &h, "Accept", "application/json");
    if (call->body && !has_header(headers, "Content-Type"))
        add_header(call, &h, "Content-Type", "application/json");
    if (!has_header(headers, "User-Agent"))
        add_header(call, &h, "User-Agent", c->user_agent);
    for (size_t i = 0; headers && headers[i].key; i++) {
        const char *name = headers[i].key, *value = headers[i].value ? headers[i].value : "";
        if (!header_token_ok(name)) {
            rc = wx_error_set(&err, WX_E_HEADER_VALUE, name, "header name \"%.64s\" is not a token",
                              name);
            goto out;
        }
        if (wx_has_crlf_nul(value, strlen(value))) {
            rc = wx_error_set(&err, WX_E_HEADER_VALUE, name,
                              "header %s: value contains CR, LF or NUL", name);
            goto out;
        }
        if (wx_strcasecmp_ascii(name, "Authorization") == 0 ||
            wx_strcasecmp_ascii(name, "Content-Length") == 0 ||
            wx_strcasecmp_ascii(name, "Host") == 0) {
            rc = wx_error_set(&err, WX_E_INVALID_ARG, name,
                              "header %s is set by the library and cannot be given", name);
            goto out;
        }
        add_header(call, &h, name, value);
    }
    if (!wx_buf_ok(&call->head_store)) {
        rc = wx_error_set(&err, call->head_store.failed, "headers",
                          call->head_store.failed == WX_E_TOO_LARGE ? "more than %d headers"
                                                                    : "out of memory",
                          WX_MAX_HEADERS);
        goto out;
    }
    call->headers = wx_malloc((h.count + 1) * sizeof *call->headers);
    if (!call->headers) {
        rc = wx_error_set(&err, WX_E_NOMEM, "", "out of memory");
        goto out;
    }
    for (size_t i = 0; i < h.count; i++)
        call->headers[i] = (wx_kv_t){call->head_store.data + h.name[i],
                                     call->head_store.data + h.value[i]};
    call->headers[h.count] = (wx_kv_t){NULL, NULL};

    /* 6. what goes on the wire, then the signature */
    if (!(call->method = wx_strdup(mname)) || !(call->target = wx_strdup(target.data))) {
        rc = wx_error_set(&err, WX_E_NOMEM, "", "out of memory");
        goto out;
    }
    /* The record of the body: for an upload, the meta JSON that was signed. */
    const char *sent = call->upload_meta ? call->upload_meta : call->body;
    size_t sent_len = call->upload_meta ? strlen(call->upload_meta) : call->body_len;
    if (sent && !(call->resp->request_body = wx_memdup(sent, sent_len))) {
        rc = wx_error_set(&err, WX_E_NOMEM, "", "out of memory");
        goto out;
    }
    call->resp->request_body_len = sent_len;
    call->req = (wx_http_request_t){
        .method = call->method,
        .headers = call->headers,
        .body = call->body,
        .body_len = call->body_len,
        .connect_timeout_ms = c->connect_timeout_ms,
        .timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : c->timeout_ms,
        .max_response_bytes = c->max_response_bytes,
        .retry_safe = o->retry_safe,
        .upload_meta = call->req.upload_meta,
        .upload_filename = call->req.upload_filename,
        .upload_path = call->req.upload_path,
        .upload_data = call->req.upload_data,
        .upload_data_len = call->req.upload_data_len,
        .upload_content_type = call->req.upload_content_type,
        .low_speed_limit = c->low_speed_limit,
        .low_speed_time_s = c->low_speed_time_s,
    };
    if ((rc = wx_call_sign(call, c->base_url, &err)) != WX_OK)
        goto out;
    call->resp->http.body.limit = c->max_response_bytes;
    call->sink = o->sink;
    call->sink_ud = o->sink_ud;
    if (o->sink && call->unsigned_2xx) {
        /* Nothing to verify: stream straight to the caller, whatever its size (a bill
           may be larger than any body worth keeping; an error body still is kept and
           limited). */
        call->resp->http.sink = o->sink;
        call->resp->http.sink_ud = o->sink_ud;
        call->req.max_response_bytes = 0;
    }
    rc = WX_OK;

out:
    if (own_body)
        json_object_put(body);
    wx_sensitive_plan_free(&plan);
    wx_buf_free(&target);
    if (rc != WX_OK)
        fail_call(call, rc, &err);
    return rc;
}

/* ---------------------------------------------------------------- retry */

int wx_call_retry(wx_call *call, wx_err rc)
{
    wx_client_t *c = call->client;
    wx_response_t *r = call->resp;
    call->attempts++;
    if (call->attempts > c->max_retries || r->http.sink_bytes)
        return 0; /* out of attempts, or part of the body already went to the caller */
    int status = r->http.status;
    int nothing_sent = rc == WX_E_CONNECT;
    int maybe_received = (rc == WX_E_TRANSPORT || rc == WX_E_TIMEOUT) ||
                         (rc == WX_OK && status >= 500 && status < 600);
    if (!nothing_sent && !(maybe_received && call->req.retry_safe))
        return 0;
    /* A connection failure goes to the other domain, when there is one. */
    const char *base = c->base_url;
    if (nothing_sent && c->backup_base_url) {
        call->on_backup = !call->on_backup;
        base = call->on_backup ? c->backup_base_url : c->base_url;
    } else if (call->on_backup) {
        base = c->backup_base_url;
    }
    wx_error_t err;
    wx_error_clear(&err);
    if (wx_call_sign(call, base, &err) != WX_OK)
        return 0;
    wx_http_response_restart(&r->http);
    return 1;
}

/* ---------------------------------------------------------------- finish */

static void take_server_error(wx_response_t *r)
{
    struct json_object *j = wx_response_json(r), *v;
    wx_error_t *e = &r->error;
    if (j && json_object_object_get_ex(j, "code", &v) && json_object_is_type(v, json_type_string))
        snprintf(e->server_code, sizeof e->server_code, "%s", json_object_get_string(v));
    if (j && json_object_object_get_ex(j, "message", &v) &&
        json_object_is_type(v, json_type_string))
        snprintf(e->server_message, sizeof e->server_message, "%s", json_object_get_string(v));
    if (e->server_code[0])
        snprintf(e->message, sizeof e->message, "HTTP %d %s: %s", r->http.status, e->server_code,
                 e->server_message);
    else
        snprintf(e->message, sizeof e->message, "HTTP %d", r->http.status);
}

/* A response that does not verify: its error, and not one byte of its body. */
static void reject(wx_call *call, wx_err rc, wx_error_t *e)
{
    wx_response_t *r = call->resp;
    e->code = rc;
    e->http_status = r->http.status;
    wx_response_fail(r, rc, e);
    wx_secure_zero(r->http.body.data, r->http.body.len);
    wx_buf_free(&r->http.body);
    debug_response(call);
}

static void finish_verified(wx_call *call);

void wx_call_finish(wx_call *call, wx_err transport_rc, const wx_error_t *transport_err)
{
    if (call->v2) {
        wx_v2_finish(call, transport_rc, transport_err);
        return;
    }
    wx_client_t *c = call->client;
    wx_response_t *r = call->resp;
    r->error.http_status = r->http.status;
    if (transport_rc != WX_OK) {
        wx_error_t e = *transport_err;
        e.http_status = r->http.status;
        wx_response_fail(r, transport_rc, &e);
        wx_buf_free(&r->http.body);
        debug_response(call);
        return;
    }
    int status = r->http.status;
    int ok2xx = status >= 200 && status < 300;
    if (!(call->unsigned_2xx && ok2xx)) {
        wx_error_t e;
        wx_error_clear(&e);
        wx_verify_input_t in = {status, r->http.headers ? r->http.headers : (wx_kv_t[]){{0, 0}},
                                r->http.body.data ? r->http.body.data : "", r->http.body.len,
                                wx_client_now(c)};
        wx_err rc = c->verifier->verify(c->verifier->ctx, &in, &e);
        if (rc == WX_E_VERIFY_SERIAL && wx_certs_hold_for_serial(call)) {
            /* An unknown platform key: the body is kept, unseen (body_visible stays 0),
             * until wx_call_settle has refreshed the certificates, or for the
             * certificate download to check itself against what it carries. */
            e.code = rc;
            e.http_status = status;
            wx_response_fail(r, rc, &e);
            call->serial_pending = 1;
            return;
        }
        if (rc != WX_OK) {
            /* Not one byte of an unverified body reaches the caller. */
            reject(call, rc, &e);
            return;
        }
    }
    finish_verified(call);
}

void wx_call_settle(wx_call *call)
{
    if (!call->serial_pending || call->cert_download)
        return;
    call->serial_pending = 0;
    wx_client_t *c = call->client;
    wx_response_t *r = call->resp;
    wx_error_t e;
    wx_error_clear(&e);
    wx_err rc = wx_certs_refresh_for_serial(c, wx_response_header(r, "Wechatpay-Serial"), &e);
    if (rc == WX_OK) {
        /* The refreshed keyring holds the serial: the usual check decides. */
        wx_verify_input_t in = {r->http.status, r->http.headers, wx_buf_str(&r->http.body),
                                r->http.body.len, wx_client_now(c)};
        rc = c->verifier->verify(c->verifier->ctx, &in, &e);
    }
    if (rc != WX_OK) {
        reject(call, rc, &e);
        return;
    }
    wx_error_clear(&r->error); /* the unknown-serial failure recorded while it waited */
    r->error.http_status = r->http.status;
    finish_verified(call);
}

/* After verification (or for an unsigned download): HTTP errors, optional response
 * validation, the body sink. */
static void finish_verified(wx_call *call)
{
    wx_client_t *c = call->client;
    wx_response_t *r = call->resp;
    int status = r->http.status;
    int ok2xx = status >= 200 && status < 300;
    r->body_visible = 1;
    r->error.code = WX_OK;
    if (!ok2xx) {
        r->error.code = WX_E_HTTP;
        take_server_error(r);
    } else if (c->validate_responses && call->ep && !r->http.sink) {
        wx_violations_t *v = NULL;
        struct json_object *j = wx_response_json(r);
        if (j && wx_endpoint_validate_response(call->ep, status, j, &v) == WX_E_VALIDATION) {
            r->violations = v;
            const wx_violation_t *first = wx_violations_at(v, 0);
            wx_error_set(&r->error, WX_E_VALIDATION, first ? first->path : "",
                         "response does not match its spec: %s: %s", first ? first->path : "",
                         first ? first->reason : "");
            r->error.http_status = status;
        } else {
            wx_violations_free(v);
        }
    }
    if (ok2xx && call->sink && !r->http.sink && r->error.code == WX_OK) {
        /* Verified first, then handed over. */
        if (r->http.body.len && call->sink(call->sink_ud, r->http.body.data, r->http.body.len) != 0)
            wx_error_set(&r->error, WX_E_IO, "sink", "the body sink refused the data");
        wx_buf_free(&r->http.body);
    }
    if (r->http.sink_aborted)
        wx_error_set(&r->error, WX_E_IO, "sink", "the body sink refused the data");
    debug_response(call);
}
