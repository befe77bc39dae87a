/* Pipeline step helper for WX_VALIDATION_STRICT: a request that no spec describes is
 * refused before anything is signed or sent, and the message points at what the spec
 * does know: the methods it has for that path, or the deepest path above it it knows. */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "client/pipeline.h"
#include "spec/spec_internal.h"
#include "util/buf.h"
#include "util/error.h"

/* "POST, GET" for the methods the spec has at @p path (none: empty). */
static void methods_at(wx_spec_t *spec, const char *path, wx_buf *out)
{
    static const char *const methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
        const wx_endpoint_t *ep = NULL;
        if (wx_spec_find(spec, methods[i], path, &ep, NULL, NULL) == WX_OK)
            wx_buf_printf(out, "%s%s %s", out->len ? ", " : "", methods[i],
                           wx_endpoint_template(ep));
    }
}

/* The deepest prefix of @p path ("v3/profitsharing/receivers/addz") whose every
 * segment the spec tree knows: its length in bytes (0: not even the first). */
static size_t known_prefix(wx_spec_t *spec, const char *path)
{
    char parent[1024], seg[256];
    size_t known = 0;
    const char *s = path;
    while (*s == '/')
        s++;
    while (*s) {
        size_t n = strcspn(s, "/?");
        if (n == 0 || n >= sizeof seg || (size_t)(s - path) >= sizeof parent)
            break;
        memcpy(seg, s, n);
        seg[n] = 0;
        size_t plen = known ? known : 0;
        memcpy(parent, path, plen);
        parent[plen] = 0;
        if (wx_spec_segment_kind(spec, parent, seg) == WX_SPEC_SEGMENT_UNKNOWN)
            break;
        known = (size_t)(s - path) + n;
        s += n;
        if (*s != '/')
            break;
        s++;
    }
    return known;
}

wx_err wx_strict_refuse(wx_prep *p)
{
    wx_spec_t *spec = p->client->spec;
    const char *path = p->route->path;
    wx_buf near;
    wx_buf_init(&near);
    methods_at(spec, path, &near);
    wx_err rc;
    if (near.len) {
        rc = wx_error_set(&p->err, WX_E_VALIDATION, path,
                          "strict validation: no spec describes %s /%s; the spec has: %s",
                          p->method_name, path, near.data);
    } else {
        size_t k = known_prefix(spec, path);
        if (k) {
            char parent[1024];
            snprintf(parent, sizeof parent, "%.*s", (int)k, path);
            methods_at(spec, parent, &near);
        }
        rc = wx_error_set(&p->err, WX_E_VALIDATION, path,
                          "strict validation: no spec describes %s /%s; the nearest known "
                          "path is /%.*s%s%s",
                          p->method_name, path, (int)k, path, near.len ? " with " : "",
                          near.len ? near.data : "");
    }
    wx_buf_free(&near);
    return rc;
}
