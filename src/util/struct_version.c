#include "util/struct_version.h"

#include <string.h>

#include "util/error.h"

wx_err wx_struct_version_check(unsigned version, unsigned known, const char *type,
                               wx_error_t *err)
{
    if (version <= known)
        return WX_OK;
    return wx_error_set(err, WX_E_INVALID_ARG, type,
                        "%s version %u is newer than this libwechatpay knows (%u): "
                        "the program was built against newer headers", type, version, known);
}

wx_err wx_struct_import(void *dst, size_t dst_size, const void *src, const size_t *sizes,
                        unsigned known, const char *type, wx_error_t *err)
{
    unsigned version;
    /* every versioned struct begins with its `unsigned version` */
    memcpy(&version, src, sizeof version);
    wx_err rc = wx_struct_version_check(version, known, type, err);
    if (rc != WX_OK)
        return rc;
    size_t have = sizes[(version ? version : 1) - 1];
    if (have > dst_size)
        have = dst_size;
    memcpy(dst, src, have);
    memset((char *)dst + have, 0, dst_size - have);
    memcpy(dst, &known, sizeof known); /* the copy has every member of version `known` */
    return WX_OK;
}
