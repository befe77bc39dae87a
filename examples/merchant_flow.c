/* A small merchant backend: it creates a JSAPI order whose notify_url it serves itself (a
 * loopback libmicrohttpd listener), and when WeChat Pay calls back it verifies and
 * decrypts the notification, answers 204, queries the order and refunds part of it, then
 * waits for the refund's own callback. Against `wxpay mock` the payment and the refund
 * are completed with its control API (POST /mock/pay, POST /mock/refund/succeed).
 *
 *   merchant_flow CONFIG.json [BASE_URL] [OUT_TRADE_NO]
 *
 * The notification handler verifies and answers at once; the main thread gets the event
 * only once that answer has gone out, and does the slow work (WeChat Pay resends a
 * callback that is not answered quickly). */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, pthread_cond_timedwait */

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <wechatpay/wechatpay.h>

#define MAX_BODY (64 * 1024)

/* Events handed from the listener to the main thread. */
typedef struct inbox {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    char event_type[64];
    struct json_object *resource; /* the decrypted resource, owned */
} inbox;

typedef struct app {
    wx_client_t *client;
    inbox box;
} app;

typedef struct upload {
    char *data;
    size_t len;
    char event_type[64];
    struct json_object *resource; /* verified: handed over once the answer is sent */
} upload;

static enum MHD_Result add_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *value)
{
    (void)kind;
    wx_kv_t **h = cls;
    (*h)->key = key;
    (*h)->value = value;
    (*h)++;
    return MHD_YES;
}

/* Verify and decrypt one notification; hand it over; answer WeChat Pay. */
static enum MHD_Result handle(app *a, struct MHD_Connection *conn, upload *u)
{
    wx_kv_t headers[64] = {{NULL, NULL}}, *end = headers;
    if (MHD_get_connection_values(conn, MHD_HEADER_KIND, NULL, NULL) < 63)
        MHD_get_connection_values(conn, MHD_HEADER_KIND, add_header, &end);
    wx_notification_t *n = NULL;
    wx_error_t err;
    wx_err rc = wx_notify_verify(a->client, headers, u->data ? u->data : "", u->len, &n, &err);
    if (rc == WX_OK) {
        snprintf(u->event_type, sizeof u->event_type, "%s", n->event_type);
        u->resource = json_object_get(n->resource);
    } else {
        fprintf(stderr, "merchant: rejected a notification: %s\n", err.message);
    }
    wx_notification_free(n);
    int status = 500;
    char *answer = NULL;
    if (wx_notify_reply(rc, rc == WX_OK ? NULL : "verification failed", &status, &answer) != WX_OK)
        return MHD_NO;
    struct MHD_Response *r = MHD_create_response_from_buffer(
        answer ? strlen(answer) : 0, answer ? answer : (char *)"", MHD_RESPMEM_MUST_COPY);
    wx_free(answer);
    MHD_add_response_header(r, "Content-Type", "application/json");
    enum MHD_Result ok = MHD_queue_response(conn, (unsigned)status, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *data,
                                  size_t *size, void **con_cls)
{
    (void)url, (void)version;
    upload *u = *con_cls;
    if (!u) {
        *con_cls = calloc(1, sizeof(upload));
        return *con_cls ? MHD_YES : MHD_NO;
    }
    if (*size) {
        if (u->len + *size > MAX_BODY)
            return MHD_NO;
        char *p = realloc(u->data, u->len + *size + 1);
        if (!p)
            return MHD_NO;
        memcpy(p + u->len, data, *size);
        u->data = p;
        u->len += *size;
        *size = 0;
        return MHD_YES;
    }
    if (strcmp(method, "POST") != 0)
        return MHD_NO;
    return handle(cls, conn, u);
}

/* The answer has gone out: now hand a verified event to the main thread. */
static void on_done(void *cls, struct MHD_Connection *conn, void **con_cls,
                    enum MHD_RequestTerminationCode toe)
{
    (void)conn;
    app *a = cls;
    upload *u = *con_cls;
    if (u && u->resource && toe == MHD_REQUEST_TERMINATED_COMPLETED_OK) {
        pthread_mutex_lock(&a->box.lock);
        json_object_put(a->box.resource);
        snprintf(a->box.event_type, sizeof a->box.event_type, "%s", u->event_type);
        a->box.resource = u->resource;
        u->resource = NULL;
        pthread_cond_signal(&a->box.cond);
        pthread_mutex_unlock(&a->box.lock);
    }
    if (u) {
        json_object_put(u->resource);
        free(u->data);
    }
    free(u);
    *con_cls = NULL;
}

/* Wait up to @p seconds for an event of @p type; returns its resource (json_object_put). */
static struct json_object *wait_event(app *a, const char *type, int seconds)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += seconds;
    struct json_object *got = NULL;
    pthread_mutex_lock(&a->box.lock);
    while (!got) {
        if (a->box.resource && !strcmp(a->box.event_type, type)) {
            got = a->box.resource;
            a->box.resource = NULL;
        } else if (pthread_cond_timedwait(&a->box.cond, &a->box.lock, &until) != 0) {
            break;
        }
    }
    pthread_mutex_unlock(&a->box.lock);
    return got;
}

static const char *member(struct json_object *o, const char *key)
{
    struct json_object *v;
    return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : "";
}

/* 1 for a verified 2xx, else 0 with the reason printed. */
static int ok_or_say(wx_response_t *r, const char *what)
{
    if (wx_response_err(r) == WX_OK)
        return 1;
    fprintf(stderr, "merchant: %s: %s\n", what, wx_response_error_detail(r)->message);
    return 0;
}

