/* The growth rule of the options and plugin structs an application hands in (common.h,
 * "Growing structs"): each begins with `unsigned version`, 0 meaning 1. */
#ifndef WX_UTIL_STRUCT_VERSION_H
#define WX_UTIL_STRUCT_VERSION_H

#include <stddef.h>

#include <wechatpay/common.h>

/* WX_OK when @p version (0 for 1) is one this library knows (at most @p known);
 * otherwise WX_E_INVALID_ARG naming @p type: the struct comes from newer headers and may
 * hold members this library would ignore. */
wx_err wx_struct_version_check(unsigned version, unsigned known, const char *type,
                               wx_error_t *err);

/* Copy the caller's struct @p src into @p dst (this library's full layout, @p dst_size
 * bytes), reading only the @p sizes[v - 1] bytes its version v has and zeroing the rest,
 * so members added after that version take their zero default; the copy's version is
 * then @p known. @p sizes lists the size of each version, 1 to @p known. Errors as
 * wx_struct_version_check(). */
wx_err wx_struct_import(void *dst, size_t dst_size, const void *src, const size_t *sizes,
                        unsigned known, const char *type, wx_error_t *err);

#endif
