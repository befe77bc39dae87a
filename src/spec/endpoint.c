/* A spec file (an OpenAPI path item) -> compiled endpoints, one per method.
 *
 * Swagger 2.0: `parameters` with `in` path/query/header/body/formData (a non-body
 * parameter is its own schema; an OpenAPI 3 one has `schema`), responses with `schema`
 * and `examples`. OpenAPI 3: `requestBody.content.<type>.schema`,
 * `responses.<code>.content.<type>.schema`. Path-level `parameters` apply to every
 * operation unless the operation has one with the same name and location. Parameters,
 * request bodies and responses may be `$ref`s.
 *
 * `x-unsigned-response: true` on an operation (or on the path item) marks downloads
 * whose 2xx answers WeChat Pay does not sign; /v3/billdownload/file and
 * /v3/merchant-service/images/{media_id} are marked without it. */
#include "spec/spec_impl.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "util/alloc.h"

static const char *const k_methods[] = {"delete", "get",  "head", "options",
                                        "patch",  "post", "put",  "trace"};

static int failed(const wx_compiler *c) { return c->problem->code != WX_OK; }

static size_t push(wx_compiler *c, const char *key)
{
    return wx_keypath_push_key(&wx_compile_top(c)->path, key);
}

static size_t push_index(wx_compiler *c, size_t i)
{
    return wx_keypath_push_index(&wx_compile_top(c)->path, i);
}

static void pop(wx_compiler *c, size_t old) { wx_keypath_pop(&wx_compile_top(c)->path, old); }

static void nomem(wx_compiler *c)
{
    if (!failed(c))
        wx_problem_set(c->problem, WX_E_NOMEM, wx_compile_top(c)->doc->display,
                       wx_compile_top(c)->path.text, "out of memory");
}

/* Follows `$ref` chains on objects that are not schemas (parameters, request bodies,
 * responses). Returns the object and how many frames were pushed (pop them after). */
static json_object *resolve(wx_compiler *c, json_object *v, int *frames)
{
    *frames = 0;
    json_object *ref;
    while (json_object_is_type(v, json_type_object) && json_object_object_get_ex(v, "$ref", &ref)) {
        if (!json_object_is_type(ref, json_type_string)) {
            wx_compile_fail(c, "$ref", "$ref must be a string");
            return NULL;
        }
        if (*frames >= 16) {
            wx_compile_fail(c, "$ref", "$ref cycle");
            return NULL;
        }
        size_t old = push(c, "$ref");
        json_object *t = wx_compile_follow_ref(c, json_object_get_string(ref));
        /* The referring frame (below the new one, if any) drops its "$ref" again. */
        wx_keypath_pop(&c->frames[c->nframes - (t ? 2 : 1)].path, old);
        if (!t)
            return NULL;
        ++*frames;
        v = t;
    }
    return v;
}

static void unwind(wx_compiler *c, int frames)
{
    while (frames-- > 0)
        wx_compile_pop_frame(c);
}

/* The media type a body is described with: application/json, else any *json*, else the
 * first one. */
static json_object *pick_media(json_object *content)
{
    if (!json_object_is_type(content, json_type_object))
        return NULL;
    json_object *v;
    if (json_object_object_get_ex(content, "application/json", &v))
        return v;
    json_object_object_foreach(content, k, val)
    {
        if (strstr(k, "json"))
            return val;
    }
    json_object_object_foreach(content, k2, val2)
    {
        (void)k2;
        return val2;
    }
    return NULL;
}

/* Pushes `content.<media type>` for @p media, picked from @p content; returns the old
 * key path length for pop(). */
static size_t push_media(wx_compiler *c, json_object *content, json_object *media)
{
    size_t old = push(c, "content");
    json_object_object_foreach(content, type, val)
    {
        if (val == media) {
            push(c, type);
            break;
        }
    }
    return old;
}

