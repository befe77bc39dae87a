/* The default transport on libcurl's multi interface. Each thread that uses the
 * transport gets its own multi handle (libcurl handles are not shared between threads)
 * with its own connection cache and pool of reusable easy handles; DNS answers and
 * TLS sessions are shared by all threads through one share handle. Sync requests are
 * async requests the caller waits for, so both paths run the same code. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include <wechatpay/plugin.h>

#include "transport/curl_transport.h"
#include "transport/http_response.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/strutil.h"
#include "util/thread_map.h"

typedef struct curl_transport {
    wx_transport_t pub;
    CURLSH *share;
    pthread_mutex_t locks[CURL_LOCK_DATA_LAST];
    wx_thread_map *threads;
    char *ca_file, *ca_path, *proxy;
    int insecure;
} curl_transport;

typedef struct xfer xfer;

/* Response headers beyond this are an attack or a broken server, not WeChat Pay. */
#define WX_MAX_HEADER_BYTES (256 * 1024)

typedef struct curl_thread {
    curl_transport *t;
    CURLM *multi;
    wx_event_hooks_t hooks;  /* set when an application event loop drives this thread */
    xfer *active;        /* transfers in the multi handle, for cleanup */
    size_t running;
    CURL **idle;         /* easy handles kept for reuse (they keep DNS/TLS caches) */
    size_t idle_count, idle_cap;
} curl_thread;

struct xfer {
    CURL *easy;
    curl_thread *th;
    xfer *prev, *next;
    struct curl_slist *headers;
    curl_mime *mime;
    wx_http_response_t *resp;
    wx_http_done_fn done;
    void *done_ud;
    wx_err write_error;
    size_t header_bytes;
    int retry_safe;       /* the request may be resent after a failure */
    int sends;            /* times libcurl was about to send it (see on_prereq) */
    int resend_refused;   /* on_prereq stopped a resend */
    char errbuf[CURL_ERROR_SIZE];
};

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static char g_version[64];

static void global_init(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
    snprintf(g_version, sizeof g_version, "libcurl/%s", v && v->version ? v->version : "?");
}

const char *wx_transport_curl_version(void)
{
    pthread_once(&g_once, global_init);
    return g_version;
}

static void share_lock(CURL *h, curl_lock_data d, curl_lock_access a, void *ud)
{
    pthread_mutex_lock(&((curl_transport *)ud)->locks[d]);
}

static void share_unlock(CURL *h, curl_lock_data d, void *ud)
{
    pthread_mutex_unlock(&((curl_transport *)ud)->locks[d]);
}

/* ------------------------------------------------------------ per thread */

