/* Bill downloads: the body streams through a digest and, for gzip bills, an inflater,
 * into a file (via PATH.part, renamed when the digest matches) or the caller's sink. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include <wechatpay/download.h>
#include <wechatpay/wechatpay.h>

#include "client/send.h"
#include "crypto/backend.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/struct_version.h"
#include "util/strutil.h"

typedef struct stream {
    const wx_download_options_t *o;
    FILE *file;
    wxc_hash *hash;
    int sniffed;          /* the first bytes were looked at */
    int gzip;             /* the body is gzip: inflate it */
    z_stream z;
    int z_ready;
    int z_end;            /* inflate saw the end of the gzip stream */
    unsigned char magic[2];
    size_t magic_len;
    size_t written;
    wx_err failed;        /* why the stream stopped */
    char reason[160];
} stream;

static int emit(stream *s, const void *data, size_t len)
{
    if (!len)
        return 0;
    s->written += len;
    if (s->file) {
        if (fwrite(data, 1, len, s->file) != len) {
            s->failed = WX_E_IO;
            snprintf(s->reason, sizeof s->reason, "cannot write: %s", strerror(errno));
            return -1;
        }
        return 0;
    }
    if (s->o->sink(s->o->sink_ud, data, len) != 0) {
        s->failed = WX_E_IO;
        snprintf(s->reason, sizeof s->reason, "the sink refused the data");
        return -1;
    }
    return 0;
}

/* Inflate gzip bytes; the digest covers the inflated bill. */
static int inflate_chunk(stream *s, const unsigned char *in, size_t len, int keep)
{
    unsigned char out[16384];
    s->z.next_in = (unsigned char *)in;
    s->z.avail_in = (uInt)len;
    while (s->z.avail_in) {
        s->z.next_out = out;
        s->z.avail_out = sizeof out;
        int zr = inflate(&s->z, Z_NO_FLUSH);
        if (zr != Z_OK && zr != Z_STREAM_END) {
            s->failed = WX_E_DIGEST;
            snprintf(s->reason, sizeof s->reason, "gzip data is corrupt: %s",
                     s->z.msg ? s->z.msg : "inflate failed");
            return -1;
        }
        s->z_end = zr == Z_STREAM_END;
        size_t n = sizeof out - s->z.avail_out;
        wxc_hash_update(s->hash, out, n);
        if (!keep && emit(s, out, n) != 0)
            return -1;
        if (zr == Z_STREAM_END) {
            if (s->z.avail_in) { /* concatenated members, as gzip allows */
                inflateReset(&s->z);
                continue;
            }
            break;
        }
    }
    return 0;
}

static int feed(stream *s, const unsigned char *data, size_t len)
{
    if (s->gzip) {
        if (s->o->keep_gzip && emit(s, data, len) != 0)
            return -1;
        return inflate_chunk(s, data, len, s->o->keep_gzip);
    }
    wxc_hash_update(s->hash, data, len);
    return emit(s, data, len);
}

/* Decide on gzip from the first two bytes, which may arrive in separate pieces. */
static int on_data(void *ud, const void *data, size_t len)
{
    stream *s = ud;
    const unsigned char *p = data;
    if (!s->sniffed) {
        while (s->magic_len < 2 && len) {
            s->magic[s->magic_len++] = *p++;
            len--;
        }
        if (s->magic_len < 2)
            return 0;
        s->sniffed = 1;
        s->gzip = s->magic[0] == 0x1f && s->magic[1] == 0x8b;
        if (s->gzip) {
            if (inflateInit2(&s->z, 16 + MAX_WBITS) != Z_OK) {
                s->failed = WX_E_NOMEM;
                snprintf(s->reason, sizeof s->reason, "out of memory");
                return -1;
            }
            s->z_ready = 1;
        }
        if (feed(s, s->magic, 2) != 0)
            return -1;
    }
    return feed(s, p, len);
}

static int parse_hash(const char *type, const char *hex, int *alg, unsigned char want[32],
                      size_t *want_len)
{
    if (!type)
        return 1;
    if (wx_strcasecmp_ascii(type, "SHA1") == 0)
        *alg = WXC_HASH_SHA1, *want_len = 20;
    else if (wx_strcasecmp_ascii(type, "SHA256") == 0)
        *alg = WXC_HASH_SHA256, *want_len = 32;
    else
        return 0;
    if (!hex || strlen(hex) != 2 * *want_len)
        return 0;
    for (size_t i = 0; i < *want_len; i++) {
        unsigned v = 0;
        for (int k = 0; k < 2; k++) {
            int d = wx_hex_digit(hex[2 * i + (size_t)k]);
            if (d < 0)
                return 0;
            v = v * 16 + (unsigned)d;
        }
        want[i] = (unsigned char)v;
    }
    return 1;
}

/* "https://host/v3/billdownload/file?token=a&tar_type=GZIP" -> path and decoded query. */
/* A concrete URL path: RFC 3986 path characters and %XX escapes only, so that used as a
 * route's template text it expands to itself (no '{', no space, nothing to escape). */