static json_object *media_example(json_object *media)
{
    json_object *v;
    if (json_object_object_get_ex(media, "example", &v))
        return v;
    if (json_object_object_get_ex(media, "examples", &v) &&
        json_object_is_type(v, json_type_object)) {
        json_object_object_foreach(v, k, ex)
        {
            (void)k;
            json_object *val;
            if (json_object_is_type(ex, json_type_object) &&
                json_object_object_get_ex(ex, "value", &val))
                return val;
            return NULL;
        }
    }
    return NULL;
}

typedef struct params_acc {
    wx_param *items;
    size_t n, cap;
} params_acc;

static int param_in(const char *s)
{
    if (strcmp(s, "path") == 0)
        return WX_IN_PATH;
    if (strcmp(s, "query") == 0)
        return WX_IN_QUERY;
    if (strcmp(s, "header") == 0)
        return WX_IN_HEADER;
    if (strcmp(s, "formData") == 0)
        return WX_IN_FORM;
    if (strcmp(s, "cookie") == 0)
        return WX_IN_COOKIE;
    if (strcmp(s, "body") == 0)
        return 0;
    return -1;
}

static int have_param(const params_acc *acc, const wx_endpoint_t *ep, int in, const char *name)
{
    if (in == 0)
        return ep->body != NULL;
    for (size_t i = 0; i < acc->n; i++)
        if (acc->items[i].in == in && strcmp(acc->items[i].name, name) == 0)
            return 1;
    return 0;
}

/* A parameter's `in`, `name` and `required`; 0, or -1 after reporting what is wrong. */
static int param_head(wx_compiler *c, json_object *p, int *in, const char **name, int *required)
{
    json_object *v;
    if (!json_object_is_type(p, json_type_object)) {
        wx_compile_fail(c, NULL, "a parameter must be an object");
        return -1;
    }
    if (!json_object_object_get_ex(p, "in", &v) || !json_object_is_type(v, json_type_string)) {
        wx_compile_fail(c, "in", "a parameter needs `in` (path, query, header, body or formData)");
        return -1;
    }
    *in = param_in(json_object_get_string(v));
    if (*in < 0) {
        wx_compile_fail(c, "in", "unknown parameter location \"%s\"", json_object_get_string(v));
        return -1;
    }
    *name = NULL;
    if (json_object_object_get_ex(p, "name", &v) && json_object_is_type(v, json_type_string))
        *name = json_object_get_string(v);
    if (!*name) {
        wx_compile_fail(c, "name", "a parameter needs a name");
        return -1;
    }
    *required = *in == WX_IN_PATH;
    if (json_object_object_get_ex(p, "required", &v)) {
        if (!json_object_is_type(v, json_type_boolean)) {
            wx_compile_fail(c, "required", "a parameter's required must be true or false");
            return -1;
        }
        *required |= json_object_get_boolean(v);
    }
    return 0;
}

/* Swagger 2.0's `in: body`: the parameter's schema is the body's. */
static void body_param(wx_compiler *c, wx_endpoint_t *ep, json_object *p, int required)
{
    json_object *schema_node, *v;
    if (!json_object_object_get_ex(p, "schema", &schema_node)) {
        wx_compile_fail(c, NULL, "a body parameter needs a schema");
        return;
    }
    size_t old = push(c, "schema");
    ep->body = wx_schema_compile(c, schema_node);
    pop(c, old);
    ep->body_required = required;
    if (json_object_object_get_ex(p, "x-example", &v) || json_object_object_get_ex(p, "example", &v))
        ep->body_example = v;
}

static wx_param *param_slot(wx_compiler *c, params_acc *acc)
{
    if (acc->n == acc->cap) {
        size_t cap = acc->cap ? acc->cap * 2 : 8;
        wx_param *items = wx_arena_alloc(c->arena, cap * sizeof *items);
        if (!items) {
            nomem(c);
            return NULL;
        }
        if (acc->n)
            memcpy(items, acc->items, acc->n * sizeof *items);
        acc->items = items;
        acc->cap = cap;
    }
    return &acc->items[acc->n++];
}

/* A path, query, header or form parameter: its own schema keywords (Swagger 2.0) or an
 * OpenAPI 3 `schema`. */
