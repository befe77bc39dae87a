/* Small json-c helpers for the validator: equality, type names, text, formats. */
#include "spec/spec_impl.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static int is_number(json_object *v)
{
    enum json_type t = json_object_get_type(v);
    return t == json_type_int || t == json_type_double;
}

/* Equal as JSON values: 1 and 1.0 are the same number; object key order is ignored. */
int wx_json_equal(json_object *a, json_object *b)
{
    if (is_number(a) && is_number(b)) {
        if (json_object_is_type(a, json_type_int) && json_object_is_type(b, json_type_int))
            return json_object_get_int64(a) == json_object_get_int64(b) &&
                   json_object_get_uint64(a) == json_object_get_uint64(b);
        return json_object_get_double(a) == json_object_get_double(b);
    }
    enum json_type t = json_object_get_type(a);
    if (t != json_object_get_type(b))
        return 0;
    switch (t) {
    case json_type_null:
        return 1;
    case json_type_boolean:
        return json_object_get_boolean(a) == json_object_get_boolean(b);
    case json_type_string: {
        int la = json_object_get_string_len(a), lb = json_object_get_string_len(b);
        return la == lb && memcmp(json_object_get_string(a), json_object_get_string(b),
                                  (size_t)la) == 0;
    }
    case json_type_array: {
        size_t n = json_object_array_length(a);
        if (n != json_object_array_length(b))
            return 0;
        for (size_t i = 0; i < n; i++)
            if (!wx_json_equal(json_object_array_get_idx(a, i), json_object_array_get_idx(b, i)))
                return 0;
        return 1;
    }
    case json_type_object: {
        if (json_object_object_length(a) != json_object_object_length(b))
            return 0;
        json_object_object_foreach(a, key, va)
        {
            json_object *vb;
            if (!json_object_object_get_ex(b, key, &vb) || !wx_json_equal(va, vb))
                return 0;
        }
        return 1;
    }
    default:
        return 0;
    }
}

const char *wx_json_type_name(json_object *v)
{
    switch (json_object_get_type(v)) {
    case json_type_null: return "null";
    case json_type_boolean: return "boolean";
    case json_type_int: return "integer";
    case json_type_double: return "number";
    case json_type_string: return "string";
    case json_type_array: return "array";
    case json_type_object: return "object";
    default: return "unknown";
    }
}

int wx_json_type_matches(json_object *v, unsigned mask)
{
    switch (json_object_get_type(v)) {
    case json_type_null: return (mask & WX_T_NULL) != 0;
    case json_type_boolean: return (mask & WX_T_BOOL) != 0;
    case json_type_int: return (mask & (WX_T_INT | WX_T_NUM)) != 0;
    case json_type_double: {
        if (mask & WX_T_NUM)
            return 1;
        /* "integer" is a number without a fraction, however it is written. */
        double d = json_object_get_double(v);
        return (mask & WX_T_INT) && isfinite(d) && floor(d) == d;
    }
    case json_type_string: return (mask & WX_T_STR) != 0;
    case json_type_array: return (mask & WX_T_ARR) != 0;
    case json_type_object: return (mask & WX_T_OBJ) != 0;
    default: return 0;
    }
}

/* Characters, not bytes: every byte that does not continue a UTF-8 sequence. */
size_t wx_utf8_length(const char *s, size_t bytes)
{
    size_t n = 0;
    for (size_t i = 0; i < bytes; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            n++;
    return n;
}

static int digits(const char *s, int n)
{
    for (int i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

static int num(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

/* full-date (RFC 3339 section 5.6); returns the characters read or 0. */
static int check_date(const char *s)
{
    if (!digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' || !digits(s + 8, 2))
        return 0;
    int y = num(s, 4), m = num(s + 5, 2), d = num(s + 8, 2);
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12 || d < 1)
        return 0;
    int max = days[m - 1];
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        max = 29;
    return d <= max ? 10 : 0;
}

/* full-time: partial-time time-offset; returns the characters read or 0. */
static int check_time(const char *s)
{
    if (!digits(s, 2) || s[2] != ':' || !digits(s + 3, 2) || s[5] != ':' || !digits(s + 6, 2))
        return 0;
    /* Second 60 is a leap second, which RFC 3339 allows. */
    if (num(s, 2) > 23 || num(s + 3, 2) > 59 || num(s + 6, 2) > 60)
        return 0;
    int i = 8;
    if (s[i] == '.') {
        i++;
        if (s[i] < '0' || s[i] > '9')
            return 0;
        while (s[i] >= '0' && s[i] <= '9')
            i++;
    }
    if (s[i] == 'Z' || s[i] == 'z')
        return i + 1;
    if (s[i] == '+' || s[i] == '-') {
        const char *o = s + i + 1;
        if (!digits(o, 2) || o[2] != ':' || !digits(o + 3, 2) || num(o, 2) > 23 ||
            num(o + 3, 2) > 59)
            return 0;
        return i + 6;
    }
    return 0;
}

int wx_format_check(int format, const char *s)
{
    int n;
    switch (format) {
    case WX_FMT_DATE_TIME:
        n = check_date(s);
        if (!n || (s[n] != 'T' && s[n] != 't'))
            return 0;
        s += n + 1;
        n = check_time(s);
        return n && s[n] == 0;
    case WX_FMT_DATE:
        n = check_date(s);
        return n && s[n] == 0;
    case WX_FMT_TIME:
        n = check_time(s);
        return n && s[n] == 0;
    default:
        return 1;
    }
}

void wx_json_append_text(wx_buf *b, json_object *v, int quote_strings)
{
    if (json_object_is_type(v, json_type_string) && !quote_strings) {
        wx_buf_append(b, json_object_get_string(v), (size_t)json_object_get_string_len(v));
        return;
    }
    wx_buf_puts(b, json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
                                                         JSON_C_TO_STRING_NOSLASHESCAPE));
}

json_object *wx_json_copy(json_object *v)
{
    json_object *out = NULL;
    if (!v)
        return NULL;
    if (json_object_deep_copy(v, &out, NULL) != 0)
        return NULL;
    return out;
}
