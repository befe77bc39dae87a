/* Requests and responses against an endpoint. Path, query and header values arrive as
 * text; they are read as the parameter's type first ("42" is an integer for an integer
 * parameter, "a,b" an array for an array one), so the violation says what is wrong with
 * the value rather than that it is text. */
#include "spec/spec_impl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/error.h"
#include "util/strutil.h"

static unsigned effective_types(const wx_schema *s)
{
    for (int hops = 0; s && hops < 16; hops++) {
        if (s->types)
            return s->types;
        if (s->ref)
            s = s->ref;
        else if (s->nall_of)
            s = s->all_of[0];
        else
            return 0;
    }
    return 0;
}

static const wx_schema *effective_items(const wx_schema *s)
{
    for (int hops = 0; s && hops < 16; hops++) {
        if (s->items)
            return s->items;
        s = s->ref ? s->ref : s->nall_of ? s->all_of[0] : NULL;
    }
    return &wx_schema_any;
}

static int is_number_text(const char *t)
{
    if (!*t)
        return 0;
    for (const char *p = t; *p; p++)
        if (!strchr("0123456789+-.eE", *p))
            return 0;
    return 1;
}

/* A new json-c value for a text parameter, typed as the schema asks. */
static json_object *coerce(const wx_schema *s, const char *text, size_t len, int *nomem)
{
    unsigned t = effective_types(s);
    json_object *v = NULL;
    if (t && !(t & WX_T_STR)) {
        if ((t & (WX_T_INT | WX_T_NUM)) && is_number_text(text)) {
            char *end;
            errno = 0;
            long long i = strtoll(text, &end, 10);
            if (!*end && errno == 0) {
                v = json_object_new_int64(i);
            } else {
                double d = strtod(text, &end);
                if (!*end)
                    v = json_object_new_double(d);
            }
            if (v || *nomem)
                goto out;
        }
        if ((t & WX_T_BOOL) && (strcmp(text, "true") == 0 || strcmp(text, "false") == 0)) {
            v = json_object_new_boolean(text[0] == 't');
            goto out;
        }
        if (t & WX_T_ARR) {
            /* Swagger's default collectionFormat: comma-separated. */
            const wx_schema *items = effective_items(s);
            v = json_object_new_array();
            const char *p = text;
            while (v && !*nomem) {
                const char *comma = strchr(p, ',');
                size_t n = comma ? (size_t)(comma - p) : strlen(p);
                char *part = wx_strndup(p, n);
                if (!part) {
                    *nomem = 1;
                    break;
                }
                json_object *e = coerce(items, part, n, nomem);
                wx_free(part);
                if (json_object_array_add(v, e) != 0) {
                    json_object_put(e);
                    *nomem = 1;
                }
                if (!comma)
                    break;
                p = comma + 1;
            }
            goto out;
        }
    }
    v = json_object_new_string_len(text, (int)len);
out:
    if (!v)
        *nomem = 1;
    return v;
}

static void check_text(const wx_param *p, const char *text, wx_location loc, const char *root,
                       wx_violations_t *out, int *nomem)
{
    json_object *v = coerce(p->schema, text, strlen(text), nomem);
    if (!v)
        return;
    wx_vctx c;
    wx_vctx_init(&c, out, loc, root, root);
    wx_schema_check(p->schema, v, &c);
    json_object_put(v);
}

static void check_value(const wx_param *p, json_object *v, wx_location loc, const char *root,
                        wx_violations_t *out, int *nomem)
{
    if (json_object_is_type(v, json_type_string)) {
        check_text(p, json_object_get_string(v), loc, root, out, nomem);
        return;
    }
    wx_vctx c;
    wx_vctx_init(&c, out, loc, root, root);
    wx_schema_check(p->schema, v, &c);
}

static wx_err finish(wx_violations_t *out, int nomem)
{
    if (nomem || out->nomem)
        return WX_E_NOMEM;
    return out->n ? WX_E_VALIDATION : WX_OK;
}

static void check_query(const wx_param *p, const wx_kv_t *query, const char *root,
                        wx_violations_t *out, int *nomem)
{
    size_t count = 0;
    for (const wx_kv_t *kv = query; kv && kv->key; kv++)
        if (strcmp(kv->key, p->name) == 0)
            count++;
    if (!count) {
        if (p->required)
            wx_violations_add(out, WX_LOC_QUERY, root, "required");
        return;
    }
    if (count > 1 && (effective_types(p->schema) & WX_T_ARR)) {
        /* A repeated key (collectionFormat multi) is one array. */
        json_object *arr = json_object_new_array();
        const wx_schema *items = effective_items(p->schema);
        for (const wx_kv_t *kv = query; arr && kv->key && !*nomem; kv++)
            if (strcmp(kv->key, p->name) == 0) {
                const char *t = kv->value ? kv->value : "";
                json_object *e = coerce(items, t, strlen(t), nomem);
                if (json_object_array_add(arr, e) != 0) {
                    json_object_put(e);
                    *nomem = 1;
                }
            }
        if (!arr) {
            *nomem = 1;
            return;
        }
        wx_vctx c;
        wx_vctx_init(&c, out, WX_LOC_QUERY, root, root);
        wx_schema_check(p->schema, arr, &c);
        json_object_put(arr);
        return;
    }
    for (const wx_kv_t *kv = query; kv->key && !*nomem; kv++)
        if (strcmp(kv->key, p->name) == 0)
            check_text(p, kv->value ? kv->value : "", WX_LOC_QUERY, root, out, nomem);
}