static void value_param(wx_compiler *c, wx_endpoint_t *ep, params_acc *acc, json_object *p,
                        int in, const char *name, int required)
{
    const wx_schema *s;
    json_object *example = NULL, *schema_node;
    if (json_object_object_get_ex(p, "schema", &schema_node) &&
        !json_object_object_get_ex(p, "type", NULL)) {
        size_t old = push(c, "schema");
        s = wx_schema_compile(c, schema_node);
        pop(c, old);
        example = media_example(p);
    } else {
        s = wx_schema_compile_param(c, p);
        if (!json_object_object_get_ex(p, "example", &example))
            json_object_object_get_ex(p, "x-example", &example);
    }
    wx_param *dst = s ? param_slot(c, acc) : NULL;
    if (!dst)
        return;
    *dst = (wx_param){wx_spec_arena_strdup(c->arena, name), in, required, s, example};
    if (in == WX_IN_FORM)
        ep->has_form = 1;
    if (!dst->name)
        nomem(c);
}

static void compile_param(wx_compiler *c, wx_endpoint_t *ep, params_acc *acc, json_object *raw)
{
    int frames, in, required;
    const char *name;
    json_object *p = resolve(c, raw, &frames);
    /* The operation's own parameter overrides the path-level one of that name. */
    if (p && param_head(c, p, &in, &name, &required) == 0 && !have_param(acc, ep, in, name)) {
        if (in == 0)
            body_param(c, ep, p, required);
        else
            value_param(c, ep, acc, p, in, name, required);
    }
    unwind(c, frames);
}

static void compile_params(wx_compiler *c, wx_endpoint_t *ep, params_acc *acc, json_object *list,
                           const char *where)
{
    if (!list)
        return;
    size_t old = push(c, where);
    if (!json_object_is_type(list, json_type_array)) {
        wx_compile_fail(c, NULL, "parameters must be a list");
        pop(c, old);
        return;
    }
    size_t n = json_object_array_length(list);
    for (size_t i = 0; i < n && !failed(c); i++) {
        size_t o2 = push_index(c, i);
        compile_param(c, ep, acc, json_object_array_get_idx(list, i));
        pop(c, o2);
    }
    pop(c, old);
}

static void compile_request_body(wx_compiler *c, wx_endpoint_t *ep, json_object *raw)
{
    size_t old = push(c, "requestBody");
    int frames;
    json_object *rb = resolve(c, raw, &frames);
    json_object *v;
    if (rb && !json_object_is_type(rb, json_type_object)) {
        wx_compile_fail(c, NULL, "requestBody must be an object");
    } else if (rb) {
        if (json_object_object_get_ex(rb, "required", &v)) {
            if (json_object_is_type(v, json_type_boolean))
                ep->body_required = json_object_get_boolean(v);
            else
                wx_compile_fail(c, "required", "required must be true or false");
        }
        json_object *content = NULL;
        json_object_object_get_ex(rb, "content", &content);
        json_object *media = pick_media(content);
        if (!failed(c) && media && json_object_is_type(media, json_type_object)) {
            json_object *schema;
            size_t o2 = push_media(c, content, media);
            if (json_object_object_get_ex(media, "schema", &schema)) {
                size_t o3 = push(c, "schema");
                ep->body = wx_schema_compile(c, schema);
                pop(c, o3);
            } else {
                ep->body = &wx_schema_any;
            }
            ep->body_example = media_example(media);
            pop(c, o2);
        }
    }
    unwind(c, frames);
    pop(c, old);
}

static int parse_code(const char *k, int *status, int *klass)
{
    *status = 0;
    *klass = 0;
    if (strcmp(k, "default") == 0)
        return 1;
    if (strlen(k) != 3 || k[0] < '1' || k[0] > '5')
        return 0;
    if ((k[1] == 'X' || k[1] == 'x') && (k[2] == 'X' || k[2] == 'x')) {
        *klass = k[0] - '0';
        return 1;
    }
    if (!isdigit((unsigned char)k[1]) || !isdigit((unsigned char)k[2]))
        return 0;
    *status = (k[0] - '0') * 100 + (k[1] - '0') * 10 + (k[2] - '0');
    return 1;
}