static int create_order(app *a, const char *out_trade_no, const char *notify_url)
{
    struct json_object *body = json_object_new_object(), *amount = json_object_new_object(),
                       *payer = json_object_new_object();
    json_object_object_add(body, "appid", json_object_new_string("wxd678efh567hg6787"));
    json_object_object_add(body, "mchid", json_object_new_string(wx_client_mchid(a->client)));
    json_object_object_add(body, "description", json_object_new_string("Image形象店-深圳腾大-QQ公仔"));
    json_object_object_add(body, "out_trade_no", json_object_new_string(out_trade_no));
    json_object_object_add(body, "notify_url", json_object_new_string(notify_url));
    json_object_object_add(amount, "total", json_object_new_int(100));
    json_object_object_add(body, "amount", amount);
    json_object_object_add(payer, "openid", json_object_new_string("oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"));
    json_object_object_add(body, "payer", payer);
    wx_response_t *r = wx_chain(a->client, "v3")->seg("pay")->seg("transactions")->seg("jsapi")
                           ->post(&(wx_request_options_t){.json = body});
    json_object_put(body);
    int ok = ok_or_say(r, "create the order");
    if (ok)
        printf("order %s created: prepay_id %s\n", out_trade_no,
               member(wx_response_json(r), "prepay_id"));
    wx_response_free(r);
    return ok;
}

/* After TRANSACTION.SUCCESS: check with a query, then refund 30 fen. */
static int query_and_refund(app *a, const char *out_trade_no, const char *refund_no)
{
    wx_response_t *r = wx_chain(a->client, "v3/pay/transactions/out-trade-no/{out_trade_no}")
                           ->get(&(wx_request_options_t){
                               .vars = (wx_kv_t[]){{"out_trade_no", out_trade_no}, {NULL, NULL}},
                               .query = (wx_kv_t[]){{"mchid", wx_client_mchid(a->client)},
                                                    {NULL, NULL}}});
    int ok = ok_or_say(r, "query the order");
    if (ok)
        printf("query: trade_state %s\n", member(wx_response_json(r), "trade_state"));
    wx_response_free(r);
    if (!ok)
        return 0;
    char body[256];
    snprintf(body, sizeof body,
             "{\"out_trade_no\":\"%s\",\"out_refund_no\":\"%s\",\"reason\":\"merchant_flow\","
             "\"amount\":{\"refund\":30,\"total\":100,\"currency\":\"CNY\"}}",
             out_trade_no, refund_no);
    r = wx_chain(a->client, "v3/refund/domestic/refunds")->post(&(wx_request_options_t){.json_text = body});
    ok = ok_or_say(r, "refund");
    if (ok)
        printf("refund %s: %s, refund_id %s\n", refund_no, member(wx_response_json(r), "status"),
               member(wx_response_json(r), "refund_id"));
    wx_response_free(r);
    return ok;
}

static int flow(app *a, const char *out_trade_no, int port)
{
    char notify_url[128], refund_no[80];
    snprintf(notify_url, sizeof notify_url, "http://127.0.0.1:%d/wxpay/notify", port);
    snprintf(refund_no, sizeof refund_no, "%s_r1", out_trade_no);
    printf("serving notify_url %s\n", notify_url);
    if (!create_order(a, out_trade_no, notify_url))
        return 1;
    printf("waiting for the payment notification\n");
    fflush(stdout);
    struct json_object *paid = wait_event(a, "TRANSACTION.SUCCESS", 60);
    if (!paid) {
        fprintf(stderr, "merchant: no payment notification within 60 s\n");
        return 1;
    }
    printf("notification TRANSACTION.SUCCESS verified: %s is %s, transaction_id %s\n",
           member(paid, "out_trade_no"), member(paid, "trade_state"), member(paid, "transaction_id"));
    json_object_put(paid);
    if (!query_and_refund(a, out_trade_no, refund_no))
        return 1;
    printf("waiting for the refund notification\n");
    fflush(stdout);
    struct json_object *refunded = wait_event(a, "REFUND.SUCCESS", 60);
    if (!refunded) {
        fprintf(stderr, "merchant: no refund notification within 60 s\n");
        return 1;
    }
    printf("notification REFUND.SUCCESS verified: %s is %s\n", member(refunded, "out_refund_no"),
           member(refunded, "refund_status"));
    json_object_put(refunded);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s CONFIG.json [BASE_URL] [OUT_TRADE_NO]\n", argv[0]);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    app a = {.box = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, "", NULL}};
    wx_client_options_t o = {.base_url = argc > 2 && *argv[2] ? argv[2] : NULL};
    wx_error_t err;
    if (wx_client_new_from_config(argv[1], &o, &a.client, &err) != WX_OK) {
        fprintf(stderr, "%s\n", err.message);
        return 2;
    }
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL, 0, NULL,
        NULL, on_request, &a, MHD_OPTION_SOCK_ADDR, &addr, MHD_OPTION_NOTIFY_COMPLETED, on_done,
        &a, MHD_OPTION_END);
    const union MHD_DaemonInfo *info = d ? MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT) : NULL;
    int rc = 1;
    if (!info)
        fprintf(stderr, "merchant: cannot listen on 127.0.0.1\n");
    else
        rc = flow(&a, argc > 3 ? argv[3] : "merchant_flow_0001", info->port);
    if (d)
        MHD_stop_daemon(d);
    json_object_put(a.box.resource);
    wx_client_free(a.client);
    return rc;
}
