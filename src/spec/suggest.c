/* "Did you mean": what the spec tree knows near a method and path it does not describe,
 * for the strict client's refusal and the sandbox's 404. In order of use to a reader: the
 * other methods of that very path; the path with its misspelt segments corrected (each
 * unknown segment replaced by its closest sibling, spec_internal.h); the deepest path
 * above it that the tree knows. */
#include <string.h>

#include <wechatpay/sys/spec.h>

#include "spec/spec_internal.h"
#include "util/alloc.h"
#include "util/buf.h"

/* "POST /v3/x, GET /v3/x" for the methods the spec has at @p path (none: nothing added). */
static void methods_at(wx_spec_t *spec, const char *path, wx_buf *out)
{
    static const char *const methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};
    size_t before = out->len;
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
        const wx_endpoint_t *ep = NULL;
        if (wx_spec_find(spec, methods[i], path, &ep, NULL, NULL) == WX_OK)
            wx_buf_printf(out, "%s%s %s", out->len > before ? ", " : "", methods[i],
                          wx_endpoint_template(ep));
    }
}

/* Walk @p path segment by segment through the tree. Into @p known: the deepest prefix
 * whose every segment the tree knows. Into @p fixed: the whole path with each unknown
 * segment replaced by its closest sibling; returns 1 when that worked for every unknown
 * segment and changed at least one. */
static int walk(wx_spec_t *spec, const char *path, wx_buf *known, wx_buf *fixed)
{
    int changed = 0, lost = 0;
    char seg[257], alt[257];
    const char *s = path;
    while (*s == '/')
        s++;
    while (*s && !lost) {
        size_t n = strcspn(s, "/?");
        if (n == 0 || n >= sizeof seg)
            return 0;
        memcpy(seg, s, n);
        seg[n] = 0;
        if (wx_spec_segment_kind(spec, wx_buf_str(fixed), seg) != WX_SPEC_SEGMENT_UNKNOWN) {
            if (!changed)
                wx_buf_printf(known, "%s%s", known->len ? "/" : "", seg);
        } else if (wx_spec_closest_segment(spec, wx_buf_str(fixed), seg, alt, sizeof alt)) {
            memcpy(seg, alt, strlen(alt) + 1);
            changed = 1;
        } else {
            lost = 1;
        }
        wx_buf_printf(fixed, "%s%s", fixed->len ? "/" : "", seg);
        s += n;
        while (*s == '/')
            s++;
        if (*s == '?')
            break;
    }
    return changed && !lost;
}

wx_err wx_spec_nearest(wx_spec_t *spec, const char *method, const char *path, char **out)
{
    if (!out)
        return WX_E_INVALID_ARG;
    *out = NULL;
    if (!spec || !method || !path)
        return WX_E_INVALID_ARG;
    wx_buf text = WX_BUF_INIT, known = WX_BUF_INIT, fixed = WX_BUF_INIT, near = WX_BUF_INIT;
    methods_at(spec, path, &near);
    if (near.len) {
        wx_buf_printf(&text, "the spec has %s", near.data);
    } else if (walk(spec, path, &known, &fixed) && (methods_at(spec, fixed.data, &near), near.len)) {
        wx_buf_printf(&text, "did you mean %s?", near.data);
    } else {
        if (known.len)
            methods_at(spec, known.data, &near);
        wx_buf_printf(&text, "the nearest known path is /%s%s%s", wx_buf_str(&known),
                      near.len ? " with " : "", near.len ? near.data : "");
    }
    wx_buf_free(&known);
    wx_buf_free(&fixed);
    wx_buf_free(&near);
    if (!wx_buf_ok(&text)) {
        wx_buf_free(&text);
        return WX_E_NOMEM;
    }
    *out = wx_buf_steal(&text, NULL);
    return WX_OK;
}