static int cmp_resp(const void *a, const void *b)
{
    return strcmp(((const wx_resp *)a)->code, ((const wx_resp *)b)->code);
}

/* One response: its schema (Swagger 2.0 `schema`, OpenAPI 3 `content`) and example.
 * Returns 1 when @p r was filled. */
static int compile_response(wx_compiler *c, wx_resp *r, const char *code, json_object *raw)
{
    if (!parse_code(code, &r->status, &r->klass)) {
        wx_compile_fail(c, code, "unknown response code \"%s\"", code);
        return 0;
    }
    size_t o2 = push(c, code);
    int frames;
    json_object *resp = resolve(c, raw, &frames), *v, *content;
    if (resp && !json_object_is_type(resp, json_type_object))
        wx_compile_fail(c, NULL, "a response must be an object");
    if (resp && !failed(c)) {
        if (!(r->code = wx_spec_arena_strdup(c->arena, code)))
            nomem(c);
        if (json_object_object_get_ex(resp, "schema", &v)) {
            size_t o3 = push(c, "schema");
            r->schema = wx_schema_compile(c, v);
            pop(c, o3);
        }
        if (json_object_object_get_ex(resp, "examples", &v) && json_object_is_type(v, json_type_object))
            r->example = pick_media(v);
        json_object *media = json_object_object_get_ex(resp, "content", &content) ? pick_media(content) : NULL;
        if (!failed(c) && media && json_object_is_type(media, json_type_object)) {
            size_t o3 = push_media(c, content, media);
            if (json_object_object_get_ex(media, "schema", &v)) {
                size_t o4 = push(c, "schema");
                r->schema = wx_schema_compile(c, v);
                pop(c, o4);
            }
            if (!r->example)
                r->example = media_example(media);
            pop(c, o3);
        }
    }
    unwind(c, frames);
    pop(c, o2);
    return resp && !failed(c);
}

/* A broken response costs only the operation's response validation: it is left out, the
 * endpoint remembers the first defect (wx_endpoint_response_problem), and its requests
 * are validated as usual. */
static void response_defect(wx_compiler *c, wx_endpoint_t *ep, const wx_spec_problem *defect)
{
    if (ep->resp_problem)
        return;
    wx_spec_problem *p = wx_arena_alloc(c->arena, sizeof *p);
    char *text = wx_arena_alloc(c->arena, 1200);
    if (!p || !text) {
        nomem(c);
        return;
    }
    *p = *defect;
    snprintf(text, 1200, "%s: %s: %s", p->file, p->keypath, p->message);
    ep->resp_problem = p;
    ep->resp_problem_text = text;
}

static size_t compile_response_list(wx_compiler *c, wx_endpoint_t *ep, json_object *resps,
                                    wx_resp *out)
{
    size_t count = 0;
    wx_spec_problem defect;
    json_object_object_foreach(resps, code, raw)
    {
        if (failed(c))
            break;
        if (strncmp(code, "x-", 2) == 0)
            continue;
        memset(&out[count], 0, sizeof out[count]);
        wx_compile_mark m = wx_compile_begin_part(c);
        int done = compile_response(c, &out[count], code, raw);
        if (wx_compile_end_part(c, &m, &defect))
            count += (size_t)done;
        else if (!failed(c))
            response_defect(c, ep, &defect);
    }
    return count;
}