static void *thread_create(void *owner)
{
    curl_thread *th = wx_calloc(1, sizeof *th);
    if (!th)
        return NULL;
    th->t = owner;
    th->multi = curl_multi_init();
    if (!th->multi) {
        wx_free(th);
        return NULL;
    }
    curl_multi_setopt(th->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
    return th;
}

static void xfer_free(xfer *x)
{
    curl_slist_free_all(x->headers);
    curl_mime_free(x->mime);
    wx_free(x);
}

static void unlink_xfer(xfer *x)
{
    if (x->prev)
        x->prev->next = x->next;
    else
        x->th->active = x->next;
    if (x->next)
        x->next->prev = x->prev;
}

static void thread_destroy(void *state)
{
    curl_thread *th = state;
    /* Transfers still running belong to a client being freed; the client cancels its
       own requests, so they are dropped here without calling back. */
    while (th->active) {
        xfer *x = th->active;
        unlink_xfer(x);
        curl_multi_remove_handle(th->multi, x->easy);
        curl_easy_cleanup(x->easy);
        xfer_free(x);
    }
    for (size_t i = 0; i < th->idle_count; i++)
        curl_easy_cleanup(th->idle[i]);
    wx_free(th->idle);
    curl_multi_cleanup(th->multi);
    wx_free(th);
}

/* ------------------------------------------------------------ callbacks */

static size_t on_header(char *data, size_t size, size_t n, void *ud)
{
    xfer *x = ud;
    size_t len = size * n;
    x->header_bytes += len;
    if (x->header_bytes > WX_MAX_HEADER_BYTES) {
        x->write_error = WX_E_TOO_LARGE;
        x->header_bytes = (size_t)-1 / 2; /* remembered for the message */
        return 0;
    }
    const char *line = data;
    size_t l = len;
    while (l && (line[l - 1] == '\n' || line[l - 1] == '\r'))
        l--;
    if (l >= 5 && memcmp(line, "HTTP/", 5) == 0) {
        /* A new response (after 100-continue or a redirect) replaces the old one. */
        wx_http_response_restart(x->resp);
        const char *sp = memchr(line, ' ', l);
        if (sp && (size_t)(sp - line) + 4 <= l)
            x->resp->status = (sp[1] - '0') * 100 + (sp[2] - '0') * 10 + (sp[3] - '0');
        return len;
    }
    const char *colon = memchr(line, ':', l);
    if (!colon || l == 0)
        return len;
    size_t nlen = (size_t)(colon - line);
    const char *v = colon + 1;
    size_t vlen = l - nlen - 1;
    while (vlen && (*v == ' ' || *v == '\t'))
        v++, vlen--;
    while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
        vlen--;
    if (wx_http_response_add_header(x->resp, line, nlen, v, vlen) != WX_OK) {
        x->write_error = WX_E_NOMEM;
        return 0;
    }
    return len;
}

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
    xfer *x = ud;
    wx_err rc = wx_http_response_append(x->resp, data, size * n);
    if (rc != WX_OK) {
        x->write_error = rc;
        return 0;
    }
    return size * n;
}

/* libcurl resends a request by itself when a reused connection closes before any byte
 * of the answer came, even though the server may have read it and acted (a second
 * payment). It calls this before each send: the second call for one request is such a
 * resend, refused unless the request is retry_safe. The caller then learns that the
 * outcome is unknown (WX_E_OUTCOME_UNKNOWN). Keep-alive reuse stays, at no cost. */
static int on_prereq(void *ud, char *remote_ip, char *local_ip, int remote_port, int local_port)
{
    xfer *x = ud;
    (void)remote_ip, (void)local_ip, (void)remote_port, (void)local_port;
    if (x->sends++ && !x->retry_safe) {
        x->resend_refused = 1;
        return CURL_PREREQFUNC_ABORT;
    }
    return CURL_PREREQFUNC_OK;
}

/* ------------------------------------------------------------ submit */

static CURL *take_easy(curl_thread *th)
{
    if (th->idle_count) {
        CURL *e = th->idle[--th->idle_count];
        curl_easy_reset(e);
        return e;
    }
    return curl_easy_init();
}

static void give_back_easy(curl_thread *th, CURL *e)
{
    if (th->idle_count == th->idle_cap) {
        size_t cap = th->idle_cap ? th->idle_cap * 2 : 8;
        if (cap > 256) {
            curl_easy_cleanup(e);
            return;
        }
        CURL **idle = wx_realloc(th->idle, cap * sizeof *idle);
        if (!idle) {
            curl_easy_cleanup(e);
            return;
        }
        th->idle = idle;
        th->idle_cap = cap;
    }
    th->idle[th->idle_count++] = e;
}

/* The first libcurl call that failed while setting up a transfer, for the message. */
typedef struct setup_status {
    CURLcode code;
    const char *what;
} setup_status;

static void note(setup_status *st, const char *what, CURLcode rc)
{
    if (rc != CURLE_OK && st->code == CURLE_OK) {
        st->code = rc;
        st->what = what;
    }
}

#define SETOPT(st, e, opt, val) note((st), #opt, curl_easy_setopt((e), (opt), (val)))

/* Header lines longer than this are refused before sending (no server takes them). */
#define WX_MAX_REQUEST_HEADER_LINE 8192

