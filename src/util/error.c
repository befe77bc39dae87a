#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void copy_field(char *dst, size_t size, const char *src)
{
    if (!src)
        src = "";
    size_t n = strlen(src);
    if (n >= size)
        n = size - 1;
    memcpy(dst, src, n);
    dst[n] = 0;
}

wx_err wx_error_set(wx_error_t *err, wx_err code, const char *where, const char *fmt, ...)
{
    if (!err)
        return code;
    err->code = code;
    copy_field(err->where, sizeof err->where, where);
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    } else {
        copy_field(err->message, sizeof err->message, wx_strerror(code));
    }
    return code;
}

void wx_error_clear(wx_error_t *err)
{
    if (err)
        memset(err, 0, sizeof *err);
}

void wx_error_prefix(wx_error_t *err, const char *fmt, ...)
{
    if (!err)
        return;
    char prefix[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    char old[sizeof err->message];
    memcpy(old, err->message, sizeof old);
    size_t n = strlen(prefix);
    if (n > sizeof err->message - 3)
        n = sizeof err->message - 3;
    memcpy(err->message, prefix, n);
    memcpy(err->message + n, ": ", 2);
    copy_field(err->message + n + 2, sizeof err->message - n - 2, old);
}

void wx_error_copy(wx_error_t *dst, const wx_error_t *src)
{
    if (dst && src && dst != src)
        memcpy(dst, src, sizeof *dst);
}

static const struct {
    const char *name;
    const char *text;
} k_errors[] = {
    [WX_OK] = {"WX_OK", "success"},
    [WX_E_NOMEM] = {"WX_E_NOMEM", "out of memory"},
    [WX_E_INVALID_ARG] = {"WX_E_INVALID_ARG", "invalid argument"},
    [WX_E_CHAIN] = {"WX_E_CHAIN", "invalid chain segment"},
    [WX_E_TEMPLATE] = {"WX_E_TEMPLATE", "invalid URI template"},
    [WX_E_MISSING_VAR] = {"WX_E_MISSING_VAR", "missing path variable"},
    [WX_E_VALIDATION] = {"WX_E_VALIDATION", "request does not match its spec"},
    [WX_E_SPEC] = {"WX_E_SPEC", "unusable spec file"},
    [WX_E_NOT_FOUND] = {"WX_E_NOT_FOUND", "not found"},
    [WX_E_JSON] = {"WX_E_JSON", "malformed JSON"},
    [WX_E_IO] = {"WX_E_IO", "file could not be read or written"},
    [WX_E_CONFIG] = {"WX_E_CONFIG", "incomplete or wrong configuration"},
    [WX_E_KEY] = {"WX_E_KEY", "unusable key or certificate"},
    [WX_E_CRYPTO] = {"WX_E_CRYPTO", "crypto operation failed"},
    [WX_E_SIGN] = {"WX_E_SIGN", "request could not be signed"},
    [WX_E_TRANSPORT] = {"WX_E_TRANSPORT", "connection failed"},
    [WX_E_TIMEOUT] = {"WX_E_TIMEOUT", "timed out"},
    [WX_E_TOO_LARGE] = {"WX_E_TOO_LARGE", "response too large"},
    [WX_E_VERIFY_HEADER] = {"WX_E_VERIFY_HEADER", "response signature header missing or malformed"},
    [WX_E_VERIFY_SERIAL] = {"WX_E_VERIFY_SERIAL", "response signed with an unknown platform key"},
    [WX_E_VERIFY_TIME] = {"WX_E_VERIFY_TIME", "response timestamp too far from now"},
    [WX_E_VERIFY_SIGNATURE] = {"WX_E_VERIFY_SIGNATURE", "response signature does not verify"},
    [WX_E_HTTP] = {"WX_E_HTTP", "server returned an error"},
    [WX_E_DECRYPT] = {"WX_E_DECRYPT", "decryption failed"},
    [WX_E_PENDING] = {"WX_E_PENDING", "request still in flight"},
    [WX_E_INTERNAL] = {"WX_E_INTERNAL", "internal error"},
    [WX_E_UNSUPPORTED] = {"WX_E_UNSUPPORTED", "not supported by this build"},
    [WX_E_HEADER_VALUE] = {"WX_E_HEADER_VALUE", "header name or value contains a control character"},
    [WX_E_CONNECT] = {"WX_E_CONNECT", "could not connect (nothing was sent)"},
    [WX_E_DIGEST] = {"WX_E_DIGEST", "downloaded data does not match its digest"},
    [WX_E_XML] = {"WX_E_XML", "malformed or refused XML"},
    [WX_E_OUTCOME_UNKNOWN] = {"WX_E_OUTCOME_UNKNOWN",
                              "the request may have reached the server; it was not resent"},
    [WX_E_REPLAY] = {"WX_E_REPLAY", "notification already seen"},
};

const char *wx_strerror(wx_err code)
{
    if ((unsigned)code < sizeof k_errors / sizeof k_errors[0] && k_errors[code].text)
        return k_errors[code].text;
    return "unknown error";
}

const char *wx_err_name(wx_err code)
{
    if ((unsigned)code < sizeof k_errors / sizeof k_errors[0] && k_errors[code].name)
        return k_errors[code].name;
    return "WX_E_UNKNOWN";
}
