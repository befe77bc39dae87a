/* Pipeline steps about the path: expanding the route's template into the request
 * target, and finding the endpoint the spec gives the route. */
#include <string.h>

#include <json-c/json.h>

#include "client/pipeline.h"
#include "request/target.h"
#include "request/uritemplate_internal.h"
#include "util/error.h"
#include "util/strutil.h"

/* ---------------------------------------------------------------- expand */

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

wx_err wx_step_expand(wx_prep *p)
{
    const wx_uri_template_t *t = wx_route_template(p->route, &p->err);
    if (!t)
        return p->err.code;
    wx_buf_putc(&p->target, '/');
    wx_err rc = wx_uri_template_expand_fn(t, lookup_var, (void *)p->o, WX_URI_REQUEST,
                                          &p->target, &p->err);
    if (rc != WX_OK)
        return rc;
    /* dot segments, encoded slashes, fragments: sent as another target than signed */
    if (wx_buf_ok(&p->target) && (rc = wx_request_target_check(p->target.data, &p->err)) != WX_OK)
        return rc;
    if (p->o->query && p->o->query[0].key) {
        wx_buf_putc(&p->target, '?');
        wx_query_encode(&p->target, p->o->query);
    }
    return wx_buf_ok(&p->target) ? WX_OK : wx_prep_nomem(p);
}

/* ---------------------------------------------------------------- endpoint */

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

/* A defect in an operation's response schema turns response validation off for it
 * alone; the application hears it once per client and operation, through the debug
 * hook (a library has no business writing to stderr). */
static void warn_unvalidated_once(wx_prep *p, const wx_route_spec *spec)
{
    wx_client_t *c = p->client;
    const char *why;
    if (!c->validate_responses || !c->debug || spec->rc != WX_OK ||
        !(why = wx_endpoint_response_problem(spec->ep)) ||
        !wx_route_first_warning(p->route, p->method))
        return;
    wx_buf d = WX_BUF_INIT;
    wx_buf_printf(&d, "! warning: answers to %s /%s are not validated, its response schema is "
                      "broken: %s\n", p->method_name, p->route->path, why);
    if (wx_buf_ok(&d))
        c->debug(c->debug_ud, d.data, d.len);
    wx_buf_free(&d);
}

wx_err wx_step_endpoint(wx_prep *p)
{
    const wx_route_spec *spec = wx_route_spec_for(p->route, p->method);
    p->spec = spec;
    if (spec->rc == WX_E_NOMEM) /* not knowing the spec is not "no spec" */
        return wx_error_set(&p->err, WX_E_NOMEM, "", "out of memory looking up the spec");
    int validating = p->client->validate_requests && !p->o->no_validation;
    if (spec->rc == WX_E_SPEC && validating) {
        if (spec->err)
            p->err = *spec->err;
        else
            wx_error_set(&p->err, WX_E_SPEC, "", "the spec for %s /%s is unusable",
                         p->method_name, p->route->path);
        return WX_E_SPEC;
    }
    /* strict is about where a request goes, so a per-request no_validation (which skips
       checking what it holds) does not let it go to an endpoint no spec describes */
    if (spec->rc == WX_E_NOT_FOUND && p->client->strict_requests)
        return wx_strict_refuse(p);
    wx_call *call = p->call;
    call->answer.ep = spec->rc == WX_OK ? spec->ep : NULL;
    warn_unvalidated_once(p, spec);
    call->answer.unsigned_2xx = call->answer.ep ? wx_endpoint_unsigned_response(call->answer.ep)
                                  : is_download_path(p->target.data) &&
                                        !wx_request_path_has_escape(p->target.data);
    return WX_OK;
}
