/* Pipeline step helper: query and header parameters the spec marks sensitive (the
 * operation's `x-is-sensitive`) are encrypted like body fields. WeChat Pay documents
 * such parameters (GET /v3/capital/capitallhh/banks/search-banks-by-bank-account takes
 * `account_number` as base64 RSA-OAEP ciphertext under the key named in
 * Wechatpay-Serial), so a clear value is never sent: the request is validated in clear,
 * then the values are encrypted with the plan's key and the query is encoded again. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>
#include <wechatpay/sensitive.h>

#include "client/pipeline.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/strutil.h"

static int marked(const wx_endpoint_t *ep, const char *name, int case_blind)
{
    const char *m;
    for (size_t i = 0; (m = wx_endpoint_sensitive_param(ep, i)) != NULL; i++)
        if (case_blind ? strcasecmp(m, name) == 0 : strcmp(m, name) == 0)
            return 1;
    return 0;
}

/* Put each marked value of @p kv (headers: names case-blind) into @p clear as member
 * "<tag><index>", listing the member in @p paths. */
static void collect(const wx_endpoint_t *ep, const wx_kv_t *kv, char tag,
                    struct json_object *clear, char (*names)[24], const char **paths,
                    size_t *n)
{
    for (size_t i = 0; kv && kv[i].key; i++) {
        if (!kv[i].value || !marked(ep, kv[i].key, tag == 'h'))
            continue;
        snprintf(names[*n], sizeof names[*n], "%c%zu", tag, i);
        json_object_object_add(clear, names[*n], json_object_new_string(kv[i].value));
        paths[*n] = names[*n];
        (*n)++;
    }
}

/* Replace the marked values of @p kv by their ciphertext in @p enc. */
static void replace(const wx_kv_t *kv, wx_kv_t *out, char tag, struct json_object *enc)
{
    for (size_t i = 0; kv && kv[i].key; i++) {
        char name[24];
        struct json_object *v;
        snprintf(name, sizeof name, "%c%zu", tag, i);
        out[i] = kv[i];
        if (json_object_object_get_ex(enc, name, &v))
            out[i].value = json_object_get_string(v);
    }
}

static size_t count(const wx_kv_t *kv)
{
    size_t n = 0;
    while (kv && kv[n].key)
        n++;
    return n;
}

int wx_sensitive_params_given(const wx_endpoint_t *ep, const wx_request_options_t *o)
{
    for (size_t i = 0; o->query && o->query[i].key; i++)
        if (marked(ep, o->query[i].key, 0))
            return 1;
    for (size_t i = 0; o->headers && o->headers[i].key; i++)
        if (marked(ep, o->headers[i].key, 1))
            return 1;
    return 0;
}

wx_err wx_sensitive_params_encrypt(wx_prep *p)
{
    const wx_endpoint_t *ep = p->marked;
    if (!ep || !wx_endpoint_sensitive_param(ep, 0))
        return WX_OK;
    const wx_kv_t *query = p->o->query;
    size_t nq = count(query), nh = count(p->headers), n = 0;
    char (*names)[24] = wx_calloc(nq + nh + 1, sizeof *names);
    const char **paths = wx_calloc(nq + nh + 1, sizeof *paths);
    p->plan.params = json_object_new_object();
    wx_err rc = WX_OK;
    if (!names || !paths || !p->plan.params) {
        rc = wx_prep_nomem(p);
        goto out;
    }
    collect(ep, query, 'q', p->plan.params, names, paths, &n);
    collect(ep, p->headers, 'h', p->plan.params, names, paths, &n);
    if (n == 0)
        goto out;
    rc = wx_client_encrypt_fields(p->client, p->plan.key_id, p->plan.params, paths, NULL,
                                  &p->err);
    if (rc != WX_OK)
        goto out;
    replace(p->headers, p->plan.headers, 'h', p->plan.params); /* plan.headers is p->headers */
    if (nq && (p->plan.query = wx_calloc(nq + 1, sizeof *p->plan.query)) == NULL) {
        rc = wx_prep_nomem(p);
        goto out;
    }
    if (nq) {
        replace(query, p->plan.query, 'q', p->plan.params);
        char *q = memchr(p->target.data, '?', p->target.len);
        p->target.len = q ? (size_t)(q - p->target.data) : p->target.len;
        wx_buf_putc(&p->target, '?');
        wx_query_encode(&p->target, p->plan.query);
        rc = wx_buf_ok(&p->target) ? WX_OK : wx_prep_nomem(p);
    }
out:
    wx_free(names);
    wx_free(paths);
    return rc;
}
