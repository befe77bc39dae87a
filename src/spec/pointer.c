/* $ref targets: JSON pointers (RFC 6901, percent-decoded as URI fragments), the bare
 * names the community samples use (`X.yaml#Name`), and relative file paths. */
#include "spec/spec_impl.h"
#include "util/strutil.h"

#include <stdlib.h>
#include <string.h>

/* Percent-decode s[0..n) into out (size out_size); -1 if it does not fit. */
static int pct_decode(const char *s, size_t n, char *out, size_t out_size)
{
    if (n >= out_size)
        return -1;
    out[wx_pct_decode(s, n, out)] = 0;
    return 0;
}

json_object *wx_json_pointer(json_object *root, const char *fragment, wx_keypath *kp)
{
    char buf[1024];
    if (pct_decode(fragment, strlen(fragment), buf, sizeof buf) != 0)
        return NULL;
    if (!buf[0])
        return root;
    if (buf[0] != '/') {
        /* A bare name: a key of the document's top level. */
        json_object *v;
        if (!json_object_is_type(root, json_type_object) ||
            !json_object_object_get_ex(root, buf, &v))
            return NULL;
        wx_keypath_push_key(kp, buf);
        return v;
    }
    json_object *cur = root;
    const char *p = buf + 1;
    for (;;) {
        const char *end = strchr(p, '/');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        char seg[1024];
        size_t w = 0;
        for (size_t i = 0; i < n; i++) {
            if (p[i] == '~' && i + 1 < n && (p[i + 1] == '0' || p[i + 1] == '1')) {
                seg[w++] = p[i + 1] == '0' ? '~' : '/';
                i++;
            } else if (p[i] == '~') {
                return NULL; /* an invalid escape */
            } else {
                seg[w++] = p[i];
            }
        }
        seg[w] = 0;
        if (json_object_is_type(cur, json_type_object)) {
            json_object *v;
            if (!json_object_object_get_ex(cur, seg, &v))
                return NULL;
            wx_keypath_push_key(kp, seg);
            cur = v;
        } else if (json_object_is_type(cur, json_type_array)) {
            if (!w || (seg[0] == '0' && w > 1) || strspn(seg, "0123456789") != w || w > 9)
                return NULL;
            size_t idx = (size_t)strtoul(seg, NULL, 10);
            if (idx >= json_object_array_length(cur))
                return NULL;
            wx_keypath_push_index(kp, idx);
            cur = json_object_array_get_idx(cur, idx);
        } else {
            return NULL;
        }
        if (!end)
            return cur;
        p = end + 1;
    }
}

int wx_rel_resolve(const char *base_rel, const char *ref_path, char *out, size_t out_size)
{
    char path[1024];
    if (pct_decode(ref_path, strlen(ref_path), path, sizeof path) != 0)
        return -1;
    /* Segments of the base folder, then of the reference. */
    const char *segs[128];
    size_t lens[128];
    size_t n = 0;
    const char *slash = strrchr(base_rel, '/');
    const char *p = base_rel;
    const char *base_end = slash ? slash : base_rel;
    while (p < base_end) {
        const char *e = memchr(p, '/', (size_t)(base_end - p));
        if (!e)
            e = base_end;
        if (e > p) {
            if (n == 128)
                return -1;
            segs[n] = p;
            lens[n++] = (size_t)(e - p);
        }
        p = e + 1;
    }
    p = path;
    while (*p) {
        const char *e = strchr(p, '/');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == 0 || (len == 1 && p[0] == '.')) {
            /* nothing */
        } else if (len == 2 && p[0] == '.' && p[1] == '.') {
            if (n == 0)
                return -1; /* above the tree's root */
            n--;
        } else {
            if (n == 128)
                return -1;
            segs[n] = p;
            lens[n++] = len;
        }
        if (!e)
            break;
        p = e + 1;
    }
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        if (w + lens[i] + 2 > out_size)
            return -1;
        if (i)
            out[w++] = '/';
        memcpy(out + w, segs[i], lens[i]);
        w += lens[i];
    }
    if (w == 0)
        return -1;
    out[w] = 0;
    return 0;
}
