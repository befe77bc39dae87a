/* Trade bills built from the sandbox's orders: GET /v3/bill/tradebill?bill_date=D answers
 * a download_url and the SHA-1 of the bill, a CSV of the orders made that day (+08:00) in
 * WeChat Pay's layout (every value after a backtick, then the summary lines); with
 * tar_type=GZIP the download is that CSV gzipped (the digest is of the CSV, as WeChat
 * Pay's is). The CSV is kept under its token, so the download is exactly what was
 * announced even if orders change in between. Other tokens (fund-flow bills) get the
 * spec's example file. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "lifecycle.h"

/* Each bill_type has its own columns, as WeChat Pay's bills do: SUCCESS leaves the refund
 * columns out, REFUND adds when the refund was asked for and when it succeeded. */
#define COLUMNS_HEAD "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号," \
                     "用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,"
#define COLUMNS_REFUND "微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,"
#define HEADER_ALL COLUMNS_HEAD COLUMNS_REFUND "商品名称,商户数据包,手续费,费率,订单金额," \
                   "申请退款金额,费率备注\n"
#define HEADER_SUCCESS COLUMNS_HEAD "商品名称,商户数据包,手续费,费率,订单金额,费率备注\n"
#define HEADER_REFUND COLUMNS_HEAD "退款申请时间,退款成功时间," COLUMNS_REFUND "商品名称," \
                      "商户数据包,手续费,费率,订单金额,申请退款金额,费率备注\n"
#define SUMMARY "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额," \
                "申请退款总金额\n"
#define MAX_ORDERS 100000

typedef struct bill {
    wx_mock_str csv;
    const char *type;          /* ALL, SUCCESS or REFUND */
    wx_mock_paid_orders paid_orders;
    long long count, paid, refunded, fees; /* fen; fees in 1/1000 fen */
} bill;

static int keep_paid(void *ud, const wx_mock_order *o)
{
    wx_mock_paid_orders *p = ud;
    if (strcmp(o->trade_state, "SUCCESS") && strcmp(o->trade_state, "REFUND"))
        return 0;
    if (p->n == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 64;
        wx_mock_order *v = cap <= MAX_ORDERS ? realloc(p->v, cap * sizeof *v) : NULL;
        if (!v)
            return 1;
        p->v = v;
        p->cap = cap;
    }
    p->v[p->n] = *o;
    p->v[p->n++].extra = NULL; /* not needed, and owned by the scratch record */
    return 0;
}

wx_mock_store_rc wx_mock_paid_orders_of_day(wx_mock_store *s, const char *day,
                                            wx_mock_paid_orders *out)
{
    return wx_mock_order_each_of_day(s, day, keep_paid, out);
}

/* "2026-12-03T10:34:56+08:00" -> "2026-12-03 10:34:56" */
static void bill_time(const char *rfc3339, char out[20])
{
    snprintf(out, 20, "%.10s %.8s", rfc3339, rfc3339[0] ? rfc3339 + 11 : "");
}

/* "`12.50" from fen. */
static void put_yuan(wx_mock_str *csv, long long fen)
{
    wx_mock_str_printf(csv, "`%lld.%02lld,", fen / 100, fen % 100);
}

/* One CSV line in the bill's layout; refund NULL for the payment itself. */
static void add_row(bill *b, const wx_mock_order *o, const wx_mock_refund *r)
{
    char when[20], asked[20], done[20];
    /* The refund bill dates a row by its payment; the full bill by what happened. */
    int refund_bill = !strcmp(b->type, "REFUND"), success_bill = !strcmp(b->type, "SUCCESS");
    bill_time(r && !refund_bill ? r->success_time : o->success_time, when);
    long long amount = r ? 0 : o->total, refund = r ? r->refund : 0;
    long long fee = amount * 6; /* 0.6% in 1/1000 fen */
    wx_mock_str *csv = &b->csv;
    wx_mock_str_printf(csv, "`%s,`%s,`%s,`0,`,`%s,`%s,`%s,`%s,`%s,`%s,`%s,", when, o->appid,
                       o->mchid, o->transaction_id, o->out_trade_no, o->payer_openid,
                       o->trade_type, r ? "REFUND" : "SUCCESS", o->bank_type, o->currency);
    put_yuan(csv, amount);
    wx_mock_str_puts(csv, "`0.00,");
    if (refund_bill) {
        bill_time(r->create_time, asked);
        bill_time(r->success_time, done);
        wx_mock_str_printf(csv, "`%s,`%s,", asked, done);
    }
    if (!success_bill) {
        wx_mock_str_printf(csv, "`%s,`%s,", r ? r->refund_id : "0", r ? r->out_refund_no : "0");
        put_yuan(csv, refund);
        wx_mock_str_printf(csv, "`0.00,`%s,`%s,", r ? "ORIGINAL" : "", r ? r->status : "");
    }
    wx_mock_str_printf(csv, "`%s,`%s,`%lld.%05lld,`0.60%%,", o->description, o->attach,
                       fee / 100000, fee % 100000);
    put_yuan(csv, r ? 0 : (long long)o->total);
    if (!success_bill)
        put_yuan(csv, refund);
    wx_mock_str_puts(csv, "`\n");
    b->count++;
    b->paid += amount;
    b->refunded += refund;
    b->fees += fee;
}

