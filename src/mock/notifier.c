/* Delivering callbacks: one background thread takes the store's callbacks as they come
 * due, POSTs each with libcurl, and records the outcome. Anything but a 2xx is retried
 * on WeChat Pay's schedule (15 s, 15 s, 30 s, 3 m, 10 m, 20 m, 30 m, 30 m, 30 m, 60 m,
 * 3 h, 3 h, 3 h, 6 h, 6 h), scaled so that its first interval is --notify-backoff.
 * Because the queue is the store, a restart on the same --state file resumes it.
 *
 * Only loopback URLs are delivered to unless --notify-any-host: the sandbox must not
 * become a way to make requests to other hosts. */
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "apiv2.h"
#include "lifecycle.h"

#define NEVER_MS INT64_MAX
#define MAX_WAIT_MS (3600 * 1000)

static const int k_schedule_s[] = {15, 15, 30, 180, 600, 1200, 1800, 1800,
                                   1800, 3600, 10800, 10800, 10800, 21600, 21600};
#define SCHEDULE_LEN (int)(sizeof k_schedule_s / sizeof k_schedule_s[0])

struct wx_mock_notifier {
    wx_mock_notifier_options o;
    pthread_t thread;
    int started;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int stop, woken;
    CURL *curl;
};

static int64_t now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

int wx_mock_url_is_loopback(const char *url)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *user = NULL;
    int ok = 0;
    if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_NO_USER &&
        (!strcmp(scheme, "http") || !strcmp(scheme, "https"))) {
        unsigned a, b, c, d;
        char tail;
        ok = !strcmp(host, "localhost") || !strcmp(host, "[::1]") ||
             (sscanf(host, "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) == 4 && a == 127 && b < 256 &&
              c < 256 && d < 256);
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(user);
    curl_url_cleanup(u);
    return ok;
}

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return size * n;
}

/* POST one callback; the HTTP status, or 0 when no answer came. */
static int post(wx_mock_notifier *n, const wx_mock_notification *note)
{
    char *body = NULL;
    size_t len = 0;
    wx_mock_signature sig = {0};
    char why[256];
    struct curl_slist *h = NULL;
    if (note->api_version == 3) {
        if (wx_mock_notification_build(n->o.cfg, n->o.sign_with, note->id, note->create_time,
                                       note->event_type, note->summary, note->original_type,
                                       note->payload, &body, &len, &sig, why, sizeof why) != 0) {
            fprintf(stderr, "wxpay mock: callback %s: %s\n", note->id, why);
            return 0;
        }
        char line[1200];
        h = curl_slist_append(h, "Content-Type: application/json");
        snprintf(line, sizeof line, "Wechatpay-Timestamp: %s", sig.timestamp);
        h = curl_slist_append(h, line);
        snprintf(line, sizeof line, "Wechatpay-Nonce: %s", sig.nonce);
        h = curl_slist_append(h, line);
        snprintf(line, sizeof line, "Wechatpay-Serial: %s", sig.serial);
        h = curl_slist_append(h, line);
        snprintf(line, sizeof line, "Wechatpay-Signature: %s", sig.signature);
        h = curl_slist_append(h, line);
        h = curl_slist_append(h, "Wechatpay-Signature-Type: WECHATPAY2-SHA256-RSA2048");
    } else {
        body = wx_mock_v2_notification_body(n->o.cfg, note->payload, &len);
        if (!body) {
            fprintf(stderr, "wxpay mock: callback %s: no APIv2 body (apiv2_key?)\n", note->id);
            return 0;
        }
        h = curl_slist_append(h, "Content-Type: text/xml");
    }
    wx_mock_signature_clear(&sig);
    CURL *c = n->curl;
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, note->url);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "Mozilla/4.0");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    long status = 0;
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    free(body);
    return (int)status;
}

/* When to try again after @p attempts failed attempts (NEVER_MS: give up). */
static int64_t next_attempt(const wx_mock_notifier *n, int attempts)
{
    if (attempts < 1 || attempts > SCHEDULE_LEN)
        return NEVER_MS;
    return now_ms() + (int64_t)((double)k_schedule_s[attempts - 1] * n->o.backoff_s / 15.0 * 1000.0);
}

