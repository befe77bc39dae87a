/* Pipeline step: the request against its endpoint in the spec (path variables, query,
 * headers, body in clear), unless validation is off for the client or the request. */
#include <json-c/json.h>

#include "client/pipeline.h"
#include "util/error.h"

/* Path variables as the validator sees them: values the router took from a concrete
 * path, then the caller's. The router's values belong to the route, which other threads
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

/* The failure of a validation, with the first violation in the message. */
static wx_err violations_error(wx_prep *p, wx_err rc, wx_violations_t *v)
{
    p->call->resp->violations = v;
    size_t n = wx_violations_count(v);
    const wx_violation_t *first = wx_violations_at(v, 0);
    if (rc == WX_E_VALIDATION && first)
        return wx_error_set(&p->err, rc, first->path, "%s %s: %zu violation%s, first: %s: %s",
                            p->method_name, wx_endpoint_template(p->call->answer.ep), n,
                            n == 1 ? "" : "s", first->path, first->reason);
    return wx_error_set(&p->err, rc, "", "request validation failed: %s", wx_strerror(rc));
}

wx_err wx_step_validate(wx_prep *p)
{
    const wx_request_options_t *o = p->o;
    if (!p->call->answer.ep || !p->client->validate_requests || o->no_validation)
        return WX_OK;
    wx_request_view_t view = {.query = o->query, .headers = p->headers, .body = p->body,
                              .has_body = o->json || o->json_text};
    if (!(view.path_vars = path_vars_view(p->spec, o)))
        return wx_prep_nomem(p);
    wx_violations_t *v = NULL;
    wx_err rc = wx_endpoint_validate_request(p->call->answer.ep, &view, &v);
    json_object_put(view.path_vars);
    if (rc != WX_OK)
        return violations_error(p, rc, v);
    wx_violations_free(v);
    return WX_OK;
}
