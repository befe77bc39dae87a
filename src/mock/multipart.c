/* multipart/form-data, just enough for the media upload endpoints: there the request
 * signature covers the `meta` part (a JSON text), not the whole body. */
#define _GNU_SOURCE /* memmem */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mock.h"

/* The boundary parameter of a Content-Type, quoted or not. */
static int boundary_of(const char *content_type, char *out, size_t out_len)
{
    const char *p = content_type;
    while ((p = strchr(p, ';'))) {
        p++;
        while (*p == ' ' || *p == '\t')
            p++;
        if (strncasecmp(p, "boundary=", 9) != 0)
            continue;
        p += 9;
        size_t n;
        if (*p == '"') {
            const char *end = strchr(++p, '"');
            if (!end)
                return -1;
            n = (size_t)(end - p);
        } else {
            n = strcspn(p, "; \t");
        }
        if (n == 0 || n > 70 || n >= out_len)
            return -1;
        memcpy(out, p, n);
        out[n] = 0;
        return 0;
    }
    return -1;
}

/* The form field name in a part's headers ("Content-Disposition: form-data;
 * name=\"meta\""), into @p out. 0 when found. */
static int part_name(const char *headers, size_t len, char *out, size_t out_len)
{
    const char *cd = NULL;
    for (size_t i = 0; i + 20 <= len; i++)
        if (!strncasecmp(headers + i, "Content-Disposition:", 20)) {
            cd = headers + i;
            break;
        }
    if (!cd)
        return -1;
    const char *eol = memmem(cd, len - (size_t)(cd - headers), "\r\n", 2);
    size_t cd_len = eol ? (size_t)(eol - cd) : len - (size_t)(cd - headers);
    for (size_t i = 1; i + 6 <= cd_len; i++) {
        /* "filename=" also ends in name=: the match must start a parameter */
        char before = cd[i - 1];
        if (memcmp(cd + i, "name=\"", 6) != 0 || (before != ' ' && before != ';' && before != '\t'))
            continue;
        const char *v = cd + i + 6;
        const char *q = memchr(v, '"', cd_len - (size_t)(v - cd));
        if (!q || (size_t)(q - v) >= out_len || q == v)
            return -1;
        memcpy(out, v, (size_t)(q - v));
        out[q - v] = 0;
        return 0;
    }
    return -1;
}

int wx_mock_multipart_parse(const char *content_type, const char *body, size_t len,
                            wx_mock_form_part *parts, size_t max_parts, size_t *count,
                            char *why, size_t why_len)
{
    char boundary[80], delim[84];
    *count = 0;
    if (boundary_of(content_type, boundary, sizeof boundary) != 0) {
        snprintf(why, why_len, "multipart/form-data without a usable boundary");
        return -1;
    }
    int dn = snprintf(delim, sizeof delim, "--%s", boundary);
    const char *p = memmem(body, len, delim, (size_t)dn), *end = body + len;
    if (!p) {
        snprintf(why, why_len, "multipart/form-data body without its boundary");
        return -1;
    }
    for (;;) {
        p += dn;
        if (end - p >= 2 && p[0] == '-' && p[1] == '-')
            return 0; /* the closing delimiter */
        if (end - p < 2 || p[0] != '\r' || p[1] != '\n')
            break;
        p += 2;
        const char *hend = memmem(p, (size_t)(end - p), "\r\n\r\n", 4);
        if (!hend)
            break;
        const char *content = hend + 4;
        char next_delim[88];
        int nn = snprintf(next_delim, sizeof next_delim, "\r\n%s", delim);
        const char *next = memmem(content, (size_t)(end - content), next_delim, (size_t)nn);
        if (!next)
            break;
        if (*count == max_parts) {
            snprintf(why, why_len, "multipart/form-data body has more than %zu parts", max_parts);
            return -1;
        }
        wx_mock_form_part *fp = &parts[*count];
        if (part_name(p, (size_t)(hend - p), fp->name, sizeof fp->name) != 0) {
            snprintf(why, why_len, "multipart/form-data part %zu has no form-data name", *count + 1);
            return -1;
        }
        fp->data = content;
        fp->len = (size_t)(next - content);
        (*count)++;
        p = next + 2;
    }
    snprintf(why, why_len, "multipart/form-data body is malformed after part %zu", *count);
    return -1;
}
