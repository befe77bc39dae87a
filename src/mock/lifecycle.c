/* Routing a validated APIv3 call to the state handler that plays it, and what the
 * handlers share: replies, JSON readers, queueing a callback. */
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "lifecycle.h"

static const wx_mock_route *const k_tables[] = {wx_mock_order_routes, wx_mock_refund_routes,
                                                wx_mock_bill_routes, wx_mock_combine_routes,
                                                wx_mock_profitsharing_routes};

int wx_mock_lifecycle_answer(const wx_mock_call *call, wx_mock_reply *reply)
{
    if (!call->ctx->store || !call->template_path)
        return 0;
    for (size_t t = 0; t < sizeof k_tables / sizeof k_tables[0]; t++)
        for (const wx_mock_route *r = k_tables[t]; r->method; r++)
            if (!strcmp(r->method, call->req->method) &&
                !strcmp(r->template_path, call->template_path)) {
                r->fn(call, reply);
                return 1;
            }
    return 0;
}

void wx_mock_reply_json(wx_mock_reply *reply, int status, struct json_object *body,
                        int unsigned_reply)
{
    size_t n = 0;
    const char *text = body ? json_object_to_json_string_length(
                                  body, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n)
                            : NULL;
    free(reply->body);
    reply->body = text ? strdup(text) : NULL;
    json_object_put(body);
    if (!reply->body) {
        wx_mock_reply_error(reply, 500, "SYSTEM_ERROR", "out of memory");
        return;
    }
    reply->status = status;
    reply->body_len = n;
    reply->unsigned_reply = unsigned_reply;
    reply->content_type = "application/json";
}

void wx_mock_reply_store_error(wx_mock_reply *reply)
{
    wx_mock_reply_error(reply, 500, "SYSTEM_ERROR", "the sandbox's state store failed");
}

const char *wx_mock_jstr(struct json_object *o, const char *key)
{
    struct json_object *v;
    if (o && json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string))
        return json_object_get_string(v);
    return "";
}

int64_t wx_mock_jint(struct json_object *o, const char *key)
{
    struct json_object *v;
    if (o && json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_int))
        return json_object_get_int64(v);
    return 0;
}

const char *wx_mock_call_var(const wx_mock_call *call, const char *name)
{
    struct json_object *v;
    if (call->vars && json_object_object_get_ex(call->vars, name, &v))
        return json_object_get_string(v);
    return NULL;
}

const char *wx_mock_call_query(const wx_mock_call *call, const char *name)
{
    for (const wx_kv_t *q = call->query; q && q->key; q++)
        if (!strcmp(q->key, name))
            return q->value;
    return NULL;
}

static int64_t now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

wx_mock_store_rc wx_mock_queue_callback(wx_mock_store *s, const char *url, const char *event_type,
                                        const char *summary, const char *original_type,
                                        struct json_object *resource)
{
    if (!url || !*url) {
        json_object_put(resource);
        return WX_STORE_OK;
    }
    wx_mock_notification n;
    memset(&n, 0, sizeof n);
    wx_mock_event_id(n.id);
    n.api_version = 3;
    snprintf(n.url, sizeof n.url, "%s", url);
    snprintf(n.event_type, sizeof n.event_type, "%s", event_type);
    snprintf(n.summary, sizeof n.summary, "%s", summary);
    snprintf(n.original_type, sizeof n.original_type, "%s", original_type);
    wx_mock_time_rfc3339(-1, n.create_time);
    n.next_attempt_ms = now_ms();
    const char *text = resource ? json_object_to_json_string_ext(
                                      resource, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
                                : NULL;
    n.payload = text ? strdup(text) : NULL;
    json_object_put(resource);
    if (!n.payload)
        return WX_STORE_ERROR;
    wx_mock_store_rc rc = wx_mock_notification_add(s, &n);
    free(n.payload);
    return rc;
}