typedef struct refund_rows {
    bill *b;
    const wx_mock_order *o;
} refund_rows;

static int add_refund(void *ud, const wx_mock_refund *r)
{
    refund_rows *rr = ud;
    if (!strcmp(r->status, "SUCCESS"))
        add_row(rr->b, rr->o, r);
    return 0;
}

/* Inside a transaction: the CSV of @p day. */
static wx_mock_store_rc build(wx_mock_store *s, const char *day, bill *b)
{
    wx_mock_paid_orders *p = &b->paid_orders;
    wx_mock_store_rc rc = wx_mock_paid_orders_of_day(s, day, p);
    int payments = strcmp(b->type, "REFUND") != 0, refunds = strcmp(b->type, "SUCCESS") != 0;
    wx_mock_str_puts(&b->csv, !payments ? HEADER_REFUND : !refunds ? HEADER_SUCCESS : HEADER_ALL);
    for (size_t i = 0; rc == WX_STORE_OK && i < p->n; i++) {
        if (payments)
            add_row(b, &p->v[i], NULL);
        refund_rows rr = {b, &p->v[i]};
        if (refunds)
            rc = wx_mock_refund_each_of_order(s, p->v[i].out_trade_no, add_refund, &rr);
    }
    wx_mock_str_printf(&b->csv, SUMMARY "`%lld,`%lld.%02lld,`%lld.%02lld,`0.00,`%lld.%05lld,"
                       "`%lld.%02lld,`%lld.%02lld\n", b->count, b->paid / 100, b->paid % 100,
                       b->refunded / 100, b->refunded % 100, b->fees / 100000, b->fees % 100000,
                       b->paid / 100, b->paid % 100, b->refunded / 100, b->refunded % 100);
    return b->csv.failed ? WX_STORE_ERROR : rc;
}

wx_mock_store_rc wx_mock_trade_bill_csv(wx_mock_store *s, const char *day, const char *type,
                                        wx_mock_str *csv, long long *rows)
{
    bill b = {.type = type && (!strcmp(type, "SUCCESS") || !strcmp(type, "REFUND")) ? type : "ALL"};
    wx_mock_store_rc rc = build(s, day, &b);
    free(b.paid_orders.v);
    *csv = b.csv;
    *rows = b.count;
    return rc;
}

/* The URL this sandbox serves the bill at (Host of the request, as bills.c does). */
static void download_url(const wx_mock_call *call, const char *token, int gzip, char *out,
                         size_t len)
{
    const char *host = NULL;
    for (const wx_kv_t *h = call->req->headers; h && h->key; h++)
        if (!strcasecmp(h->key, "Host"))
            host = h->value;
    if (!host || strpbrk(host, "/\\\"\r\n "))
        host = "127.0.0.1";
    snprintf(out, len, "%s://%s/v3/billdownload/file?token=%s%s", call->ctx->tls ? "https" : "http",
             host, token, gzip ? "&tartype=GZIP" : "");
}

