/* The sandbox's state in SQLite (store.h says what it keeps and how to use it).
 *
 * Each record type is described once, as a table of fields (column name, offset in the
 * struct, kind), and the SQL for create, insert, update and select is made from that
 * table, so a field added to a struct is one line here. One connection serves every
 * thread; the store's mutex serialises transactions on it. */
#include <json-c/json.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mock.h"
#include "store.h"

#define STMT_CACHE 48

/* Statements are made once per SQL text and kept: preparing costs about as much as
 * running one of these small statements. */
typedef struct cached_stmt {
    char *sql;
    sqlite3_stmt *st;
} cached_stmt;

struct wx_mock_store {
    sqlite3 *db;
    pthread_mutex_t lock;
    int in_txn;
    cached_stmt cache[STMT_CACHE];
};

typedef enum kind { K_INT, K_I64, K_TEXT, K_OWNED } kind;

typedef struct field {
    const char *name;
    size_t off;
    size_t size; /* K_TEXT: the array's size */
    kind k;
} field;

typedef struct table {
    const char *name;
    const field *fields; /* the first is the key */
    size_t n;
    const char *extra_sql; /* indexes */
} table;

#define T(type, m) {#m, offsetof(type, m), sizeof(((type *)0)->m), K_TEXT}
#define I(type, m) {#m, offsetof(type, m), 0, K_INT}
#define L(type, m) {#m, offsetof(type, m), 0, K_I64}
#define P(type, m) {#m, offsetof(type, m), 0, K_OWNED}

static const field k_order_fields[] = {
    T(wx_mock_order, out_trade_no),   I(wx_mock_order, api_version),
    T(wx_mock_order, mchid),          T(wx_mock_order, appid),
    T(wx_mock_order, transaction_id), T(wx_mock_order, prepay_id),
    T(wx_mock_order, trade_type),     T(wx_mock_order, trade_state),
    T(wx_mock_order, description),    T(wx_mock_order, attach),
    T(wx_mock_order, notify_url),     L(wx_mock_order, total),
    L(wx_mock_order, payer_total),    T(wx_mock_order, currency),
    T(wx_mock_order, payer_openid),   T(wx_mock_order, bank_type),
    T(wx_mock_order, create_time),    T(wx_mock_order, success_time),
    L(wx_mock_order, refunded),       T(wx_mock_order, fingerprint),
    P(wx_mock_order, extra),
};

static const field k_refund_fields[] = {
    T(wx_mock_refund, out_refund_no),  I(wx_mock_refund, api_version),
    T(wx_mock_refund, refund_id),      T(wx_mock_refund, out_trade_no),
    T(wx_mock_refund, transaction_id), T(wx_mock_refund, status),
    T(wx_mock_refund, channel),        T(wx_mock_refund, user_received_account),
    T(wx_mock_refund, reason),         T(wx_mock_refund, notify_url),
    L(wx_mock_refund, refund),         L(wx_mock_refund, total),
    T(wx_mock_refund, currency),       T(wx_mock_refund, funds_account),
    T(wx_mock_refund, create_time),    T(wx_mock_refund, success_time),
    T(wx_mock_refund, fingerprint),    P(wx_mock_refund, extra),
};

static const field k_notification_fields[] = {
    T(wx_mock_notification, id),            I(wx_mock_notification, api_version),
    T(wx_mock_notification, url),           T(wx_mock_notification, event_type),
    T(wx_mock_notification, summary),       T(wx_mock_notification, original_type),
    T(wx_mock_notification, create_time),   P(wx_mock_notification, payload),
    I(wx_mock_notification, attempts),      I(wx_mock_notification, last_status),
    I(wx_mock_notification, delivered),     L(wx_mock_notification, next_attempt_ms),
};

#define COUNT(a) (sizeof a / sizeof a[0])
static const table k_orders = {"orders", k_order_fields, COUNT(k_order_fields),
                               "CREATE UNIQUE INDEX IF NOT EXISTS orders_txn ON orders(transaction_id) "
                               "WHERE transaction_id <> '';"
                               "CREATE INDEX IF NOT EXISTS orders_day ON orders(create_time);"};
static const table k_refunds = {"refunds", k_refund_fields, COUNT(k_refund_fields),
                                "CREATE INDEX IF NOT EXISTS refunds_order ON refunds(out_trade_no);"};