static int concrete_path(const char *p)
{
    for (; *p; p++) {
        unsigned char c = (unsigned char)*p;
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 (c && strchr("/-._~!$&'()*+,;=:@", c));
        if (c == '%') {
            ok = wx_hex_digit(p[1]) >= 0 && wx_hex_digit(p[2]) >= 0;
            p += ok ? 2 : 0;
        }
        if (!ok)
            return 0;
    }
    return 1;
}

/* Finish @p hash (freed) and compare it with what the bill request announced. */
static wx_err check_digest(wxc_hash *hash, const unsigned char *want, size_t want_len,
                           const wx_download_options_t *o, wx_error_t *err)
{
    unsigned char got[32];
    size_t n = wxc_hash_final(hash, got);
    if (n == want_len && memcmp(got, want, want_len) == 0)
        return WX_OK;
    char hex[65];
    wx_hex_encode(got, n, hex);
    return wx_error_set(err, WX_E_DIGEST, "hash_value",
                        "the bill's %s is %s, the bill request announced %.64s", o->hash_type,
                        hex, o->hash_value);
}

static int split_url(const char *url, wx_buf *path, wx_buf *query_store, wx_kv_t *query,
                     size_t max_query)
{
    const char *p = strstr(url, "://");
    p = p ? strchr(p + 3, '/') : (url[0] == '/' ? url : NULL);
    if (!p)
        return 0;
    const char *q = strchr(p, '?');
    wx_buf_append(path, p, q ? (size_t)(q - p) : strlen(p));
    size_t n = 0, offsets[64][2];
    for (const char *a = q ? q + 1 : NULL; a && *a && n < max_query;) {
        const char *amp = strchr(a, '&');
        size_t len = amp ? (size_t)(amp - a) : strlen(a);
        const char *eq = memchr(a, '=', len);
        for (int part = 0; part < 2; part++) {
            const char *from = part ? (eq ? eq + 1 : a + len) : a;
            const char *to = part ? a + len : (eq ? eq : a + len);
            offsets[n][part] = query_store->len;
            if (wx_buf_reserve(query_store, (size_t)(to - from) + 1))
                query_store->len += wx_pct_decode(from, (size_t)(to - from),
                                                  query_store->data + query_store->len);
            wx_buf_putc(query_store, 0);
        }
        n++;
        a = amp ? amp + 1 : NULL;
    }
    if (!wx_buf_ok(path) || !wx_buf_ok(query_store))
        return 0;
    for (size_t i = 0; i < n; i++)
        query[i] = (wx_kv_t){query_store->data + offsets[i][0], query_store->data + offsets[i][1]};
    query[n] = (wx_kv_t){NULL, NULL};
    return 1;
}

/* Where the bill goes: PATH.part (renamed when complete) or the caller's sink. */
static wx_err stream_open(stream *s, wx_buf *part, wx_error_t *err)
{
    const wx_download_options_t *o = s->o;
    if (!o->path)
        return WX_OK;
    wx_buf_printf(part, "%s.part", o->path);
    if (!wx_buf_ok(part) || !(s->file = fopen(part->data, "wb")))
        return wx_error_set(err, WX_E_IO, o->path, "cannot write %s: %s",
                            part->data ? part->data : o->path, strerror(errno));
    return WX_OK;
}

/* After the transfer: the last byte of a one-byte bill, a truncated gzip, the digest,
 * then the file closed and renamed (or removed on failure). */
static wx_err stream_finish(stream *s, wx_err rc, const unsigned char *want, size_t want_len,
                            const wx_buf *part, wx_error_t *err)
{
    const wx_download_options_t *o = s->o;
    if (rc == WX_OK && !s->sniffed && s->magic_len) { /* a one-byte bill */
        s->sniffed = 1;
        if (feed(s, s->magic, s->magic_len) != 0)
            rc = wx_error_set(err, s->failed, "", "%s", s->reason);
    }
    if (rc == WX_OK && s->gzip && !s->z_end)
        rc = wx_error_set(err, WX_E_DIGEST, "", "the gzip bill is truncated");
    if (rc == WX_OK && s->hash) {
        rc = check_digest(s->hash, want, want_len, o, err);
        s->hash = NULL;
    }
    if (s->file) {
        if (fclose(s->file) != 0 && rc == WX_OK)
            rc = wx_error_set(err, WX_E_IO, o->path, "cannot write %s: %s", part->data, strerror(errno));
        s->file = NULL;
        if (rc == WX_OK && rename(part->data, o->path) != 0)
            rc = wx_error_set(err, WX_E_IO, o->path, "cannot rename %s: %s", part->data, strerror(errno));
        if (rc != WX_OK)
            unlink(part->data);
    }
    return rc;
}

/* Send @p method @p route with @p ro (whose sink is the stream's) and collect the
 * outcome: the response's error, or why our sink stopped the transfer. */