wx_err wx_endpoint_validate_request(const wx_endpoint_t *ep, const wx_request_view_t *req,
                                    wx_violations_t **out_list)
{
    if (!out_list)
        return WX_E_INVALID_ARG;
    *out_list = NULL;
    if (!ep)
        return WX_E_INVALID_ARG;
    static const wx_request_view_t empty;
    if (!req)
        req = &empty;
    wx_violations_t *out = wx_violations_new();
    if (!out)
        return WX_E_NOMEM;
    *out_list = out;
    int nomem = 0;
    char root[300];
    for (size_t i = 0; i < ep->nparams && !nomem; i++) {
        const wx_param *p = &ep->params[i];
        json_object *v;
        switch (p->in) {
        case WX_IN_PATH:
            snprintf(root, sizeof root, "path.%s", p->name);
            if (!req->path_vars || !json_object_object_get_ex(req->path_vars, p->name, &v))
                wx_violations_add(out, WX_LOC_PATH, root, "required");
            else
                check_value(p, v, WX_LOC_PATH, root, out, &nomem);
            break;
        case WX_IN_QUERY:
            snprintf(root, sizeof root, "query.%s", p->name);
            check_query(p, req->query, root, out, &nomem);
            break;
        case WX_IN_HEADER: {
            snprintf(root, sizeof root, "header.%s", p->name);
            const char *found = NULL;
            for (const wx_kv_t *kv = req->headers; kv && kv->key; kv++)
                if (wx_strcasecmp_ascii(kv->key, p->name) == 0) {
                    found = kv->value ? kv->value : "";
                    break;
                }
            if (!found) {
                if (p->required)
                    wx_violations_add(out, WX_LOC_HEADER, root, "required");
            } else {
                check_text(p, found, WX_LOC_HEADER, root, out, &nomem);
            }
            break;
        }
        case WX_IN_FORM:
            /* Form fields are checked when the body is given as an object of fields. */
            if (req->has_body && json_object_is_type(req->body, json_type_object)) {
                snprintf(root, sizeof root, "%s", p->name);
                if (!json_object_object_get_ex(req->body, p->name, &v)) {
                    if (p->required)
                        wx_violations_add(out, WX_LOC_BODY, root, "required");
                } else {
                    check_value(p, v, WX_LOC_BODY, root, out, &nomem);
                }
            }
            break;
        default:
            break;
        }
    }
    if (ep->body && !nomem) {
        if (!req->has_body) {
            if (ep->body_required)
                wx_violations_add(out, WX_LOC_BODY, "body", "required");
        } else {
            wx_vctx c;
            wx_vctx_init(&c, out, WX_LOC_BODY, "body", "");
            c.xml_text = ep->xml;
            wx_schema_check(ep->body, req->body, &c);
        }
    }
    return finish(out, nomem);
}

const wx_resp *wx_endpoint_find_resp(const wx_endpoint_t *ep, int status)
{
    for (size_t i = 0; i < ep->nresps; i++)
        if (ep->resps[i].status == status)
            return &ep->resps[i];
    for (size_t i = 0; i < ep->nresps; i++)
        if (ep->resps[i].klass && ep->resps[i].klass == status / 100)
            return &ep->resps[i];
    for (size_t i = 0; i < ep->nresps; i++)
        if (!ep->resps[i].status && !ep->resps[i].klass)
            return &ep->resps[i];
    /* A 2xx the spec does not list: any 2xx schema it has. */
    if (status >= 200 && status < 300)
        for (size_t i = 0; i < ep->nresps; i++)
            if (((ep->resps[i].status >= 200 && ep->resps[i].status < 300) ||
                 ep->resps[i].klass == 2) && ep->resps[i].schema)
                return &ep->resps[i];
    return NULL;
}

wx_err wx_endpoint_validate_response(const wx_endpoint_t *ep, int status, json_object *body,
                                     wx_violations_t **out_list)
{
    if (!out_list)
        return WX_E_INVALID_ARG;
    *out_list = NULL;
    if (!ep)
        return WX_E_INVALID_ARG;
    wx_violations_t *out = wx_violations_new();
    if (!out)
        return WX_E_NOMEM;
    *out_list = out;
    /* A broken response schema switched the operation's response validation off. */
    const wx_resp *r = ep->resp_problem ? NULL : wx_endpoint_find_resp(ep, status);
    if (r && r->schema) {
        wx_vctx c;
        wx_vctx_init(&c, out, WX_LOC_RESPONSE, "body", "");
        c.xml_text = ep->xml;
        wx_schema_check(r->schema, body, &c);
    }
    return finish(out, 0);
}
