/* What the documentation's code examples take as given: the names a fragment uses without
 * declaring them (a client `c`, an error `err`, request options `opts`, a callback
 * `on_done` ...). doc_examples.sh includes this before each example, so an example that
 * uses a name not listed here, or uses one with another type, fails to compile: keep the
 * examples and this list in step. Declarations only; the examples are compiled, not run. */
#ifndef WX_DOC_EXAMPLES_CONTEXT_H
#define WX_DOC_EXAMPLES_CONTEXT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <wechatpay/wechatpay.h>
#include <wechatpay/plugin.h>
#include <wechatpay/sys/transport_memory.h>

extern wx_client_t *c, *client;
extern wx_error_t err;
extern wx_request_options_t opts, a, b, same_options, query_only;
extern const char *body, *id, *detail_id, *mchid, *prepay_id, *url, *hex, *key;
extern size_t body_len;
extern const wx_kv_t *headers;
extern struct json_object *fields, *order, *bill;
extern void *ud;
extern wx_notify_guard_t *guard;

void on_done(const wx_response_t *r, void *ud);
void print_it(const wx_response_t *r, void *ud);
void handle(const char *event_type, const struct json_object *resource);
void send_http_answer(int status, const char *answer);
int credit_once(const char *id, const struct json_object *resource);
const char *field(const struct json_object *o, const char *name);
wx_response_t *create_native_order(wx_client_t *c, const char *out_trade_no, int total);

#endif
