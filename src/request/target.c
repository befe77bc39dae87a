/* Request targets that would arrive as another path than the one signed are refused
 * before sending. The signature covers the target as the library wrote it, and the
 * library decides from it whether an answer may come unsigned (a bill download); a
 * target that libcurl or the server rewrites (dot segments removed, a fragment dropped,
 * %2F decoded into a separator) would make both judgements about the wrong request. */
#include "request/target.h"

#include <string.h>

#include "util/error.h"

/* A segment that is "." or ".." once decoded. */
static int is_dot_segment(const char *s, size_t n)
{
    size_t dots = 0;
    for (size_t i = 0; i < n; dots++) {
        if (s[i] == '.')
            i++;
        else if (n - i >= 3 && s[i] == '%' && s[i + 1] == '2' && (s[i + 2] | 0x20) == 'e')
            i += 3;
        else
            return 0;
    }
    return dots == 1 || dots == 2;
}

static int has_dot_segment(const char *target, size_t path_len)
{
    for (size_t i = 0; i < path_len;) { /* target[i] is a '/' */
        size_t n = strcspn(target + i + 1, "/?");
        if (is_dot_segment(target + i + 1, n))
            return 1;
        i += 1 + n;
    }
    return 0;
}

/* %2F, %5C (any case) or a raw backslash in the first n bytes. */
static int has_slash_escape(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\')
            return 1;
        if (s[i] == '%' && i + 2 < n &&
            ((s[i + 1] == '2' && (s[i + 2] | 0x20) == 'f') ||
             (s[i + 1] == '5' && (s[i + 2] | 0x20) == 'c')))
            return 1;
    }
    return 0;
}

wx_err wx_request_target_check(const char *target, wx_error_t *err)
{
    size_t path_len = strcspn(target, "?");
    if (strchr(target, '#'))
        return wx_error_set(err, WX_E_INVALID_ARG, "path",
                            "the target %.200s holds a '#': a fragment is never sent, so the "
                            "server would get another target than the one signed",
                            target);
    if (has_slash_escape(target, path_len))
        return wx_error_set(err, WX_E_INVALID_ARG, "path",
                            "the path %.200s holds an encoded slash or backslash (%%2F, %%5C) "
                            "or a backslash: a server may read it as other segments",
                            target);
    if (has_dot_segment(target, path_len))
        return wx_error_set(err, WX_E_INVALID_ARG, "path",
                            "the path %.200s has a \".\" or \"..\" segment", target);
    return WX_OK;
}

int wx_request_path_has_escape(const char *target)
{
    size_t path_len = strcspn(target, "?");
    return memchr(target, '%', path_len) != NULL;
}
