/* Spec problems (file + key path + message) and the key paths that name places. */
#include "spec/spec_impl.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/error.h"

static void copy_str(char *dst, size_t size, const char *src)
{
    size_t n = src ? strlen(src) : 0;
    if (n >= size)
        n = size - 1;
    if (n)
        memcpy(dst, src, n);
    dst[n] = 0;
}

wx_err wx_problem_set(wx_spec_problem *p, wx_err code, const char *file, const char *keypath,
                      const char *fmt, ...)
{
    if (!p)
        return code;
    p->code = code;
    copy_str(p->file, sizeof p->file, file);
    copy_str(p->keypath, sizeof p->keypath, keypath);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->message, sizeof p->message, fmt, ap);
    va_end(ap);
    return code;
}

wx_err wx_problem_to_error(const wx_spec_problem *p, wx_error_t *err)
{
    char where[sizeof p->file + sizeof p->keypath + 4];
    if (p->keypath[0])
        snprintf(where, sizeof where, "%s: %s", p->file, p->keypath);
    else
        snprintf(where, sizeof where, "%s", p->file);
    return wx_error_set(err, p->code ? p->code : WX_E_SPEC, where, "%s", p->message);
}

int wx_plain_key(const char *key)
{
    if (!*key)
        return 0;
    for (const char *s = key; *s; s++)
        if (*s == '.' || *s == '[' || *s == ']' || *s == '"' || *s == ' ')
            return 0;
    return 1;
}

static void kp_append(wx_keypath *k, const char *s, size_t n)
{
    size_t room = sizeof k->text - 1 - k->len;
    if (n > room)
        n = room;
    memcpy(k->text + k->len, s, n);
    k->len += n;
    k->text[k->len] = 0;
}

size_t wx_keypath_push_key(wx_keypath *k, const char *key)
{
    size_t old = k->len;
    if (wx_plain_key(key)) {
        if (k->len)
            kp_append(k, ".", 1);
        kp_append(k, key, strlen(key));
    } else {
        kp_append(k, "[\"", 2);
        kp_append(k, key, strlen(key));
        kp_append(k, "\"]", 2);
    }
    return old;
}

size_t wx_keypath_push_index(wx_keypath *k, size_t i)
{
    size_t old = k->len;
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "[%zu]", i);
    kp_append(k, tmp, (size_t)n);
    return old;
}

void wx_keypath_pop(wx_keypath *k, size_t old_len)
{
    k->len = old_len;
    k->text[old_len] = 0;
}

void wx_keypath_set(wx_keypath *k, const char *text)
{
    k->len = 0;
    k->text[0] = 0;
    kp_append(k, text, strlen(text));
}