static void compile_responses(wx_compiler *c, wx_endpoint_t *ep, json_object *resps)
{
    size_t old = push(c, "responses");
    int is_obj = json_object_is_type(resps, json_type_object);
    size_t n = is_obj ? (size_t)json_object_object_length(resps) : 0, count = 0;
    wx_resp *out = wx_arena_alloc(c->arena, (n ? n : 1) * sizeof *out);
    if (!out)
        nomem(c);
    wx_spec_problem defect;
    if (out && !is_obj) {
        wx_compile_mark m = wx_compile_begin_part(c);
        wx_compile_fail(c, NULL, "responses must be an object");
        if (!wx_compile_end_part(c, &m, &defect))
            response_defect(c, ep, &defect);
    }
    if (is_obj && out)
        count = compile_response_list(c, ep, resps, out);
    pop(c, old);
    if (count)
        qsort(out, count, sizeof *out, cmp_resp);
    ep->resps = out;
    ep->nresps = count;
}

static int truthy(json_object *obj, const char *key)
{
    json_object *v;
    return json_object_object_get_ex(obj, key, &v) && json_object_is_type(v, json_type_boolean) &&
           json_object_get_boolean(v);
}

/* `consumes: [...]` (or a lone string) on the operation or the path item names a media
 * type holding @p what ("xml", "multipart/form-data"). */
static int consumes(json_object *obj, const char *what)
{
    json_object *v;
    if (!json_object_object_get_ex(obj, "consumes", &v))
        return 0;
    if (json_object_is_type(v, json_type_string))
        return strstr(json_object_get_string(v), what) != NULL;
    size_t n = json_object_is_type(v, json_type_array) ? json_object_array_length(v) : 0;
    for (size_t i = 0; i < n; i++) {
        json_object *e = json_object_array_get_idx(v, i);
        if (json_object_is_type(e, json_type_string) && strstr(json_object_get_string(e), what))
            return 1;
    }
    return 0;
}

/* The body schema (through $ref and allOf) is named `xml` by its `xml` object. */
static int schema_is_xml(const wx_schema *s, int hops)
{
    if (!s || hops > 16)
        return 0;
    if (s->flags & WX_SF_XML_ROOT)
        return 1;
    if (schema_is_xml(s->ref, hops + 1))
        return 1;
    for (size_t i = 0; i < s->nall_of; i++)
        if (schema_is_xml(s->all_of[i], hops + 1))
            return 1;
    return 0;
}

/* Downloads WeChat Pay answers without a signature. */
static int known_unsigned(const char *tmpl)
{
    static const char images[] = "/v3/merchant-service/images/";
    if (strcmp(tmpl, "/v3/billdownload/file") == 0)
        return 1;
    if (strncmp(tmpl, images, sizeof images - 1) == 0) {
        const char *rest = tmpl + sizeof images - 1;
        size_t n = strlen(rest);
        return n > 2 && rest[0] == '{' && rest[n - 1] == '}' && !strchr(rest, '/');
    }
    return 0;
}

static wx_endpoint_t *compile_op(wx_compiler *c, const char *method, json_object *op,
                                 json_object *item, const char *tmpl, const char *file)
{
    wx_endpoint_t *ep = wx_arena_alloc(c->arena, sizeof *ep);
    char upper[16];
    size_t i;
    for (i = 0; method[i] && i < sizeof upper - 1; i++)
        upper[i] = (char)toupper((unsigned char)method[i]);
    upper[i] = 0;
    if (!ep || !(ep->method = wx_spec_arena_strdup(c->arena, upper))) {
        nomem(c);
        return NULL;
    }
    ep->tmpl = tmpl;
    ep->file = file;
    size_t old = push(c, method);
    if (!json_object_is_type(op, json_type_object)) {
        wx_compile_fail(c, NULL, "an operation must be an object");
        pop(c, old);
        return NULL;
    }
    params_acc acc = {0};
    json_object *v;
    if (json_object_object_get_ex(op, "parameters", &v))
        compile_params(c, ep, &acc, v, "parameters");
    /* Path-level parameters are resolved against the path item, not the operation. */
    if (!failed(c) && json_object_object_get_ex(item, "parameters", &v)) {
        pop(c, old);
        compile_params(c, ep, &acc, v, "parameters");
        old = push(c, method);
    }
    if (!failed(c) && json_object_object_get_ex(op, "x-is-sensitive", &v))
        wx_compile_name_list(c, v, "x-is-sensitive", &ep->sensitive_params,
                             &ep->nsensitive_params);
    if (!failed(c) && json_object_object_get_ex(op, "requestBody", &v))
        compile_request_body(c, ep, v);
    if (!failed(c) && json_object_object_get_ex(op, "responses", &v))
        compile_responses(c, ep, v);
    pop(c, old);
    ep->params = acc.items;
    ep->nparams = acc.n;
    ep->unsigned_response = truthy(op, "x-unsigned-response") ||
                            truthy(item, "x-unsigned-response") || known_unsigned(tmpl);
    ep->sensitive_body = wx_schema_marks_sensitive(ep->body);
    ep->xml = consumes(op, "xml") || consumes(item, "xml") || schema_is_xml(ep->body, 0);
    ep->multipart = consumes(op, "multipart/form-data") || consumes(item, "multipart/form-data");
    ep->cert_required = truthy(op, "x-api-cert-required") || truthy(item, "x-api-cert-required");
    return failed(c) ? NULL : ep;
}

