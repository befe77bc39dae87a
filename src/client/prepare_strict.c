/* Pipeline step helper for WX_VALIDATION_STRICT: a request that no spec describes is
 * refused before anything is signed or sent, and the message points at what the spec
 * does know (wx_spec_nearest: the path's other methods, a corrected spelling, or the
 * deepest known path above it). */
#include <wechatpay/sys/spec.h>

#include "client/pipeline.h"
#include "util/alloc.h"
#include "util/error.h"

wx_err wx_strict_refuse(wx_prep *p)
{
    char *near = NULL;
    if (wx_spec_nearest(p->client->spec, p->method_name, p->route->path, &near) != WX_OK)
        return wx_error_set(&p->err, WX_E_NOMEM, "", "out of memory refusing an unknown path");
    wx_err rc = wx_error_set(&p->err, WX_E_VALIDATION, p->route->path,
                             "strict validation: no spec describes %s /%s; %s", p->method_name,
                             p->route->path, near);
    wx_free(near);
    return rc;
}