/* Deliver @p note once and record it. */
static void attempt(wx_mock_notifier *n, const wx_mock_notification *note)
{
    int status = 0, delivered = 0;
    int64_t next;
    if (!n->o.any_host && !wx_mock_url_is_loopback(note->url)) {
        fprintf(stderr, "wxpay mock: callback %s: %s is not a loopback URL: not delivered "
                        "(--notify-any-host allows other hosts)\n", note->id, note->url);
        next = NEVER_MS;
    } else {
        status = post(n, note);
        delivered = status >= 200 && status < 300;
        next = delivered ? 0 : next_attempt(n, note->attempts + 1);
        if (!n->o.quiet)
            printf("callback %s %s -> %s%d (attempt %d)%s\n", note->event_type, note->url,
                   status ? "" : "no answer ", status, note->attempts + 1,
                   delivered || next != NEVER_MS ? "" : ", giving up");
    }
    if (wx_mock_store_begin(n->o.store) != WX_STORE_OK)
        return;
    if (wx_mock_notification_record(n->o.store, note->id, status, delivered, next) == WX_STORE_OK)
        wx_mock_store_commit(n->o.store);
    else
        wx_mock_store_rollback(n->o.store);
}

/* Sleep until @p until_ms (realtime), a wake-up, or stop. */
static void wait_until(wx_mock_notifier *n, int64_t until_ms)
{
    int64_t now = now_ms();
    if (until_ms < 0 || until_ms - now > MAX_WAIT_MS)
        until_ms = now + MAX_WAIT_MS;
    struct timespec ts = {(time_t)(until_ms / 1000), (long)(until_ms % 1000) * 1000000L};
    pthread_mutex_lock(&n->lock);
    while (!n->stop && !n->woken)
        if (pthread_cond_timedwait(&n->cond, &n->lock, &ts) == ETIMEDOUT)
            break;
    n->woken = 0;
    pthread_mutex_unlock(&n->lock);
}

static int stopping(wx_mock_notifier *n)
{
    pthread_mutex_lock(&n->lock);
    int s = n->stop;
    pthread_mutex_unlock(&n->lock);
    return s;
}

static void *run(void *ud)
{
    wx_mock_notifier *n = ud;
    while (!stopping(n)) {
        wx_mock_notification note = {0};
        int64_t next = -1;
        if (wx_mock_store_begin(n->o.store) != WX_STORE_OK) {
            wait_until(n, now_ms() + 1000);
            continue;
        }
        wx_mock_store_rc rc = wx_mock_notification_due(n->o.store, now_ms(), &note, &next);
        wx_mock_store_rollback(n->o.store);
        if (rc == WX_STORE_OK)
            attempt(n, &note);
        else
            wait_until(n, rc == WX_STORE_NOT_FOUND ? next : now_ms() + 1000);
        wx_mock_notification_clear(&note);
    }
    return NULL;
}

wx_mock_notifier *wx_mock_notifier_start(const wx_mock_notifier_options *opts, char *why,
                                         size_t why_len)
{
    wx_mock_notifier *n = calloc(1, sizeof *n);
    if (!n || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(why, why_len, "out of memory");
        free(n);
        return NULL;
    }
    n->o = *opts;
    pthread_mutex_init(&n->lock, NULL);
    pthread_cond_init(&n->cond, NULL);
    n->curl = curl_easy_init();
    if (!n->curl || pthread_create(&n->thread, NULL, run, n) != 0) {
        snprintf(why, why_len, "cannot start the callback thread");
        wx_mock_notifier_stop(n);
        return NULL;
    }
    n->started = 1;
    return n;
}

void wx_mock_notifier_wake(wx_mock_notifier *n)
{
    if (!n)
        return;
    pthread_mutex_lock(&n->lock);
    n->woken = 1;
    pthread_cond_signal(&n->cond);
    pthread_mutex_unlock(&n->lock);
}

void wx_mock_notifier_stop(wx_mock_notifier *n)
{
    if (!n)
        return;
    pthread_mutex_lock(&n->lock);
    n->stop = 1;
    pthread_cond_signal(&n->cond);
    pthread_mutex_unlock(&n->lock);
    if (n->started)
        pthread_join(n->thread, NULL);
    curl_easy_cleanup(n->curl);
    pthread_cond_destroy(&n->cond);
    pthread_mutex_destroy(&n->lock);
    curl_global_cleanup();
    free(n);
}
