#include "auth_header.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int fail(char *why, size_t why_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *why, size_t why_len, const char *fmt, ...)
{
    if (why && why_len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, why_len, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static int is_blank(char c) { return c == ' ' || c == '\t'; }

static int is_token_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-' || c == '.';
}

static char lower_ascii(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c; }

/* Case-insensitive comparison of s[0..n) with the NUL-terminated word. */
static int equals_word_nocase(const char *s, size_t n, const char *word)
{
    size_t wl = strlen(word);
    if (n != wl)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (lower_ascii(s[i]) != lower_ascii(word[i]))
            return 0;
    return 1;
}

typedef struct field {
    const char *name;
    size_t offset; /* of the char array inside wx_mock_auth */
    size_t size;
} field;

static const field k_fields[] = {
    {"mchid", offsetof(wx_mock_auth, mchid), sizeof(((wx_mock_auth *)0)->mchid)},
    {"nonce_str", offsetof(wx_mock_auth, nonce_str), sizeof(((wx_mock_auth *)0)->nonce_str)},
    {"signature", offsetof(wx_mock_auth, signature), sizeof(((wx_mock_auth *)0)->signature)},
    {"timestamp", offsetof(wx_mock_auth, timestamp), sizeof(((wx_mock_auth *)0)->timestamp)},
    {"serial_no", offsetof(wx_mock_auth, serial_no), sizeof(((wx_mock_auth *)0)->serial_no)},
};
#define FIELD_COUNT (sizeof k_fields / sizeof k_fields[0])

static int parse_timestamp(const char *s, int64_t *out)
{
    int64_t v = 0;
    if (!*s)
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        if (v > (INT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (*s - '0');
    }
    *out = v;
    return 0;
}

int wx_mock_auth_parse(const char *value, size_t len, wx_mock_auth *out, char *why,
                       size_t why_len)
{
    if (!value || !out)
        return fail(why, why_len, "no Authorization header");
    memset(out, 0, sizeof *out);
    const char *p = value, *end = value + len;

    while (p < end && is_blank(*p))
        p++;
    const char *scheme = p;
    while (p < end && !is_blank(*p))
        p++;
    if (p == scheme)
        return fail(why, why_len, "empty Authorization header");
    if (!equals_word_nocase(scheme, (size_t)(p - scheme), WX_MOCK_AUTH_SCHEME))
        return fail(why, why_len, "Authorization scheme is not " WX_MOCK_AUTH_SCHEME);
    if (p == end)
        return fail(why, why_len, "Authorization has no fields after the scheme");

    int seen[FIELD_COUNT] = {0};
    for (;;) {
        while (p < end && is_blank(*p))
            p++;
        const char *name = p;
        while (p < end && is_token_char(*p))
            p++;
        size_t name_len = (size_t)(p - name);
        if (name_len == 0)
            return fail(why, why_len, "Authorization: expected a field name at offset %zu",
                        (size_t)(name - value));
        size_t idx = FIELD_COUNT;
        for (size_t i = 0; i < FIELD_COUNT; i++)
            if (strlen(k_fields[i].name) == name_len && !memcmp(name, k_fields[i].name, name_len))
                idx = i;
        if (idx == FIELD_COUNT)
            return fail(why, why_len, "Authorization: unknown field '%.*s'",
                        (int)(name_len > 32 ? 32 : name_len), name);
        if (seen[idx])
            return fail(why, why_len, "Authorization: field %s given twice", k_fields[idx].name);
        seen[idx] = 1;

        while (p < end && is_blank(*p))
            p++;
        if (p == end || *p != '=')
            return fail(why, why_len, "Authorization: expected '=' after %s", k_fields[idx].name);
        p++;
        while (p < end && is_blank(*p))
            p++;
        if (p == end || *p != '"')
            return fail(why, why_len, "Authorization: the value of %s is not quoted",
                        k_fields[idx].name);
        p++;
        const char *v = p;
        while (p < end && *p != '"') {
            unsigned char c = (unsigned char)*p;
            if (c < 0x20 || c == 0x7f || c == '\\')
                return fail(why, why_len, "Authorization: invalid character in %s",
                            k_fields[idx].name);
            p++;
        }
        if (p == end)
            return fail(why, why_len, "Authorization: unterminated value of %s",
                        k_fields[idx].name);
        size_t vlen = (size_t)(p - v);
        p++; /* closing quote */
        if (vlen == 0)
            return fail(why, why_len, "Authorization: empty %s", k_fields[idx].name);
        if (vlen >= k_fields[idx].size)
            return fail(why, why_len, "Authorization: %s is too long", k_fields[idx].name);
        char *dst = (char *)out + k_fields[idx].offset;
        memcpy(dst, v, vlen);
        dst[vlen] = 0;

        while (p < end && is_blank(*p))
            p++;
        if (p == end)
            break;
        if (*p != ',')
            return fail(why, why_len, "Authorization: expected ',' after %s", k_fields[idx].name);
        p++;
    }

    for (size_t i = 0; i < FIELD_COUNT; i++)
        if (!seen[i])
            return fail(why, why_len, "Authorization: missing %s", k_fields[i].name);
    if (parse_timestamp(out->timestamp, &out->timestamp_value) != 0)
        return fail(why, why_len, "Authorization: timestamp is not a decimal number");
    return 0;
}