static wx_err build_headers(xfer *x, const wx_http_request_t *req, wx_error_t *err)
{
    char line[WX_MAX_REQUEST_HEADER_LINE];
    for (size_t i = 0; req->headers && req->headers[i].key; i++) {
        const char *k = req->headers[i].key, *v = req->headers[i].value ? req->headers[i].value : "";
        int n = snprintf(line, sizeof line, "%s: %s", k, v);
        if (n < 0 || (size_t)n >= sizeof line)
            return wx_error_set(err, WX_E_INVALID_ARG, k,
                                "header %.64s is too long: %zu bytes, over the %d KiB limit", k,
                                strlen(k) + 2 + strlen(v), WX_MAX_REQUEST_HEADER_LINE / 1024);
        struct curl_slist *h = curl_slist_append(x->headers, line);
        if (!h)
            return wx_error_set(err, WX_E_NOMEM, "", "out of memory");
        x->headers = h;
    }
    /* No "Expect: 100-continue" round trip for bodies over 1 KiB. */
    struct curl_slist *h = curl_slist_append(x->headers, "Expect:");
    if (!h)
        return wx_error_set(err, WX_E_NOMEM, "", "out of memory");
    x->headers = h;
    return WX_OK;
}

static void build_multipart(xfer *x, const wx_http_request_t *req, setup_status *st)
{
    x->mime = curl_mime_init(x->easy);
    curl_mimepart *meta = x->mime ? curl_mime_addpart(x->mime) : NULL;
    curl_mimepart *file = x->mime ? curl_mime_addpart(x->mime) : NULL;
    if (!meta || !file) {
        note(st, "curl_mime_addpart", CURLE_OUT_OF_MEMORY);
        return;
    }
    note(st, "curl_mime_name", curl_mime_name(meta, "meta"));
    note(st, "curl_mime_type", curl_mime_type(meta, "application/json"));
    note(st, "curl_mime_data", curl_mime_data(meta, req->upload_meta, CURL_ZERO_TERMINATED));
    note(st, "curl_mime_name", curl_mime_name(file, "file"));
    if (req->upload_content_type)
        note(st, "curl_mime_type", curl_mime_type(file, req->upload_content_type));
    if (req->upload_path)
        note(st, "curl_mime_filedata", curl_mime_filedata(file, req->upload_path));
    else
        note(st, "curl_mime_data", curl_mime_data(file, req->upload_data, req->upload_data_len));
    /* after filedata, which sets the file's own name */
    note(st, "curl_mime_filename", curl_mime_filename(file, req->upload_filename));
    SETOPT(st, x->easy, CURLOPT_MIMEPOST, x->mime);
}

static void set_method(CURL *e, const wx_http_request_t *req, setup_status *st)
{
    const char *m = req->method;
    if (req->upload_meta)
        return; /* CURLOPT_MIMEPOST made it a POST */
    if (strcmp(m, "GET") == 0 && !req->body) {
        SETOPT(st, e, CURLOPT_HTTPGET, 1L);
        return;
    }
    if (strcmp(m, "POST") != 0)
        SETOPT(st, e, CURLOPT_CUSTOMREQUEST, m);
    if (req->body || strcmp(m, "POST") == 0) {
        SETOPT(st, e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
        SETOPT(st, e, CURLOPT_POSTFIELDS, req->body ? req->body : "");
    }
}

static void set_limits(CURL *e, const wx_http_request_t *req, setup_status *st)
{
    if (req->connect_timeout_ms > 0)
        SETOPT(st, e, CURLOPT_CONNECTTIMEOUT_MS, (long)req->connect_timeout_ms);
    if (req->timeout_ms > 0)
        SETOPT(st, e, CURLOPT_TIMEOUT_MS, (long)req->timeout_ms);
    if (req->low_speed_limit > 0 && req->low_speed_time_s > 0) {
        SETOPT(st, e, CURLOPT_LOW_SPEED_LIMIT, req->low_speed_limit);
        SETOPT(st, e, CURLOPT_LOW_SPEED_TIME, (long)req->low_speed_time_s);
    }
    if (req->max_response_bytes)
        SETOPT(st, e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)req->max_response_bytes);
}