static void trade_bill(const wx_mock_call *call, wx_mock_reply *reply)
{
    const char *day = wx_mock_call_query(call, "bill_date");
    const char *type = wx_mock_call_query(call, "bill_type");
    const char *tar = wx_mock_call_query(call, "tar_type");
    type = type && (!strcmp(type, "SUCCESS") || !strcmp(type, "REFUND")) ? type : "ALL";
    wx_mock_str csv = {0};
    long long rows = 0;
    char token[96], key[104], sha1[41], url[512];
    unsigned char raw[12];
    if (wx_random_bytes(raw, sizeof raw) != WX_OK) {
        wx_mock_reply_error(reply, 500, "SYSTEM_ERROR", "random source failed");
        return;
    }
    int n = snprintf(token, sizeof token, "TRADE%.4s%.2s%.2s%s", day, day + 5, day + 8, type);
    for (size_t i = 0; i < sizeof raw && n > 0 && (size_t)n + 3 < sizeof token; i++)
        n += snprintf(token + n, sizeof token - (size_t)n, "%02X", raw[i]);
    snprintf(key, sizeof key, "bill:%s", token);
    wx_mock_store *s = call->ctx->store;
    if (wx_mock_store_begin(s) != WX_STORE_OK) {
        wx_mock_reply_store_error(reply);
        return;
    }
    if (wx_mock_trade_bill_csv(s, day, type, &csv, &rows) != WX_STORE_OK ||
        wx_mock_store_setting_set(s, key, csv.data) != WX_STORE_OK) {
        wx_mock_store_rollback(s);
        wx_mock_reply_store_error(reply);
    } else if (wx_mock_store_commit(s) != WX_STORE_OK || wx_sha1_hex(csv.data, csv.len, sha1) != WX_OK) {
        wx_mock_reply_store_error(reply);
    } else {
        download_url(call, token, tar && !strcmp(tar, "GZIP"), url, sizeof url);
        struct json_object *o = json_object_new_object();
        json_object_object_add(o, "hash_type", json_object_new_string("SHA1"));
        json_object_object_add(o, "hash_value", json_object_new_string(sha1));
        json_object_object_add(o, "download_url", json_object_new_string(url));
        wx_mock_reply_json(reply, 200, o, 0);
    }
    wx_mock_str_free(&csv);
}

/* The header carries no time, so the same bill always compresses to the same bytes. */
int wx_mock_gzip(const char *data, size_t len, char **out, size_t *out_len)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return -1;
    size_t cap = deflateBound(&z, (uLong)len);
    *out = malloc(cap);
    z.next_in = (Bytef *)data;
    z.avail_in = (uInt)len;
    z.next_out = (Bytef *)*out;
    z.avail_out = (uInt)cap;
    int rc = *out ? deflate(&z, Z_FINISH) : Z_MEM_ERROR;
    *out_len = cap - z.avail_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END) {
        free(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

static void bill_file(const wx_mock_call *call, wx_mock_reply *reply)
{
    const char *token = wx_mock_call_query(call, "token");
    const char *tar = wx_mock_call_query(call, "tartype");
    char key[160], *csv = NULL;
    snprintf(key, sizeof key, "bill:%.150s", token ? token : "");
    wx_mock_store *s = call->ctx->store;
    if (wx_mock_store_begin(s) != WX_STORE_OK) {
        wx_mock_reply_store_error(reply);
        return;
    }
    wx_mock_store_rc rc = wx_mock_store_setting_get(s, key, &csv);
    wx_mock_store_rollback(s);
    if (rc != WX_STORE_OK) {
        wx_mock_reply_store_error(reply);
        return;
    }
    if (!csv) {
        wx_mock_answer_example(call->ctx, call->req, call->ep, reply);
        return;
    }
    reply->status = 200;
    reply->unsigned_reply = 1; /* WeChat Pay does not sign downloads */
    reply->content_type = "application/octet-stream";
    if (tar && !strcmp(tar, "GZIP")) {
        if (wx_mock_gzip(csv, strlen(csv), &reply->body, &reply->body_len) != 0)
            wx_mock_reply_error(reply, 500, "SYSTEM_ERROR", "cannot compress the bill");
        free(csv);
    } else {
        reply->body = csv;
        reply->body_len = strlen(csv);
    }
}

const wx_mock_route wx_mock_bill_routes[] = {
    {"GET", "/v3/bill/tradebill", trade_bill},
    {"GET", "/v3/billdownload/file", bill_file},
    {NULL, NULL, NULL},
};
