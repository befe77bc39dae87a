/* What a notify_url handler does with a callback WeChat Pay POSTed: verify it, decrypt
 * its resource, credit the order once, and answer. WeChat Pay delivers a notification
 * again until one delivery is answered success (and sometimes more often): a replay
 * guard tells a repeat from the first delivery, and the merchant's own database, a
 * unique constraint on the notification id, is the final guard (here a small table
 * stands in for it). Each pair of files is one delivery, as a web server would have
 * received it; give the same pair several times to see a repeat answered without a
 * second credit.
 *
 *   handle_notification CONFIG.json HEADERS_FILE BODY_FILE [HEADERS_FILE BODY_FILE ...]
 *
 * HEADERS_FILE holds `Name: value` lines; BODY_FILE the body exactly as received. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <wechatpay/wechatpay.h>

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t cap = 0, n = 0, r;
    do {
        if (cap - n < 4096 && !(buf = realloc(buf, cap = cap * 2 + 4096)))
            break;
        r = fread(buf + n, 1, cap - n - 1, f);
        n += r;
    } while (r > 0);
    fclose(f);
    if (buf) {
        buf[n] = 0;
        *len = n;
    }
    return buf;
}

/* Stands in for the merchant's database: the ids credited, under a unique constraint.
 * A real handler inserts the id in the same transaction that credits the order, and a
 * duplicate key means "credited already": it is the guard that survives restarts and
 * spans servers. */
typedef struct orders_db {
    char ids[16][64];
    int n;
} orders_db;

/* 1 when @p id was inserted now (credit the order), 0 when it was there already, -1
 * when it could not be stored (the database failed: nothing credited). */
static int insert_unique(orders_db *db, const char *id)
{
    for (int i = 0; i < db->n; i++)
        if (!strcmp(db->ids[i], id))
            return 0;
    if (db->n == (int)(sizeof db->ids / sizeof db->ids[0]))
        return -1;
    snprintf(db->ids[db->n++], sizeof db->ids[0], "%s", id);
    return 1;
}

/* One delivery: verify, admit through the guard, credit once, answer. */
static wx_err handle(wx_client_t *c, wx_notify_guard_t *guard, orders_db *db,
                     const char *headers_file, const char *body_file)
{
    size_t hlen = 0, blen = 0;
    char *htext = slurp(headers_file, &hlen), *body = slurp(body_file, &blen);
    wx_kv_t *headers = NULL;
    wx_notification_t *n = NULL;
    wx_error_t err;
    wx_err rc = !htext || !body ? WX_E_IO : wx_notify_headers_parse(htext, hlen, &headers, &err);
    if (rc == WX_OK)
        rc = wx_notify_verify_guarded(c, guard, headers, body, blen, &n, &err);
    int credited = rc == WX_OK ? insert_unique(db, n->id) : 0;
    if (rc == WX_OK && credited >= 0) {
        printf("%s (%s) %s: %s\n", n->event_type, n->summary,
               credited ? "credited" : "already in the database, not credited again",
               json_object_to_json_string_ext(n->resource, JSON_C_TO_STRING_PLAIN |
                                                               JSON_C_TO_STRING_NOSLASHESCAPE));
        wx_notify_guard_finish(guard, n->id, 1);
    } else if (rc == WX_OK) {
        /* not stored: forget it, so that WeChat Pay's next delivery is handled */
        wx_notify_guard_finish(guard, n->id, 0);
        fprintf(stderr, "the database failed: answered with an error, WeChat Pay retries\n");
        rc = WX_E_INTERNAL;
    } else if (rc == WX_E_REPLAY) {
        printf("already handled (%s): acknowledged, not credited again\n", err.message);
    } else {
        fprintf(stderr, "rejected: %s\n", rc == WX_E_IO ? "cannot read the files" : err.message);
    }
    /* The answer WeChat Pay expects: 204 without a body (also for a repeat), or an error
     * with a JSON body, after which it tries again later. */
    int status = 0;
    char *answer = NULL;
    const char *why = rc == WX_E_INTERNAL ? "try again later" : "verification failed";
    if (wx_notify_reply(rc, rc == WX_OK || rc == WX_E_REPLAY ? NULL : why, &status, &answer) ==
        WX_OK)
        printf("answer: HTTP %d %s\n", status, answer ? answer : "");
    wx_free(answer);
    wx_notification_free(n);
    wx_free(headers);
    free(htext);
    free(body);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 4 || argc % 2) {
        fprintf(stderr, "usage: %s CONFIG.json HEADERS_FILE BODY_FILE [HEADERS_FILE BODY_FILE ...]\n",
                argv[0]);
        return 2;
    }
    wx_client_t *c = NULL;
    wx_notify_guard_t *guard = NULL;
    wx_error_t err;
    if (wx_client_new_from_config(argv[1], NULL, &c, &err) != WX_OK ||
        wx_notify_guard_new(NULL, &guard, &err) != WX_OK) {
        fprintf(stderr, "%s\n", err.message);
        wx_client_free(c);
        return 2;
    }
    orders_db db = {.n = 0};
    int failed = 0;
    for (int i = 2; i + 1 < argc; i += 2) {
        wx_err rc = handle(c, guard, &db, argv[i], argv[i + 1]);
        failed |= rc != WX_OK && rc != WX_E_REPLAY;
    }
    wx_notify_guard_free(guard);
    wx_client_free(c);
    return failed ? 3 : 0;
}
