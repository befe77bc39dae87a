#include "strutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "error.h"

static inline unsigned char lower(unsigned char c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

int wx_strcasecmp_ascii(const char *a, const char *b)
{
    for (;; a++, b++) {
        int d = lower((unsigned char)*a) - lower((unsigned char)*b);
        if (d || !*a)
            return d;
    }
}

int wx_strncasecmp_ascii(const char *a, const char *b, size_t n)
{
    for (; n; n--, a++, b++) {
        int d = lower((unsigned char)*a) - lower((unsigned char)*b);
        if (d || !*a)
            return d;
    }
    return 0;
}

const char *wx_kv_find_ci(const wx_kv_t *kv, const char *name)
{
    for (size_t i = 0; kv && kv[i].key; i++)
        if (wx_strcasecmp_ascii(kv[i].key, name) == 0)
            return kv[i].value;
    return NULL;
}

int wx_has_crlf_nul(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] == '\r' || s[i] == '\n' || s[i] == 0)
            return 1;
    return 0;
}

int wx_has_control(const char *s, int tab_ok)
{
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c < 0x20 && !(tab_ok && c == '\t')) || c == 0x7f)
            return 1;
    }
    return 0;
}

int wx_hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

size_t wx_pct_decode(const char *s, size_t n, char *out)
{
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        int hi, lo;
        if (s[i] == '%' && i + 2 < n && (hi = wx_hex_digit(s[i + 1])) >= 0 &&
            (lo = wx_hex_digit(s[i + 2])) >= 0) {
            out[w++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            out[w++] = s[i];
        }
    }
    return w;
}

static int unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == '~';
}

void wx_pct_encode(wx_buf *out, const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    if (!wx_buf_reserve(out, len * 3))
        return;
    char *p = out->data + out->len;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (unreserved(c)) {
            *p++ = (char)c;
        } else {
            *p++ = '%';
            *p++ = hex[c >> 4];
            *p++ = hex[c & 15];
        }
    }
    out->len = (size_t)(p - out->data);
    out->data[out->len] = 0;
}

void wx_query_encode(wx_buf *out, const wx_kv_t *query)
{
    for (size_t i = 0; query && query[i].key; i++) {
        if (i)
            wx_buf_putc(out, '&');
        wx_pct_encode(out, query[i].key, strlen(query[i].key));
        wx_buf_putc(out, '=');
        if (query[i].value)
            wx_pct_encode(out, query[i].value, strlen(query[i].value));
    }
}

static const char *file_kind(mode_t m)
{
    return S_ISDIR(m)    ? "a directory"
           : S_ISFIFO(m) ? "a FIFO"
           : S_ISCHR(m)  ? "a character device"
           : S_ISBLK(m)  ? "a block device"
           : S_ISSOCK(m) ? "a socket"
                         : "not a regular file";
}

/* Open for reading. With a limit, only a regular file of at most max bytes: opened
 * without blocking (a FIFO would wait for a writer) and checked on the descriptor. */
static FILE *open_limited(const char *path, size_t max, struct stat *st, wx_error_t *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | (max ? O_NONBLOCK : 0));
    if (fd < 0) {
        wx_error_set(err, WX_E_IO, path, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    if (fstat(fd, st) != 0) {
        wx_error_set(err, WX_E_IO, path, "cannot read %s: %s", path, strerror(errno));
    } else if (S_ISDIR(st->st_mode) || (max && !S_ISREG(st->st_mode))) {
        wx_error_set(err, WX_E_IO, path, "cannot read %s: %s", path, file_kind(st->st_mode));
    } else if (max && (uintmax_t)st->st_size > max) {
        wx_error_set(err, WX_E_IO, path, "cannot read %s: %jd bytes, over the limit of %zu",
                     path, (intmax_t)st->st_size, max);
    } else {
        FILE *f = fdopen(fd, "rb");
        if (f) /* no stdio buffer: it would keep a copy of a key file in freed memory */
            setvbuf(f, NULL, _IONBF, 0);
        else
            wx_error_set(err, WX_E_NOMEM, path, "out of memory reading %s", path);
        if (f)
            return f;
    }
    close(fd);
    return NULL;
}

wx_err wx_read_file_max(const char *path, size_t max, char **data, size_t *len, wx_error_t *err)
{
    *data = NULL;
    if (len)
        *len = 0;
    struct stat st;
    FILE *f = open_limited(path, max, &st, err);
    if (!f)
        return err ? err->code : WX_E_IO;
    /* Read straight into one buffer of the file's size, plus the byte of the read that
       sees the end: key files leave no stray copies in freed memory. Pipes and growing
       files fall back to growing it, by copying and clearing rather than realloc, which
       would leave the old copy behind. */
    wx_buf b = WX_BUF_INIT;
    size_t hint = S_ISREG(st.st_mode) && st.st_size > 0 ? (size_t)st.st_size + 1 : 16384;
    int too_big = 0;
    if (wx_buf_reserve(&b, hint)) {
        for (;;) {
            size_t room = b.cap - b.len - 1;
            if (room == 0) {
                wx_buf bigger = WX_BUF_INIT;
                if (!wx_buf_reserve(&bigger, b.len + hint)) {
                    b.failed = bigger.failed;
                    break;
                }
                wx_buf_append(&bigger, b.data, b.len);
                wx_buf_free_secret(&b);
                b = bigger;
                room = b.cap - b.len - 1;
            }
            size_t n = fread(b.data + b.len, 1, room, f);
            if (n == 0)
                break;
            b.len += n;
            b.data[b.len] = 0;
            if (max && b.len > max) { /* it grew while being read */
                too_big = 1;
                break;
            }
        }
    }
    int failed = ferror(f);
    int saved = errno;
    fclose(f);
    if (failed || too_big || !wx_buf_ok(&b)) {
        wx_buf_free_secret(&b);
        return failed    ? wx_error_set(err, WX_E_IO, path, "cannot read %s: %s", path, strerror(saved))
               : too_big ? wx_error_set(err, WX_E_IO, path, "cannot read %s: over the limit of %zu "
                                        "bytes", path, max)
                         : wx_error_set(err, WX_E_NOMEM, path, "out of memory reading %s", path);
    }
    size_t l;
    char *p = wx_buf_steal(&b, &l);
    if (!p)
        return wx_error_set(err, WX_E_NOMEM, path, "out of memory reading %s", path);
    *data = p;
    if (len)
        *len = l;
    return WX_OK;
}

wx_err wx_read_file(const char *path, char **data, size_t *len, wx_error_t *err)
{
    return wx_read_file_max(path, 0, data, len, err);
}

void wx_hex_encode(const unsigned char *in, size_t len, char *out)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = hex[in[i] >> 4];
        out[2 * i + 1] = hex[in[i] & 15];
    }
    out[2 * len] = 0;
}

uint64_t wx_hash_bytes(const void *p, size_t len)
{
    const unsigned char *s = p;
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

uint64_t wx_monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}