static wx_err stream_send(wx_client_t *c, stream *s, const char *route, wx_method method,
                          wx_request_options_t *ro, wx_error_t *err)
{
    wx_error_t e;
    wx_error_clear(&e);
    wx_route *node = wx_route_at(wx_client_routes(c), route, &e);
    if (!node) {
        wx_error_copy(err, &e);
        return e.code;
    }
    ro->sink = on_data;
    ro->sink_ud = s;
    wx_response_t *r = wx_future_wait(wx_client_send(&(wx_send){c, node, method, ro, 0, NULL}));
    wx_err rc = wx_response_err(r);
    if (rc != WX_OK) {
        if (s->failed) /* our sink stopped the transfer: say why */
            wx_error_set(err, s->failed, s->o->path ? s->o->path : "sink", "%s", s->reason);
        else
            wx_error_copy(err, wx_response_error_detail(r));
        rc = s->failed ? s->failed : rc;
    }
    wx_response_free(r);
    return rc;
}

static void stream_free(stream *s, const wx_buf *part)
{
    if (s->file) {
        fclose(s->file);
        unlink(part->data);
    }
    if (s->z_ready)
        inflateEnd(&s->z);
    wxc_hash_free(s->hash);
}

/* The checks every download makes of its options. */
static wx_err check_options(const wx_download_options_t *o, wx_error_t *err)
{
    if (o->version > WX_DOWNLOAD_OPTIONS_VERSION)
        return wx_struct_version_check(o->version, WX_DOWNLOAD_OPTIONS_VERSION,
                                       "wx_download_options_t", err);
    if (!o->path == !o->sink)
        return wx_error_set(err, WX_E_INVALID_ARG, "path", "give exactly one of path and sink");
    return WX_OK;
}

wx_err wx_download(wx_client_t *c, const wx_download_options_t *o, size_t *bytes, wx_error_t *err)
{
    if (bytes)
        *bytes = 0;
    if (!c || !o || !o->download_url)
        return wx_error_set(err, WX_E_INVALID_ARG, "download_url", "a download_url is required");
    wx_err rc = check_options(o, err);
    if (rc != WX_OK)
        return rc;
    int alg = 0;
    unsigned char want[32];
    size_t want_len = 0;
    if (!parse_hash(o->hash_type, o->hash_value, &alg, want, &want_len))
        return wx_error_set(err, WX_E_INVALID_ARG, "hash_value",
                            "hash_type must be SHA1 or SHA256 with a hex hash_value of its length");
    stream s = {.o = o};
    if (alg && !(s.hash = wxc_hash_new(alg)))
        return wx_error_set(err, WX_E_NOMEM, "", "out of memory");
    wx_buf path = WX_BUF_INIT, store = WX_BUF_INIT, part = WX_BUF_INIT;
    wx_kv_t query[65];
    if (!split_url(o->download_url, &path, &store, query, 64))
        rc = wx_error_set(err, WX_E_INVALID_ARG, "download_url",
                          "download_url has no path: \"%.200s\"", o->download_url);
    else if (!concrete_path(path.data))
        rc = wx_error_set(err, WX_E_INVALID_ARG, "download_url",
                          "download_url's path may hold only URL path characters: \"%.200s\"",
                          path.data);
    else if ((rc = stream_open(&s, &part, err)) == WX_OK) {
        wx_request_options_t ro = {.query = query};
        rc = stream_send(c, &s, path.data, WX_GET, &ro, err);
        rc = stream_finish(&s, rc, want, want_len, &part, err);
    }
    if (rc == WX_OK && bytes)
        *bytes = s.written;
    stream_free(&s, &part);
    wx_buf_free(&path);
    wx_buf_free(&store);
    wx_buf_free(&part);
    return rc;
}

wx_err wx_v2_download(wx_client_t *c, const char *path, const struct json_object *fields,
                      const wx_download_options_t *o, size_t *bytes, wx_error_t *err)
{
    if (bytes)
        *bytes = 0;
    if (!c || !o || !path || !fields)
        return wx_error_set(err, WX_E_INVALID_ARG, !path ? "path" : "fields",
                            "a client, an APIv2 path, its fields and options are required");
    wx_err rc = check_options(o, err);
    if (rc != WX_OK)
        return rc;
    if (o->download_url || o->hash_type || o->hash_value)
        return wx_error_set(err, WX_E_INVALID_ARG, "download_url",
                            "an APIv2 bill is asked for by its fields: leave download_url, "
                            "hash_type and hash_value empty");
    while (*path == '/')
        path++;
    wx_buf route = WX_BUF_INIT, part = WX_BUF_INIT;
    wx_buf_printf(&route, "%s%s", strncmp(path, "v2/", 3) ? "v2/" : "", path);
    stream s = {.o = o};
    if (!wx_buf_ok(&route))
        rc = wx_error_set(err, WX_E_NOMEM, "", "out of memory");
    else if ((rc = stream_open(&s, &part, err)) == WX_OK) {
        /* The pipeline sends the fields as an APIv2 call; an XML answer (an error) never
           reaches the stream (apiv2_answer.c, wx_v2_stream). */
        wx_request_options_t ro = {.json = (struct json_object *)fields};
        rc = stream_send(c, &s, route.data, WX_POST, &ro, err);
        rc = stream_finish(&s, rc, NULL, 0, &part, err);
    }
    if (rc == WX_OK && bytes)
        *bytes = s.written;
    stream_free(&s, &part);
    wx_buf_free(&route);
    wx_buf_free(&part);
    return rc;
}