wx_err wx_route_compile(wx_spec_t *spec, wx_doc *doc, const char *tmpl, wx_route_file *rf)
{
    memset(&rf->problem, 0, sizeof rf->problem);
    json_object *root = doc->root;
    if (!json_object_is_type(root, json_type_object)) {
        rf->state = WX_ROUTE_BROKEN;
        return wx_problem_set(&rf->problem, WX_E_SPEC, doc->display, "",
                              "a spec file must be an object (an OpenAPI path item), not %s",
                              wx_json_type_name(root));
    }
    wx_compile_frame *frames = wx_calloc(WX_COMPILE_MAX_FRAMES, sizeof *frames);
    wx_endpoint_t **eps = wx_arena_alloc(&spec->arena, 8 * sizeof *eps);
    rf->broken = wx_arena_alloc(&spec->arena, 8 * sizeof *rf->broken);
    rf->nbroken = 0;
    const char *tmpl_copy = wx_spec_arena_strdup(&spec->arena, tmpl);
    const char *file_copy = wx_spec_arena_strdup(&spec->arena, doc->display);
    if (!frames || !eps || !rf->broken || !tmpl_copy || !file_copy) {
        wx_free(frames);
        rf->state = WX_ROUTE_BROKEN;
        return wx_problem_set(&rf->problem, WX_E_NOMEM, doc->display, "", "out of memory");
    }
    wx_compiler c;
    wx_compiler_init(&c, spec, &spec->arena, &spec->regexes, &spec->memo, &rf->problem, doc,
                     frames);
    size_t n = 0;
    for (size_t i = 0; i < sizeof k_methods / sizeof k_methods[0] && !failed(&c); i++) {
        json_object *op;
        if (!json_object_object_get_ex(root, k_methods[i], &op))
            continue;
        /* A defect in one operation leaves the file's other operations working. */
        wx_compile_mark m = wx_compile_begin_part(&c);
        wx_endpoint_t *ep = compile_op(&c, k_methods[i], op, root, tmpl_copy, file_copy);
        wx_broken_op *b = &rf->broken[rf->nbroken];
        if (wx_compile_end_part(&c, &m, &b->problem)) {
            if (ep)
                eps[n++] = ep;
        } else if (!failed(&c)) {
            char upper[8] = {0};
            for (size_t k = 0; k < sizeof upper - 1 && k_methods[i][k]; k++)
                upper[k] = (char)toupper((unsigned char)k_methods[i][k]);
            b->tmpl = tmpl_copy;
            if (!(b->method = wx_spec_arena_strdup(&spec->arena, upper)))
                wx_problem_set(&rf->problem, WX_E_NOMEM, doc->display, "", "out of memory");
            rf->nbroken++;
        }
    }
    int bad = wx_compiler_finish(&c);
    wx_free(frames);
    if (bad) {
        rf->state = WX_ROUTE_BROKEN;
        return rf->problem.code;
    }
    rf->eps = eps;
    rf->neps = n;
    rf->state = WX_ROUTE_READY;
    return WX_OK;
}
