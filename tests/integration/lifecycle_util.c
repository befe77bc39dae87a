#include "lifecycle_util.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define APPID "wxd678efh567hg6787"
#define OPENID "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"

wx_client_t *lc_client(const wxt_mock *m)
{
    wx_client_options_t o = {.base_url = m->base_url, .timeout_ms = 20000, .max_retries = -1};
    wx_client_t *c = NULL;
    wx_error_t err = {0};
    if (wx_client_new_from_config(m->config, &o, &c, &err) != WX_OK)
        fail_msg("client: %s", err.message);
    return c;
}

wx_response_t *lc_create(wx_client_t *c, const char *kind, const char *out_trade_no,
                         int64_t total, const char *notify_url)
{
    struct json_object *b = json_object_new_object();
    json_object_object_add(b, "appid", json_object_new_string(APPID));
    json_object_object_add(b, "mchid", json_object_new_string(wx_client_mchid(c)));
    json_object_object_add(b, "description", json_object_new_string("Image形象店-深圳腾大-QQ公仔"));
    json_object_object_add(b, "out_trade_no", json_object_new_string(out_trade_no));
    json_object_object_add(b, "notify_url", json_object_new_string(notify_url));
    struct json_object *amount = json_object_new_object();
    json_object_object_add(amount, "total", json_object_new_int64(total));
    json_object_object_add(amount, "currency", json_object_new_string("CNY"));
    json_object_object_add(b, "amount", amount);
    if (!strcmp(kind, "jsapi")) {
        struct json_object *payer = json_object_new_object();
        json_object_object_add(payer, "openid", json_object_new_string(OPENID));
        json_object_object_add(b, "payer", payer);
    } else if (!strcmp(kind, "h5")) {
        struct json_object *scene = json_object_new_object(), *h5 = json_object_new_object();
        json_object_object_add(scene, "payer_client_ip", json_object_new_string("127.0.0.1"));
        json_object_object_add(h5, "type", json_object_new_string("Wap"));
        json_object_object_add(scene, "h5_info", h5);
        json_object_object_add(b, "scene_info", scene);
    }
    wx_response_t *r = wx_chain(c, "v3/pay/transactions")->seg(kind)->post(
        &(wx_request_options_t){.json = b});
    json_object_put(b);
    return r;
}

wx_response_t *lc_query(wx_client_t *c, const char *out_trade_no)
{
    return wx_chain(c, "v3/pay/transactions/out-trade-no/{out_trade_no}")
        ->get(&(wx_request_options_t){
            .vars = (wx_kv_t[]){{"out_trade_no", out_trade_no}, {NULL, NULL}},
            .query = (wx_kv_t[]){{"mchid", wx_client_mchid(c)}, {NULL, NULL}}});
}

wx_response_t *lc_query_id(wx_client_t *c, const char *transaction_id)
{
    return wx_chain(c, "v3/pay/transactions/id/{transaction_id}")
        ->get(&(wx_request_options_t){
            .vars = (wx_kv_t[]){{"transaction_id", transaction_id}, {NULL, NULL}},
            .query = (wx_kv_t[]){{"mchid", wx_client_mchid(c)}, {NULL, NULL}}});
}

wx_response_t *lc_close(wx_client_t *c, const char *out_trade_no)
{
    char body[128];
    snprintf(body, sizeof body, "{\"mchid\":\"%s\"}", wx_client_mchid(c));
    return wx_chain(c, "v3/pay/transactions/out-trade-no/{out_trade_no}/close")
        ->post(&(wx_request_options_t){
            .vars = (wx_kv_t[]){{"out_trade_no", out_trade_no}, {NULL, NULL}},
            .json_text = body});
}

wx_response_t *lc_refund(wx_client_t *c, const char *out_trade_no, const char *out_refund_no,
                         int64_t refund, int64_t total, const char *notify_url)
{
    char body[1024];
    char url[600] = "";
    if (notify_url)
        snprintf(url, sizeof url, "\"notify_url\":\"%s\",", notify_url);
    snprintf(body, sizeof body,
             "{\"out_trade_no\":\"%s\",\"out_refund_no\":\"%s\",\"reason\":\"商品已售完\",%s"
             "\"amount\":{\"refund\":%lld,\"total\":%lld,\"currency\":\"CNY\"}}",
             out_trade_no, out_refund_no, url, (long long)refund, (long long)total);
    return wx_chain(c, "v3/refund/domestic/refunds")->post(&(wx_request_options_t){.json_text = body});
}

wx_response_t *lc_refund_query(wx_client_t *c, const char *out_refund_no)
{
    return wx_chain(c, "v3/refund/domestic/refunds/{out_refund_no}")
        ->get(&(wx_request_options_t){
            .vars = (wx_kv_t[]){{"out_refund_no", out_refund_no}, {NULL, NULL}}});
}

typedef struct buf {
    char *data;
    size_t len;
} buf;

static size_t collect(char *p, size_t size, size_t n, void *ud)
{
    buf *b = ud;
    char *d = realloc(b->data, b->len + size * n + 1);
    if (!d)
        return 0;
    memcpy(d + b->len, p, size * n);
    b->data = d;
    b->len += size * n;
    d[b->len] = 0;
    return size * n;
}

long lc_control(const wxt_mock *m, const char *method, const char *path, const char *body,
                struct json_object **json)
{
    char url[256];
    snprintf(url, sizeof url, "%s%s", m->base_url, path[0] == '/' ? path + 1 : path);
    CURL *c = curl_easy_init();
    buf b = {0};
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (body)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    long status = 0;
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    if (json)
        *json = b.data ? json_tokener_parse(b.data) : NULL;
    free(b.data);
    return status;
}

int lc_ok(const wx_response_t *r)
{
    if (wx_response_err(r) != WX_OK)
        fail_msg("%s: %s (HTTP %d %s)", wx_err_name(wx_response_err(r)),
                 wx_response_error_detail(r)->message, wx_response_status(r),
                 wx_response_error_detail(r)->server_code);
    return wx_response_status(r);
}

void lc_expect_error(const wx_response_t *r, int status, const char *code)
{
    const wx_error_t *e = wx_response_error_detail(r);
    if (wx_response_err(r) != WX_E_HTTP || wx_response_status(r) != status ||
        strcmp(e->server_code, code) != 0)
        fail_msg("want a verified HTTP %d %s, got %s HTTP %d %s: %s", status, code,
                 wx_err_name(wx_response_err(r)), wx_response_status(r), e->server_code,
                 e->message);
}

const char *lc_field(const wx_response_t *r, const char *key)
{
    struct json_object *v = lc_get(wx_response_json(r), key);
    return v ? json_object_get_string(v) : "";
}

struct json_object *lc_get(struct json_object *o, const char *path)
{
    char part[64];
    while (o && *path) {
        size_t n = strcspn(path, ".");
        snprintf(part, sizeof part, "%.*s", (int)n, path);
        if (!json_object_object_get_ex(o, part, &o))
            return NULL;
        path += n + (path[n] == '.');
    }
    return o;
}

char *lc_trade_state(wx_client_t *c, const char *out_trade_no)
{
    wx_response_t *r = lc_query(c, out_trade_no);
    lc_ok(r);
    char *s = strdup(lc_field(r, "trade_state"));
    wx_response_free(r);
    return s;
}