static const table k_notifications = {
    "notifications", k_notification_fields, COUNT(k_notification_fields),
    "CREATE INDEX IF NOT EXISTS notifications_due ON notifications(delivered, next_attempt_ms);"};

/* ---------------------------------------------------------------- SQL from a table */
static int exec(wx_mock_store *s, const char *sql)
{
    return sqlite3_exec(s->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

static int create_table(wx_mock_store *s, const table *t)
{
    wx_mock_str sql = {0};
    wx_mock_str_printf(&sql, "CREATE TABLE IF NOT EXISTS %s (", t->name);
    for (size_t i = 0; i < t->n; i++)
        wx_mock_str_printf(&sql, "%s%s %s%s", i ? ", " : "", t->fields[i].name,
                           t->fields[i].k == K_INT || t->fields[i].k == K_I64 ? "INTEGER" : "TEXT",
                           i == 0 ? " PRIMARY KEY NOT NULL" : "");
    wx_mock_str_printf(&sql, ");%s", t->extra_sql);
    int rc = sql.failed ? -1 : exec(s, sql.data);
    wx_mock_str_free(&sql);
    return rc;
}

static void bind_field(sqlite3_stmt *st, int col, const field *f, const void *rec)
{
    const char *p = (const char *)rec + f->off;
    switch (f->k) {
    case K_INT: sqlite3_bind_int(st, col, *(const int *)p); break;
    case K_I64: sqlite3_bind_int64(st, col, *(const int64_t *)p); break;
    case K_TEXT: sqlite3_bind_text(st, col, p, -1, SQLITE_STATIC); break;
    case K_OWNED:
        if (*(char *const *)p)
            sqlite3_bind_text(st, col, *(char *const *)p, -1, SQLITE_STATIC);
        else
            sqlite3_bind_null(st, col);
        break;
    }
}

/* Copy column @p col into the record; -1 when out of memory. */
static int read_field(sqlite3_stmt *st, int col, const field *f, void *rec)
{
    char *p = (char *)rec + f->off;
    const unsigned char *text;
    switch (f->k) {
    case K_INT: *(int *)p = sqlite3_column_int(st, col); break;
    case K_I64: *(int64_t *)p = sqlite3_column_int64(st, col); break;
    case K_TEXT:
        text = sqlite3_column_text(st, col);
        snprintf(p, f->size, "%s", text ? (const char *)text : "");
        break;
    case K_OWNED:
        text = sqlite3_column_text(st, col);
        *(char **)p = text ? strdup((const char *)text) : NULL;
        if (text && !*(char **)p)
            return -1;
        break;
    }
    return 0;
}

static void free_owned(const table *t, void *rec)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->fields[i].k == K_OWNED) {
            char **p = (char **)((char *)rec + t->fields[i].off);
            free(*p);
            *p = NULL;
        }
}

/* The statement for @p sql (taken over), from the cache or made and cached. Use it, then
 * release it with done(). Only inside a transaction (the lock guards the cache). */
static wx_mock_store_rc prepare(wx_mock_store *s, wx_mock_str *sql, sqlite3_stmt **st)
{
    *st = NULL;
    if (!s->in_txn || sql->failed) {
        wx_mock_str_free(sql);
        return WX_STORE_ERROR;
    }
    size_t i = 0;
    for (; i < STMT_CACHE && s->cache[i].sql; i++)
        if (!strcmp(s->cache[i].sql, sql->data)) {
            *st = s->cache[i].st;
            wx_mock_str_free(sql);
            return WX_STORE_OK;
        }
    int ok = sqlite3_prepare_v3(s->db, sql->data, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) ==
             SQLITE_OK;
    if (ok && i < STMT_CACHE) {
        s->cache[i].sql = sql->data; /* the cache keeps the text */
        s->cache[i].st = *st;
        memset(sql, 0, sizeof *sql);
    }
    wx_mock_str_free(sql);
    return ok ? WX_STORE_OK : WX_STORE_ERROR;
}

/* Release a statement from prepare(): reset for its next use (or freed when the cache
 * was full). */
static void done(wx_mock_store *s, sqlite3_stmt *st)
{
    for (size_t i = 0; i < STMT_CACHE && s->cache[i].sql; i++)
        if (s->cache[i].st == st) {
            sqlite3_reset(st);
            sqlite3_clear_bindings(st);
            return;
        }
    sqlite3_finalize(st);
}