/* APIv2's merchant certificate as the TLS client certificate, from memory (curl copies
 * the blobs). Connections made with it are not reused for requests without it: curl
 * compares client certificates when it looks for a connection to reuse. */
static void set_client_cert(CURL *e, const wx_http_request_t *req, setup_status *st)
{
    struct curl_blob cert = {(void *)req->client_cert, req->client_cert_len, CURL_BLOB_COPY};
    SETOPT(st, e, CURLOPT_SSLCERT_BLOB, &cert);
    SETOPT(st, e, CURLOPT_SSLCERTTYPE, req->client_cert_p12 ? "P12" : "PEM");
    if (req->client_key) {
        struct curl_blob key = {(void *)req->client_key, req->client_key_len, CURL_BLOB_COPY};
        SETOPT(st, e, CURLOPT_SSLKEY_BLOB, &key);
        SETOPT(st, e, CURLOPT_SSLKEYTYPE, "PEM");
    }
    if (req->client_key_password)
        SETOPT(st, e, CURLOPT_KEYPASSWD, req->client_key_password);
}

static void set_options(xfer *x, const wx_http_request_t *req, setup_status *st)
{
    curl_transport *t = x->th->t;
    CURL *e = x->easy;
    SETOPT(st, e, CURLOPT_URL, req->url);
    SETOPT(st, e, CURLOPT_PRIVATE, x);
    SETOPT(st, e, CURLOPT_ERRORBUFFER, x->errbuf);
    SETOPT(st, e, CURLOPT_HTTPHEADER, x->headers);
    SETOPT(st, e, CURLOPT_HEADERFUNCTION, on_header);
    SETOPT(st, e, CURLOPT_HEADERDATA, x);
    SETOPT(st, e, CURLOPT_WRITEFUNCTION, on_body);
    SETOPT(st, e, CURLOPT_WRITEDATA, x);
    SETOPT(st, e, CURLOPT_PREREQFUNCTION, on_prereq);
    SETOPT(st, e, CURLOPT_PREREQDATA, x);
    SETOPT(st, e, CURLOPT_NOSIGNAL, 1L);
    SETOPT(st, e, CURLOPT_SHARE, t->share);
    SETOPT(st, e, CURLOPT_TCP_KEEPALIVE, 1L);
    SETOPT(st, e, CURLOPT_TCP_NODELAY, 1L);
    SETOPT(st, e, CURLOPT_ACCEPT_ENCODING, "");
    /* HTTP/2 where the server offers it; a libcurl built without it speaks HTTP/1.1. */
    (void)curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    SETOPT(st, e, CURLOPT_PROTOCOLS_STR, "http,https");
    SETOPT(st, e, CURLOPT_FOLLOWLOCATION, 0L);
    set_limits(e, req, st);
    if (t->ca_file)
        SETOPT(st, e, CURLOPT_CAINFO, t->ca_file);
    if (t->ca_path)
        SETOPT(st, e, CURLOPT_CAPATH, t->ca_path);
    if (t->proxy)
        SETOPT(st, e, CURLOPT_PROXY, t->proxy);
    if (t->insecure) {
        SETOPT(st, e, CURLOPT_SSL_VERIFYPEER, 0L);
        SETOPT(st, e, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (req->client_cert)
        set_client_cert(e, req, st);
    set_method(e, req, st);
}

/* What a failed setup means to the caller. */
static wx_err setup_error(const setup_status *st, const wx_http_request_t *req, wx_error_t *err)
{
    const char *why = curl_easy_strerror(st->code);
    if (st->code == CURLE_OUT_OF_MEMORY)
        return wx_error_set(err, WX_E_NOMEM, "", "out of memory (%s)", st->what);
    if (strcmp(st->what, "CURLOPT_URL") == 0)
        return wx_error_set(err, WX_E_INVALID_ARG, "url",
                            "the URL is too long for libcurl (%zu bytes): %s", strlen(req->url),
                            why);
    if (st->code == CURLE_UNKNOWN_OPTION || st->code == CURLE_NOT_BUILT_IN ||
        st->code == CURLE_UNSUPPORTED_PROTOCOL)
        return wx_error_set(err, WX_E_UNSUPPORTED, "", "libcurl does not support %s: %s",
                            st->what, why);
    if (st->code == CURLE_READ_ERROR)
        return wx_error_set(err, WX_E_IO, "upload", "the upload file cannot be read: %s", why);
    return wx_error_set(err, WX_E_INVALID_ARG, "", "libcurl refused %s: %s", st->what, why);
}

/* A request refused before anything was sent: reported through done, with its reason. */
static wx_err refuse(xfer *x, wx_error_t *err)
{
    give_back_easy(x->th, x->easy);
    wx_http_done_fn done = x->done;
    void *ud = x->done_ud;
    xfer_free(x);
    done(ud, err->code, err);
    return WX_OK;
}

static wx_err curl_submit(void *ctx, const wx_http_request_t *req, wx_http_response_t *resp,
                          wx_http_done_fn done, void *done_ud)
{
    curl_transport *t = ctx;
    curl_thread *th = wx_thread_map_get(t->threads);
    if (!th)
        return WX_E_NOMEM;
    xfer *x = wx_calloc(1, sizeof *x);
    if (!x)
        return WX_E_NOMEM;
    x->th = th;
    x->resp = resp;
    x->done = done;
    x->done_ud = done_ud;
    /* GET and HEAD change nothing on the server: libcurl may resend those. */
    x->retry_safe = req->retry_safe || strcmp(req->method, "GET") == 0 ||
                    strcmp(req->method, "HEAD") == 0;
    x->easy = take_easy(th);
    if (!x->easy) {
        wx_free(x);
        return WX_E_NOMEM;
    }
    wx_error_t err;
    wx_error_clear(&err);
    if (build_headers(x, req, &err) != WX_OK)
        return refuse(x, &err);
    setup_status st = {CURLE_OK, NULL};
    if (req->upload_meta)
        build_multipart(x, req, &st);
    set_options(x, req, &st);
    if (st.code != CURLE_OK) {
        setup_error(&st, req, &err);
        return refuse(x, &err);
    }
    if (curl_multi_add_handle(th->multi, x->easy) != CURLM_OK) {
        give_back_easy(th, x->easy);
        xfer_free(x);
        return WX_E_TRANSPORT;
    }
    x->next = th->active;
    if (th->active)
        th->active->prev = x;
    th->active = x;
    th->running++;
    return WX_OK;
}

/* ------------------------------------------------------------ perform */

static wx_err map_result(xfer *x, CURLcode code, wx_error_t *err)
{
    const char *url = NULL;
    curl_easy_getinfo(x->easy, CURLINFO_EFFECTIVE_URL, &url);
    const char *detail = x->errbuf[0] ? x->errbuf : curl_easy_strerror(code);
    if (code != CURLE_OK && x->resend_refused)
        return wx_error_set(err, WX_E_OUTCOME_UNKNOWN, url ? url : "",
                            "the reused connection closed after the request was sent and before "
                            "an answer: the server may have received it; not resent (the request "
                            "is not retry_safe): query the outcome before trying again");
    switch (code) {
    case CURLE_OK:
        return WX_OK;
    case CURLE_WRITE_ERROR:
        if (x->write_error == WX_E_TOO_LARGE && x->header_bytes > WX_MAX_HEADER_BYTES)
            return wx_error_set(err, WX_E_TOO_LARGE, url ? url : "",
                                "response headers larger than %d KiB", WX_MAX_HEADER_BYTES / 1024);
        if (x->write_error == WX_E_TOO_LARGE)
            return wx_error_set(err, WX_E_TOO_LARGE, url ? url : "",
                                "response body larger than the configured maximum");
        return wx_error_set(err, x->write_error ? x->write_error : WX_E_IO, url ? url : "",
                            "response body could not be stored: %s", detail);
    case CURLE_FILESIZE_EXCEEDED:
        return wx_error_set(err, WX_E_TOO_LARGE, url ? url : "",
                            "response body larger than the configured maximum");
    case CURLE_OUT_OF_MEMORY:
        /* libcurl's answer to a header line it will not hold (over 100 KiB): the status
           line came, the body did not. */
        if (x->resp->status && !x->resp->body.len && !x->resp->sink_bytes)
            return wx_error_set(err, WX_E_TOO_LARGE, url ? url : "",
                                "a response header line is too long (%s)", detail);
        return wx_error_set(err, WX_E_NOMEM, url ? url : "", "%s", detail);
    case CURLE_OPERATION_TIMEDOUT:
        return wx_error_set(err, WX_E_TIMEOUT, url ? url : "", "timed out: %s", detail);
    case CURLE_PARTIAL_FILE:
        return wx_error_set(err, WX_E_TRANSPORT, url ? url : "",
                            "response truncated: connection closed before the whole body "
                            "arrived (%s)", detail);
    case CURLE_GOT_NOTHING:
        return wx_error_set(err, WX_E_TRANSPORT, url ? url : "",
                            "server closed the connection without a response");
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        return wx_error_set(err, WX_E_CONNECT, url ? url : "", "could not connect: %s", detail);
    case CURLE_PEER_FAILED_VERIFICATION:
        return wx_error_set(err, WX_E_TRANSPORT, url ? url : "",
                            "TLS certificate of the server not trusted: %s", detail);
    default:
        return wx_error_set(err, WX_E_TRANSPORT, url ? url : "", "%s", detail);
    }
}

static void finish(curl_thread *th, CURL *e, CURLcode code)
{
    xfer *x = NULL;
    curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&x);
    wx_error_t err;
    wx_error_clear(&err);
    wx_err rc = map_result(x, code, &err);
    if (rc == WX_OK) {
        long status = 0;
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
        x->resp->status = (int)status;
    }
    curl_multi_remove_handle(th->multi, e);
    unlink_xfer(x);
    th->running--;
    give_back_easy(th, e);
    wx_http_done_fn done = x->done;
    void *ud = x->done_ud;
    xfer_free(x);
    done(ud, rc, &err);
}

static void drain(curl_thread *th)
{
    int left;
    CURLMsg *m;
    while ((m = curl_multi_info_read(th->multi, &left)))
        if (m->msg == CURLMSG_DONE)
            finish(th, m->easy_handle, m->data.result);
}

static size_t curl_perform(void *ctx, int64_t timeout_ms)
{
    curl_transport *t = ctx;
    curl_thread *th = wx_thread_map_peek(t->threads);
    if (!th || !th->running)
        return 0;
    int still;
    curl_multi_perform(th->multi, &still);
    drain(th);
    if (th->running && timeout_ms > 0) {
        curl_multi_poll(th->multi, NULL, 0, (int)(timeout_ms > 1000000 ? 1000000 : timeout_ms),
                        NULL);
        curl_multi_perform(th->multi, &still);
        drain(th);
    }
    return th->running;
}

/* ------------------------------------------------------------ event loops */

static int on_socket(CURL *e, curl_socket_t fd, int what, void *ud, void *socketp)
{
    curl_thread *th = ud;
    int ev = what == CURL_POLL_REMOVE ? WX_EV_REMOVE
             : what == CURL_POLL_IN   ? WX_EV_IN
             : what == CURL_POLL_OUT  ? WX_EV_OUT
                                      : WX_EV_IN | WX_EV_OUT;
    th->hooks.watch_fd(th->hooks.ud, (int)fd, ev);
    return 0;
}

static int on_timer(CURLM *m, long timeout_ms, void *ud)
{
    curl_thread *th = ud;
    th->hooks.set_timer(th->hooks.ud, timeout_ms);
    return 0;
}

static wx_err curl_use_event_loop(void *ctx, const wx_event_hooks_t *hooks)
{
    curl_transport *t = ctx;
    if (!hooks || !hooks->watch_fd || !hooks->set_timer)
        return WX_E_INVALID_ARG;
    curl_thread *th = wx_thread_map_get(t->threads);
    if (!th)
        return WX_E_NOMEM;
    th->hooks = *hooks;
    curl_multi_setopt(th->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(th->multi, CURLMOPT_SOCKETDATA, th);
    curl_multi_setopt(th->multi, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(th->multi, CURLMOPT_TIMERDATA, th);
    return WX_OK;
}

static size_t curl_socket_action(void *ctx, int fd, int events)
{
    curl_transport *t = ctx;
    curl_thread *th = wx_thread_map_peek(t->threads);
    if (!th)
        return 0;
    int mask = (events & WX_EV_IN ? CURL_CSELECT_IN : 0) | (events & WX_EV_OUT ? CURL_CSELECT_OUT : 0);
    int still;
    curl_multi_socket_action(th->multi, fd == WX_SOCKET_TIMEOUT ? CURL_SOCKET_TIMEOUT : fd, mask,
                             &still);
    drain(th);
    return th->running;
}

static void curl_cancel(void *ctx, void *done_ud)
{
    curl_transport *t = ctx;
    curl_thread *th = wx_thread_map_peek(t->threads);
    for (xfer *x = th ? th->active : NULL; x; x = x->next) {
        if (x->done_ud != done_ud)
            continue;
        curl_multi_remove_handle(th->multi, x->easy);
        unlink_xfer(x);
        th->running--;
        give_back_easy(th, x->easy);
        xfer_free(x);
        return;
    }
}

/* ------------------------------------------------------------ lifetime */

static void curl_destroy(void *ctx)
{
    curl_transport *t = ctx;
    wx_thread_map_free(t->threads);
    curl_share_cleanup(t->share);
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_destroy(&t->locks[i]);
    wx_free(t->ca_file);
    wx_free(t->ca_path);
    wx_free(t->proxy);
    wx_free(t);
}

wx_transport_t *wx_transport_curl_with(const wx_curl_settings *s)
{
    pthread_once(&g_once, global_init);
    curl_transport *t = wx_calloc(1, sizeof *t);
    if (!t)
        return NULL;
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_init(&t->locks[i], NULL);
    t->share = curl_share_init();
    t->threads = wx_thread_map_new(t, thread_create, thread_destroy);
    if (s) {
        t->ca_file = s->ca_file ? wx_strdup(s->ca_file) : NULL;
        t->ca_path = s->ca_path ? wx_strdup(s->ca_path) : NULL;
        t->proxy = s->proxy ? wx_strdup(s->proxy) : NULL;
        t->insecure = s->insecure_skip_tls_verify;
    }
    if (!t->share || !t->threads || (s && ((s->ca_file && !t->ca_file) ||
                                           (s->ca_path && !t->ca_path) ||
                                           (s->proxy && !t->proxy)))) {
        curl_destroy(t);
        return NULL;
    }
    curl_share_setopt(t->share, CURLSHOPT_LOCKFUNC, share_lock);
    curl_share_setopt(t->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
    curl_share_setopt(t->share, CURLSHOPT_USERDATA, t);
    curl_share_setopt(t->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(t->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    t->pub.ctx = t;
    t->pub.submit = curl_submit;
    t->pub.perform = curl_perform;
    t->pub.destroy = curl_destroy;
    t->pub.cancel = curl_cancel;
    t->pub.use_event_loop = curl_use_event_loop;
    t->pub.socket_action = curl_socket_action;
    return &t->pub;
}

wx_transport_t *wx_transport_curl(void) { return wx_transport_curl_with(NULL); }
