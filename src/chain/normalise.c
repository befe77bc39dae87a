/* Segment normalisation, compatible with the PHP SDK so code ports line by line:
 *   industryCoupon -> industry-coupon   (a leading capital is lowered, any other
 *                                        capital becomes '-' + lower)
 *   _transaction_id_ -> {transaction_id}
 *   {name}, {+name}, ... pass through as RFC 6570 expressions.
 * Unlike the PHP SDK, a segment the spec tree says is a path variable keeps its case:
 * `OpenID`-style values are data, not names. */
#include <string.h>

#include "chain/chain_internal.h"
#include "util/error.h"

static int is_upper(char c) { return c >= 'A' && c <= 'Z'; }

/* Characters that may stand in a path segment as they are (RFC 3986 pchar, without
 * '%' which starts an escape we validate separately). */
static int pchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           strchr("-._~!$&'()*+,;=:@", c) != NULL;
}

static int is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int varchar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '.';
}

static wx_err bad(wx_error_t *err, const char *seg, size_t len, size_t at, const char *why)
{
    return wx_error_set(err, WX_E_CHAIN, "", "chain segment \"%.*s\": %s at offset %zu",
                        (int)(len > 80 ? 80 : len), seg, why, at);
}

/* A value in a variable position: everything but unreserved characters escaped, so
 * it can never add a segment, a query or a template expression. */
static void append_value(wx_buf *out, const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~') {
            wx_buf_putc(out, (char)c);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            wx_buf_append(out, e, 3);
        }
    }
}

wx_err wx_segment_normalise(const char *seg, size_t len, int variable, wx_buf *out,
                            wx_error_t *err)
{
    if (len == 0)
        return wx_error_set(err, WX_E_CHAIN, "", "empty chain segment");
    /* _name_ -> {name} */
    if (len >= 3 && seg[0] == '_' && seg[len - 1] == '_') {
        int ok = 1;
        for (size_t i = 1; i + 1 < len; i++)
            ok &= varchar(seg[i]);
        if (ok) {
            wx_buf_putc(out, '{');
            wx_buf_append(out, seg + 1, len - 2);
            wx_buf_putc(out, '}');
            return WX_OK;
        }
    }
    int has_expr = memchr(seg, '{', len) != NULL || memchr(seg, '}', len) != NULL;
    if (variable && !has_expr) {
        for (size_t i = 0; i < len; i++)
            if ((unsigned char)seg[i] < 0x20 || seg[i] == 0x7f)
                return bad(err, seg, len, i, "control character");
        append_value(out, seg, len);
        return WX_OK;
    }
    for (size_t i = 0; i < len; i++) {
        char c = seg[i];
        if (c == '{') {
            const char *close = memchr(seg + i, '}', len - i);
            if (!close)
                return bad(err, seg, len, i, "unclosed '{'");
            size_t n = (size_t)(close - (seg + i)) + 1;
            if (memchr(seg + i + 1, '{', n - 1))
                return bad(err, seg, len, i, "nested '{'");
            wx_buf_append(out, seg + i, n); /* the template parser judges it */
            i += n - 1;
        } else if (c == '}') {
            return bad(err, seg, len, i, "'}' without '{'");
        } else if (is_upper(c)) {
            if (i > 0)
                wx_buf_putc(out, '-');
            wx_buf_putc(out, (char)(c + 32));
        } else if (c == '%') {
            if (i + 2 >= len || !is_hex(seg[i + 1]) || !is_hex(seg[i + 2]))
                return bad(err, seg, len, i, "'%' not followed by two hex digits");
            wx_buf_append(out, seg + i, 3);
            i += 2;
        } else if (pchar((unsigned char)c)) {
            wx_buf_putc(out, c);
        } else if (c == '/') {
            return bad(err, seg, len, i, "empty segment");
        } else {
            return bad(err, seg, len, i,
                       c == '?' ? "'?' (use the query option for query parameters)"
                       : c == '#' ? "'#'"
                                  : "a character not allowed in a path");
        }
    }
    return WX_OK;
}

/* ---------------------------------------------------------------- whole paths */

int wx_path_is_url(const char *path)
{
    /* RFC 3986 scheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), then "://" */
    size_t i = 0;
    if (!((path[0] >= 'a' && path[0] <= 'z') || is_upper(path[0])))
        return 0;
    while ((path[i] >= 'a' && path[i] <= 'z') || is_upper(path[i]) ||
           (path[i] >= '0' && path[i] <= '9') || path[i] == '+' || path[i] == '-' ||
           path[i] == '.')
        i++;
    return strncmp(path + i, "://", 3) == 0;
}

/* The dotted spelling is the tool's shorthand, so it must mean the same here. The rule is
 * narrow on purpose: a path with a '/' is never split, so a value holding a dot (a file
 * name, "a.b") goes in the slash spelling, in `vars`, or as a wx_seg() segment, which is
 * never split either. '.' inside `{...}` belongs to the expression ({a.b} is RFC 6570). */
int wx_path_is_dotted(const char *path, size_t len)
{
    if (memchr(path, '/', len))
        return 0;
    int depth = 0;
    for (size_t i = 0; i < len; i++) {
        depth += path[i] == '{' ? 1 : path[i] == '}' ? -1 : 0;
        if (path[i] == '.' && depth <= 0)
            return 1;
    }
    return 0;
}

void wx_path_dots_to_slashes(const char *path, size_t len, char *out)
{
    int depth = 0;
    for (size_t i = 0; i < len; i++) {
        depth += path[i] == '{' ? 1 : path[i] == '}' ? -1 : 0;
        out[i] = path[i] == '.' && depth <= 0 ? '/' : path[i];
    }
    out[len] = 0;
}