static wx_mock_store_rc insert(wx_mock_store *s, const table *t, const void *rec)
{
    wx_mock_str sql = {0};
    wx_mock_str_printf(&sql, "INSERT INTO %s (", t->name);
    for (size_t i = 0; i < t->n; i++)
        wx_mock_str_printf(&sql, "%s%s", i ? "," : "", t->fields[i].name);
    wx_mock_str_puts(&sql, ") VALUES (");
    for (size_t i = 0; i < t->n; i++)
        wx_mock_str_puts(&sql, i ? ",?" : "?");
    wx_mock_str_puts(&sql, ")");
    sqlite3_stmt *st;
    if (prepare(s, &sql, &st) != WX_STORE_OK)
        return WX_STORE_ERROR;
    for (size_t i = 0; i < t->n; i++)
        bind_field(st, (int)i + 1, &t->fields[i], rec);
    int rc = sqlite3_step(st);
    done(s, st);
    if (rc == SQLITE_CONSTRAINT)
        return WX_STORE_EXISTS;
    return rc == SQLITE_DONE ? WX_STORE_OK : WX_STORE_ERROR;
}

static wx_mock_store_rc update(wx_mock_store *s, const table *t, const void *rec)
{
    wx_mock_str sql = {0};
    wx_mock_str_printf(&sql, "UPDATE %s SET ", t->name);
    for (size_t i = 1; i < t->n; i++)
        wx_mock_str_printf(&sql, "%s%s=?", i > 1 ? "," : "", t->fields[i].name);
    wx_mock_str_printf(&sql, " WHERE %s=?", t->fields[0].name);
    sqlite3_stmt *st;
    if (prepare(s, &sql, &st) != WX_STORE_OK)
        return WX_STORE_ERROR;
    for (size_t i = 1; i < t->n; i++)
        bind_field(st, (int)i, &t->fields[i], rec);
    bind_field(st, (int)t->n, &t->fields[0], rec);
    int rc = sqlite3_step(st);
    done(s, st);
    if (rc != SQLITE_DONE)
        return WX_STORE_ERROR;
    return sqlite3_changes(s->db) ? WX_STORE_OK : WX_STORE_NOT_FOUND;
}

/* SELECT every field WHERE/ORDER BY @p tail, with text parameters @p args (NULL-ended);
 * calls fn(ud, record) per row; stops when fn returns non-zero. @p rec is scratch space
 * of the record's size; its owned fields are freed after each row. */
static wx_mock_store_rc select_each(wx_mock_store *s, const table *t, const char *tail,
                                    const char *const *args, void *rec, size_t rec_size,
                                    int (*fn)(void *ud, const void *rec), void *ud)
{
    wx_mock_str sql = {0};
    wx_mock_str_puts(&sql, "SELECT ");
    for (size_t i = 0; i < t->n; i++)
        wx_mock_str_printf(&sql, "%s%s", i ? "," : "", t->fields[i].name);
    wx_mock_str_printf(&sql, " FROM %s %s", t->name, tail);
    sqlite3_stmt *st;
    if (prepare(s, &sql, &st) != WX_STORE_OK)
        return WX_STORE_ERROR;
    for (int i = 0; args && args[i]; i++)
        sqlite3_bind_text(st, i + 1, args[i], -1, SQLITE_STATIC);
    wx_mock_store_rc out = WX_STORE_OK;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        memset(rec, 0, rec_size);
        int bad = 0;
        for (size_t i = 0; i < t->n; i++)
            bad |= read_field(st, (int)i, &t->fields[i], rec);
        int stop = bad ? 1 : fn(ud, rec);
        free_owned(t, rec);
        if (bad)
            out = WX_STORE_ERROR;
        if (stop)
            break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        out = WX_STORE_ERROR;
    done(s, st);
    return out;
}

/* One row into @p out (which then owns its `extra`). */
typedef struct one_row {
    void *out;
    size_t size;
    const table *t;
    int found, failed;
} one_row;

static int keep_first(void *ud, const void *rec)
{
    one_row *o = ud;
    memcpy(o->out, rec, o->size);
    /* take the owned strings over: the scratch copy must not free them */
    for (size_t i = 0; i < o->t->n; i++)
        if (o->t->fields[i].k == K_OWNED) {
            char **src = (char **)((char *)rec + o->t->fields[i].off);
            *src = NULL;
        }
    o->found = 1;
    return 1;
}

