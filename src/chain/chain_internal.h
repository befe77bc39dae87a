/* The chain inside: its nodes are routes of the client's route cache (route/route.h),
 * seen through the chain's method table; this header holds what the chain's files share. */
#ifndef WX_CHAIN_INTERNAL_H
#define WX_CHAIN_INTERNAL_H

#include <wechatpay/chain.h>

#include "route/route.h"
#include "util/buf.h"

/* Normalise one segment by the PHP SDK's rules into template text (appended to out).
 * variable: the spec says this position is a path variable, so a plain value is kept
 * verbatim (percent-encoded as needed). Returns WX_OK or WX_E_CHAIN with a message.
 * A wx_route_normalise_fn. */
wx_err wx_segment_normalise(const char *seg, size_t len, int variable, wx_buf *out,
                            wx_error_t *err);

/* Whether @p path starts with a URI scheme and "//" ("https://api.mch.weixin.qq.com/..."):
 * a chain takes a path; the client's base_url gives scheme and host. */
int wx_path_is_url(const char *path);

/* Whether a whole chain path is in the dotted spelling (`v3.industryCoupon.tokens`): it has
 * no '/' and a '.' outside every `{...}` expression. */
int wx_path_is_dotted(const char *path, size_t len);

/* Write the slash spelling of a dotted path into @p out (len + 1 bytes): each '.' outside
 * `{...}` becomes '/'. */
void wx_path_dots_to_slashes(const char *path, size_t len, char *out);

/* The route behind a node, or NULL (with the reason in *err) when @p node cannot be
 * requested: NULL, or the error node, whose reason the calling thread remembers. */
wx_route *wx_node_route(const wx_node_t *node, wx_error_t *err);

#endif
