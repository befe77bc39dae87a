/* Pipeline steps about the body: reading what the caller gave (json or json_text),
 * encrypting sensitive fields, and the bytes that are sent (the body, or an upload's
 * meta JSON with the file). */
#include <string.h>

#include <json-c/json.h>

#include "client/pipeline.h"
#include "sign/sign_internal.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/json.h"
#include "util/strutil.h"

#define WX_JSON_SEND_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

wx_err wx_step_body(wx_prep *p)
{
    const wx_request_options_t *o = p->o;
    if (o->json && o->json_text)
        return wx_error_set(&p->err, WX_E_INVALID_ARG, "body", "give json or json_text, not both");
    if (o->upload && (o->json || o->json_text))
        return wx_error_set(&p->err, WX_E_INVALID_ARG, "body",
                            "an upload carries its own meta JSON: leave json/json_text empty");
    if (o->json) {
        p->body = o->json;
        p->text = json_object_to_json_string_ext(p->body, WX_JSON_SEND_FLAGS);
        p->text_len = p->text ? strlen(p->text) : 0;
    } else if (o->json_text) {
        p->text = o->json_text;
        p->text_len = o->json_text_len ? o->json_text_len : strlen(p->text);
        wx_err rc = wx_json_parse(p->text, p->text_len, "body", &p->body, &p->err);
        if (rc != WX_OK)
            return rc;
        p->own_body = 1;
    }
    /* encrypt_fields, or an endpoint whose spec marks sensitive fields (encrypted without
     * being asked, whatever validation says): the key is chosen now, so that validation
     * sees the request's Wechatpay-Serial header, and the body is validated in clear.
     * No key is an error here, before anything is sent. */
    const wx_endpoint_t *ep = p->call->answer.ep;
    p->marked = wx_endpoint_has_sensitive(ep) && (p->body || wx_sensitive_params_given(ep, o))
                    ? ep : NULL;
    p->encrypting = (o->encrypt_fields && o->encrypt_fields[0]) || p->marked;
    if (!p->encrypting)
        return WX_OK;
    wx_err rc = wx_sensitive_plan_make(p->client, o, &p->plan, &p->err);
    if (rc == WX_OK)
        p->headers = p->plan.headers;
    return rc;
}

wx_err wx_step_encrypt(wx_prep *p)
{
    if (!p->encrypting)
        return WX_OK;
    wx_err rc = wx_sensitive_plan_encrypt(p->client, &p->plan, p->body, p->o->encrypt_fields,
                                          p->marked, &p->text, &p->text_len, &p->err);
    return rc == WX_OK ? wx_sensitive_params_encrypt(p) : rc;
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

/* The file's SHA-256 in hex; the call keeps its path or a copy of its bytes. */
static wx_err upload_source(wx_call *call, const wx_upload_t *u, char hex[65], wx_error_t *err)
{
    if (!u->path) {
        wx_sha256_hex(u->data, u->data_len, hex);
        call->upload.data = wx_memdup(u->data, u->data_len);
        return call->upload.data ? WX_OK : wx_error_set(err, WX_E_NOMEM, "", "out of memory");
    }
    /* The file is hashed now and read again by the transport when it is sent. */
    char *data = NULL;
    size_t len = 0;
    wx_err rc = wx_read_file(u->path, &data, &len, err);
    if (rc != WX_OK)
        return rc;
    wx_sha256_hex(data, len, hex);
    wx_free(data);
    call->upload.path = wx_strdup(u->path);
    return call->upload.path ? WX_OK : wx_error_set(err, WX_E_NOMEM, "", "out of memory");
}

static wx_err prepare_upload(wx_call *call, const wx_upload_t *u, wx_error_t *err)
{
    if (!u->filename || !*u->filename)
        return wx_error_set(err, WX_E_INVALID_ARG, "upload.filename", "upload needs a filename");
    if (wx_has_control(u->filename, 0) || wx_has_control(u->content_type, 0)) {
        /* they go into the part's headers */
        const char *what =
            wx_has_control(u->filename, 0) ? "upload.filename" : "upload.content_type";
        return wx_error_set(err, WX_E_HEADER_VALUE, what,
                            "%s holds a control character (CR, LF, ...): it would forge a "
                            "header of the multipart body", what);
    }
    if (!u->path == !u->data)
        return wx_error_set(err, WX_E_INVALID_ARG, "upload",
                            "upload needs exactly one of a path or data");
    char hex[65];
    wx_err rc = upload_source(call, u, hex, err);
    if (rc != WX_OK)
        return rc;
    struct json_object *meta = json_object_new_object();
    if (!meta)
        return wx_error_set(err, WX_E_NOMEM, "", "out of memory");
    json_object_object_add(meta, "filename", json_object_new_string(u->filename));
    json_object_object_add(meta, "sha256", json_object_new_string(hex));
    call->upload.meta = wx_strdup(json_object_to_json_string_ext(meta, WX_JSON_SEND_FLAGS));
    json_object_put(meta);
    call->upload.filename = wx_strdup(u->filename);
    if (!call->upload.meta || !call->upload.filename)
        return wx_error_set(err, WX_E_NOMEM, "", "out of memory");
    call->wire.req.upload_meta = call->upload.meta;
    call->wire.req.upload_filename = call->upload.filename;
    call->wire.req.upload_path = call->upload.path;
    call->wire.req.upload_data = call->upload.data;
    call->wire.req.upload_data_len = u->data_len;
    call->wire.req.upload_content_type = u->content_type ? u->content_type : guess_type(u->filename);
    return WX_OK;
}

wx_err wx_step_payload(wx_prep *p)
{
    wx_call *call = p->call;
    if (p->o->upload)
        return prepare_upload(call, p->o->upload, &p->err);
    if (!p->text)
        return WX_OK;
    if (!(call->wire.body = wx_memdup(p->text, p->text_len)))
        return wx_prep_nomem(p);
    call->wire.body_len = p->text_len;
    return WX_OK;
}