static wx_mock_store_rc select_one(wx_mock_store *s, const table *t, const char *where,
                                   const char *arg, void *out, size_t size)
{
    void *scratch = malloc(size);
    if (!scratch)
        return WX_STORE_ERROR;
    one_row o = {out, size, t, 0, 0};
    const char *args[] = {arg, NULL};
    wx_mock_store_rc rc = select_each(s, t, where, args, scratch, size,
                                      keep_first, &o);
    free(scratch);
    if (rc != WX_STORE_OK)
        return rc;
    return o.found ? WX_STORE_OK : WX_STORE_NOT_FOUND;
}

/* The caller's typed callback, called through one untyped one (calling a function
 * through a pointer of another type is undefined). */
typedef struct typed_cb {
    void *ud;
    int (*order_fn)(void *ud, const wx_mock_order *o);
    int (*refund_fn)(void *ud, const wx_mock_refund *r);
} typed_cb;

static int call_typed(void *ud, const void *rec)
{
    typed_cb *c = ud;
    return c->order_fn ? c->order_fn(c->ud, rec) : c->refund_fn(c->ud, rec);
}

/* ---------------------------------------------------------------- open, close, txns */
wx_mock_store *wx_mock_store_open(const char *path, char *why, size_t why_len)
{
    wx_mock_store *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(why, why_len, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&s->lock, NULL);
    const char *name = path ? path : ":memory:";
    int rc = sqlite3_open_v2(name, &s->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                             NULL);
    if (rc != SQLITE_OK) {
        snprintf(why, why_len, "%s: %s", name, s->db ? sqlite3_errmsg(s->db) : "out of memory");
        wx_mock_store_close(s);
        return NULL;
    }
    sqlite3_busy_timeout(s->db, 5000);
    /* WAL with synchronous=NORMAL: a commit is in the log before it returns, so killing
     * the sandbox loses nothing; only a power cut could lose the last commits. */
    if ((path && (exec(s, "PRAGMA journal_mode=WAL") || exec(s, "PRAGMA synchronous=NORMAL"))) ||
        create_table(s, &k_orders) || create_table(s, &k_refunds) ||
        create_table(s, &k_notifications) ||
        exec(s, "CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY NOT NULL, value TEXT);"
                "CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY NOT NULL, value INTEGER);")) {
        snprintf(why, why_len, "%s: %s", name, sqlite3_errmsg(s->db));
        wx_mock_store_close(s);
        return NULL;
    }
    return s;
}

void wx_mock_store_close(wx_mock_store *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < STMT_CACHE && s->cache[i].sql; i++) {
        sqlite3_finalize(s->cache[i].st);
        free(s->cache[i].sql);
    }
    sqlite3_close(s->db);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

wx_mock_store_rc wx_mock_store_begin(wx_mock_store *s)
{
    pthread_mutex_lock(&s->lock);
    if (exec(s, "BEGIN IMMEDIATE") != 0) {
        pthread_mutex_unlock(&s->lock);
        return WX_STORE_ERROR;
    }
    s->in_txn = 1;
    return WX_STORE_OK;
}

wx_mock_store_rc wx_mock_store_commit(wx_mock_store *s)
{
    wx_mock_store_rc rc = WX_STORE_OK;
    if (exec(s, "COMMIT") != 0) {
        exec(s, "ROLLBACK");
        rc = WX_STORE_ERROR;
    }
    s->in_txn = 0;
    pthread_mutex_unlock(&s->lock);
    return rc;
}

void wx_mock_store_rollback(wx_mock_store *s)
{
    exec(s, "ROLLBACK");
    s->in_txn = 0;
    pthread_mutex_unlock(&s->lock);
}

/* ---------------------------------------------------------------- counters, settings */
wx_mock_store_rc wx_mock_store_next(wx_mock_store *s, const char *counter, int64_t *out)
{
    wx_mock_str sql = {0};
    wx_mock_str_puts(&sql, "INSERT INTO counters(name, value) VALUES(?, 1) "
                           "ON CONFLICT(name) DO UPDATE SET value = value + 1 RETURNING value");
    sqlite3_stmt *st;
    if (prepare(s, &sql, &st) != WX_STORE_OK)
        return WX_STORE_ERROR;
    sqlite3_bind_text(st, 1, counter, -1, SQLITE_STATIC);
    wx_mock_store_rc rc = WX_STORE_ERROR;
    if (sqlite3_step(st) == SQLITE_ROW) {
        *out = sqlite3_column_int64(st, 0);
        rc = sqlite3_step(st) == SQLITE_DONE ? WX_STORE_OK : WX_STORE_ERROR;
    }
    done(s, st);
    return rc;
}

wx_mock_store_rc wx_mock_store_setting_get(wx_mock_store *s, const char *name, char **out)
{
    *out = NULL;
    wx_mock_str sql = {0};
    wx_mock_str_puts(&sql, "SELECT value FROM settings WHERE name = ?");
    sqlite3_stmt *st;
    if (prepare(s, &sql, &st) != WX_STORE_OK)
        return WX_STORE_ERROR;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    wx_mock_store_rc out_rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? WX_STORE_OK : WX_STORE_ERROR;
    const unsigned char *v = rc == SQLITE_ROW ? sqlite3_column_text(st, 0) : NULL;
    if (v && !(*out = strdup((const char *)v)))
        out_rc = WX_STORE_ERROR;
    done(s, st);
    return out_rc;
}

wx_mock_store_rc wx_mock_store_setting_set(wx_mock_store *s, const char *name, const char *value)
{
    wx_mock_str sql = {0};
    wx_mock_str_puts(&sql, value ? "INSERT OR REPLACE INTO settings(name, value) VALUES(?, ?)"
                                 : "DELETE FROM settings WHERE name = ?");
    sqlite3_stmt *st;
    if (prepare(s, &sql, &st) != WX_STORE_OK)
        return WX_STORE_ERROR;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    if (value)
        sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    done(s, st);
    return rc == SQLITE_DONE ? WX_STORE_OK : WX_STORE_ERROR;
}

wx_mock_store_rc wx_mock_store_reset(wx_mock_store *s)
{
    if (!s->in_txn)
        return WX_STORE_ERROR;
    return exec(s, "DELETE FROM orders; DELETE FROM refunds; DELETE FROM notifications; "
                   "DELETE FROM settings;") == 0 ? WX_STORE_OK : WX_STORE_ERROR;
}

/* ---------------------------------------------------------------- orders */
wx_mock_store_rc wx_mock_order_find(wx_mock_store *s, const char *out_trade_no, wx_mock_order *out)
{
    return select_one(s, &k_orders, "WHERE out_trade_no = ?", out_trade_no, out, sizeof *out);
}

wx_mock_store_rc wx_mock_order_find_by_transaction(wx_mock_store *s, const char *transaction_id,
                                                   wx_mock_order *out)
{
    return select_one(s, &k_orders, "WHERE transaction_id = ?", transaction_id, out, sizeof *out);
}

wx_mock_store_rc wx_mock_order_insert(wx_mock_store *s, const wx_mock_order *o)
{
    return insert(s, &k_orders, o);
}

wx_mock_store_rc wx_mock_order_update(wx_mock_store *s, const wx_mock_order *o)
{
    return update(s, &k_orders, o);
}

wx_mock_store_rc wx_mock_order_each_of_day(wx_mock_store *s, const char *day,
                                           int (*fn)(void *ud, const wx_mock_order *o), void *ud)
{
    char prefix[16];
    snprintf(prefix, sizeof prefix, "%.10s%%", day);
    const char *args[] = {prefix, NULL};
    wx_mock_order scratch;
    typed_cb cb = {ud, fn, NULL};
    return select_each(s, &k_orders, "WHERE create_time LIKE ? ORDER BY rowid", args, &scratch,
                       sizeof scratch, call_typed, &cb);
}

void wx_mock_order_clear(wx_mock_order *o)
{
    if (o) {
        free(o->extra);
        memset(o, 0, sizeof *o);
    }
}

/* ---------------------------------------------------------------- refunds */
wx_mock_store_rc wx_mock_refund_find(wx_mock_store *s, const char *out_refund_no,
                                     wx_mock_refund *out)
{
    return select_one(s, &k_refunds, "WHERE out_refund_no = ?", out_refund_no, out, sizeof *out);
}

wx_mock_store_rc wx_mock_refund_insert(wx_mock_store *s, const wx_mock_refund *r)
{
    return insert(s, &k_refunds, r);
}

wx_mock_store_rc wx_mock_refund_update(wx_mock_store *s, const wx_mock_refund *r)
{
    return update(s, &k_refunds, r);
}

wx_mock_store_rc wx_mock_refund_each_of_order(wx_mock_store *s, const char *out_trade_no,
                                              int (*fn)(void *ud, const wx_mock_refund *r),
                                              void *ud)
{
    const char *args[] = {out_trade_no, NULL};
    wx_mock_refund scratch;
    typed_cb cb = {ud, NULL, fn};
    return select_each(s, &k_refunds, "WHERE out_trade_no = ? ORDER BY rowid", args, &scratch,
                       sizeof scratch, call_typed, &cb);
}

void wx_mock_refund_clear(wx_mock_refund *r)
{
    if (r) {
        free(r->extra);
        memset(r, 0, sizeof *r);
    }
}

/* ---------------------------------------------------------------- notifications */
wx_mock_store_rc wx_mock_notification_add(wx_mock_store *s, const wx_mock_notification *n)
{
    return insert(s, &k_notifications, n);
}

wx_mock_store_rc wx_mock_notification_due(wx_mock_store *s, int64_t now_ms,
                                          wx_mock_notification *out, int64_t *next_ms)
{
    if (next_ms) {
        *next_ms = -1;
        wx_mock_str sql = {0};
        wx_mock_str_puts(&sql, "SELECT MIN(next_attempt_ms) FROM notifications WHERE delivered = 0");
        sqlite3_stmt *st;
        if (prepare(s, &sql, &st) != WX_STORE_OK)
            return WX_STORE_ERROR;
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
            *next_ms = sqlite3_column_int64(st, 0);
        done(s, st);
    }
    char now[24];
    snprintf(now, sizeof now, "%lld", (long long)now_ms);
    return select_one(s, &k_notifications,
                      "WHERE delivered = 0 AND next_attempt_ms <= CAST(? AS INTEGER) "
                      "ORDER BY next_attempt_ms, rowid LIMIT 1",
                      now, out, sizeof *out);
}

wx_mock_store_rc wx_mock_notification_record(wx_mock_store *s, const char *id, int status,
                                             int delivered, int64_t next_attempt_ms)
{
    wx_mock_str sql = {0};
    wx_mock_str_puts(&sql, "UPDATE notifications SET attempts = attempts + 1, last_status = ?, "
                           "delivered = ?, next_attempt_ms = ? WHERE id = ?");
    sqlite3_stmt *st;
    if (prepare(s, &sql, &st) != WX_STORE_OK)
        return WX_STORE_ERROR;
    sqlite3_bind_int(st, 1, status);
    sqlite3_bind_int(st, 2, delivered);
    sqlite3_bind_int64(st, 3, next_attempt_ms);
    sqlite3_bind_text(st, 4, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    done(s, st);
    if (rc != SQLITE_DONE)
        return WX_STORE_ERROR;
    return sqlite3_changes(s->db) ? WX_STORE_OK : WX_STORE_NOT_FOUND;
}

static int list_one(void *ud, const void *rec)
{
    const wx_mock_notification *n = rec;
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "id", json_object_new_string(n->id));
    json_object_object_add(o, "url", json_object_new_string(n->url));
    json_object_object_add(o, "event_type", json_object_new_string(n->event_type));
    json_object_object_add(o, "attempts", json_object_new_int(n->attempts));
    json_object_object_add(o, "last_status", json_object_new_int(n->last_status));
    json_object_object_add(o, "delivered", json_object_new_boolean(n->delivered));
    json_object_array_add(ud, o);
    return 0;
}

wx_mock_store_rc wx_mock_notification_list(wx_mock_store *s, struct json_object **out)
{
    *out = json_object_new_array();
    if (!*out)
        return WX_STORE_ERROR;
    wx_mock_notification scratch;
    wx_mock_store_rc rc = select_each(s, &k_notifications, "ORDER BY rowid", NULL, &scratch,
                                      sizeof scratch, list_one, *out);
    if (rc != WX_STORE_OK) {
        json_object_put(*out);
        *out = NULL;
    }
    return rc;
}

void wx_mock_notification_clear(wx_mock_notification *n)
{
    if (n) {
        free(n->payload);
        memset(n, 0, sizeof *n);
    }
}
