/* The validator: a compiled schema against a json-c value, every violation reported
 * with its path. Runs on immutable compiled data, so many threads may validate at once. */
#include "spec/spec_impl.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const wx_schema wx_schema_any = {
    .min_props = -1, .max_props = -1, .min_items = -1, .max_items = -1,
    .min_len = -1, .max_len = -1,
};

static void check_node(const wx_schema *s, json_object *v, wx_vctx *c);

/* Without an output list the first violation ends the check (anyOf, oneOf, not). */
static int stop(const wx_vctx *c) { return !c->out && c->count; }

static int push_key(wx_vctx *c, const char *key)
{
    if (c->depth >= WX_VALIDATE_MAX_DEPTH) {
        wx_vctx_report(c, NULL, "nested too deeply");
        return 0;
    }
    c->path[c->depth++] = (wx_path_seg){key, 0};
    return 1;
}

static int push_index(wx_vctx *c, size_t i)
{
    if (c->depth >= WX_VALIDATE_MAX_DEPTH) {
        wx_vctx_report(c, NULL, "nested too deeply");
        return 0;
    }
    c->path[c->depth++] = (wx_path_seg){NULL, i};
    return 1;
}

static const wx_schema *find_prop(const wx_schema *s, const char *key)
{
    size_t lo = 0, hi = s->nprops;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int cmp = strcmp(key, s->props[mid].name);
        if (cmp == 0)
            return s->props[mid].schema;
        if (cmp < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

static void check_object(const wx_schema *s, json_object *v, wx_vctx *c)
{
    for (size_t i = 0; i < s->nrequired; i++) {
        if (!json_object_object_get_ex(v, s->required[i], NULL)) {
            wx_vctx_report(c, s->required[i], "required");
            if (stop(c))
                return;
        }
    }
    if (s->min_props >= 0 || s->max_props >= 0) {
        long n = (long)json_object_object_length(v);
        if (s->min_props >= 0 && n < s->min_props) {
            wx_vctx_reportf(c, NULL, "fewer than %ld properties", s->min_props);
        }
        if (s->max_props >= 0 && n > s->max_props) {
            wx_vctx_reportf(c, NULL, "more than %ld properties", s->max_props);
        }
        if (stop(c))
            return;
    }
    if (!s->nprops && !s->npattern_props && !s->additional && !(s->flags & WX_SF_ADDL_FALSE))
        return;
    json_object_object_foreach(v, key, val)
    {
        int matched = 0;
        const wx_schema *ps = find_prop(s, key);
        if (ps) {
            matched = 1;
            if (push_key(c, key)) {
                check_node(ps, val, c);
                c->depth--;
            }
        }
        for (size_t i = 0; i < s->npattern_props; i++) {
            int m = wx_regex_search(s->pattern_props[i].re, key, strlen(key));
            if (m == WX_REGEX_TOO_COSTLY)
                wx_vctx_reportf(c, key, "the name exceeds the match limit of pattern %s",
                                s->pattern_props[i].source);
            if (m == 1) {
                matched = 1;
                if (push_key(c, key)) {
                    check_node(s->pattern_props[i].schema, val, c);
                    c->depth--;
                }
            }
        }
        if (!matched) {
            if (s->flags & WX_SF_ADDL_FALSE) {
                wx_vctx_report(c, key, "unexpected property");
            } else if (s->additional && push_key(c, key)) {
                check_node(s->additional, val, c);
                c->depth--;
            }
        }
        if (stop(c))
            return;
    }
}

static void check_array(const wx_schema *s, json_object *v, wx_vctx *c)
{
    size_t n = json_object_array_length(v);
    if (s->min_items >= 0 && (long)n < s->min_items) {
        wx_vctx_reportf(c, NULL, "fewer than %ld items", s->min_items);
    }
    if (s->max_items >= 0 && (long)n > s->max_items) {
        wx_vctx_reportf(c, NULL, "more than %ld items", s->max_items);
    }
    if (stop(c))
        return;
    if (s->tuple || s->items || s->additional_items || (s->flags & WX_SF_ADDL_ITEMS_FALSE)) {
        for (size_t i = 0; i < n; i++) {
            const wx_schema *is;
            if (s->tuple) {
                if (i < s->ntuple) {
                    is = s->tuple[i];
                } else if (s->flags & WX_SF_ADDL_ITEMS_FALSE) {
                    if (push_index(c, i)) {
                        wx_vctx_report(c, NULL, "unexpected item");
                        c->depth--;
                    }
                    if (stop(c))
                        return;
                    continue;
                } else {
                    is = s->additional_items;
                }
            } else {
                is = s->items;
            }
            if (!is)
                continue;
            if (push_index(c, i)) {
                check_node(is, json_object_array_get_idx(v, i), c);
                c->depth--;
            }
            if (stop(c))
                return;
        }
    }
    if (s->flags & WX_SF_UNIQUE) {
        for (size_t i = 1; i < n; i++) {
            for (size_t j = 0; j < i; j++) {
                if (wx_json_equal(json_object_array_get_idx(v, i),
                                  json_object_array_get_idx(v, j))) {
                    wx_vctx_reportf(c, NULL, "items %zu and %zu are equal", j, i);
                    if (stop(c))
                        return;
                    break;
                }
            }
        }
    }
}

static void check_string(const wx_schema *s, json_object *v, wx_vctx *c)
{
    const char *str = json_object_get_string(v);
    size_t bytes = (size_t)json_object_get_string_len(v);
    if (s->min_len >= 0 || s->max_len >= 0) {
        long chars = (long)wx_utf8_length(str, bytes);
        if (s->min_len >= 0 && chars < s->min_len) {
            wx_vctx_reportf(c, NULL, "shorter than %ld character%s", s->min_len,
                            s->min_len == 1 ? "" : "s");
        }
        if (s->max_len >= 0 && chars > s->max_len) {
            wx_vctx_reportf(c, NULL, "longer than %ld character%s", s->max_len,
                            s->max_len == 1 ? "" : "s");
        }
        if (stop(c))
            return;
    }
    int m = s->pattern ? wx_regex_search(s->pattern, str, bytes) : 1;
    if (m != 1) {
        if (m == 0)
            wx_vctx_reportf(c, NULL, "does not match pattern %s", s->pattern_src);
        else
            wx_vctx_reportf(c, NULL, "exceeds the match limit of pattern %s", s->pattern_src);
        if (stop(c))
            return;
    }
    /* No date or time has a NUL in it; the format checks read up to the first one. */
    if (s->format && (memchr(str, 0, bytes) || !wx_format_check(s->format, str))) {
        wx_vctx_reportf(c, NULL, "not a valid %s", s->format_name);
    }
}

/* -1, 0 or 1 as v compares with the bound: exactly (int64) when both are integers, so
 * bounds beyond 2^53 hold; else as doubles. */
static int compare(json_object *v, const wx_bound *b)
{
    if (b->exact && json_object_is_type(v, json_type_int)) {
        if (json_object_get_uint64(v) > INT64_MAX)
            return 1; /* json-c keeps integers above INT64_MAX as uint64 */
        int64_t i = json_object_get_int64(v);
        return i < b->i ? -1 : i > b->i;
    }
    double d = json_object_get_double(v);
    return d < b->d ? -1 : d > b->d;
}

static int not_multiple(json_object *v, const wx_bound *m)
{
    if (json_object_is_type(v, json_type_int) && (m->exact || (floor(m->d) == m->d && m->d < 9.2e18))) {
        uint64_t uv = json_object_get_uint64(v);
        int64_t mi = m->exact ? m->i : (int64_t)m->d;
        if (uv > INT64_MAX)
            return uv % (uint64_t)mi != 0;
        return json_object_get_int64(v) % mi != 0;
    }
    double q = json_object_get_double(v) / m->d;
    return !isfinite(q) || fabs(q - nearbyint(q)) > 1e-9 * fmax(1.0, fabs(q));
}

static void check_number(const wx_schema *s, json_object *v, wx_vctx *c)
{
    if (s->flags & WX_SF_MIN) {
        int excl = (s->flags & WX_SF_EXCL_MIN) != 0, cmp = compare(v, &s->minimum);
        if (excl ? cmp <= 0 : cmp < 0)
            wx_vctx_reportf(c, NULL, "%s %s", excl ? "not greater than" : "less than",
                            s->minimum.text);
    }
    if (s->flags & WX_SF_MAX) {
        int excl = (s->flags & WX_SF_EXCL_MAX) != 0, cmp = compare(v, &s->maximum);
        if (excl ? cmp >= 0 : cmp > 0)
            wx_vctx_reportf(c, NULL, "%s %s", excl ? "not less than" : "greater than",
                            s->maximum.text);
    }
    if ((s->flags & WX_SF_MULTIPLE) && not_multiple(v, &s->multiple_of))
        wx_vctx_reportf(c, NULL, "not a multiple of %s", s->multiple_of.text);
}

/* APIv2 bodies are XML, where every value is text: for an integer type a decimal
 * integer string ("-12"), for a number type a decimal number string ("12.50") stands for
 * the number. Returns a new json-c number, or NULL when @p v is not such a string. */
static json_object *xml_number(unsigned types, json_object *v)
{
    if (!(types & (WX_T_INT | WX_T_NUM)) || !json_object_is_type(v, json_type_string))
        return NULL;
    const char *t = json_object_get_string(v), *p = t;
    size_t len = (size_t)json_object_get_string_len(v);
    if (*p == '-')
        p++;
    size_t digits = strspn(p, "0123456789"), frac = 0;
    if (!digits)
        return NULL;
    if (p[digits] == '.') {
        frac = strspn(p + digits + 1, "0123456789");
        if (!frac || !(types & WX_T_NUM))
            return NULL;
    }
    if ((size_t)(p - t) + digits + (frac ? frac + 1 : 0) != len)
        return NULL;
    if (!frac) {
        errno = 0;
        long long i = strtoll(t, NULL, 10);
        if (errno == 0)
            return json_object_new_int64(i);
        errno = 0;
        unsigned long long u = *t != '-' ? strtoull(t, NULL, 10) : 0;
        if (*t != '-' && errno == 0)
            return json_object_new_uint64(u);
    }
    return (types & WX_T_NUM) ? json_object_new_double(strtod(t, NULL)) : NULL;
}

/* 1 when the schema accepts v (no report). */
static int passes(const wx_schema *s, json_object *v, wx_vctx *c)
{
    wx_violations_t *out = c->out;
    int before = c->count;
    c->out = NULL;
    check_node(s, v, c);
    int ok = c->count == before;
    c->count = before;
    c->out = out;
    return ok;
}

/* For a failed anyOf/oneOf: the one branch meant for this type of value, if exactly one. */
static const wx_schema *only_branch_for(const wx_schema *const *b, size_t n, json_object *v)
{
    const wx_schema *found = NULL;
    for (size_t i = 0; i < n; i++) {
        const wx_schema *s = b[i];
        while (s->ref && !s->types)
            s = s->ref;
        if (!s->types || wx_json_type_matches(v, s->types)) {
            if (found)
                return NULL;
            found = b[i];
        }
    }
    return found;
}

static void check_combinators(const wx_schema *s, json_object *v, wx_vctx *c)
{
    for (size_t i = 0; i < s->nall_of && !stop(c); i++)
        check_node(s->all_of[i], v, c);
    if (s->nany_of && !stop(c)) {
        int ok = 0;
        for (size_t i = 0; i < s->nany_of && !ok; i++)
            ok = passes(s->any_of[i], v, c);
        if (!ok) {
            const wx_schema *b = c->out ? only_branch_for(s->any_of, s->nany_of, v) : NULL;
            if (b)
                check_node(b, v, c);
            else
                wx_vctx_report(c, NULL, "does not match any schema in anyOf");
        }
    }
    if (s->none_of && !stop(c)) {
        size_t matches = 0;
        for (size_t i = 0; i < s->none_of && matches < 2; i++)
            matches += (size_t)passes(s->one_of[i], v, c);
        if (matches == 0) {
            const wx_schema *b = c->out ? only_branch_for(s->one_of, s->none_of, v) : NULL;
            if (b)
                check_node(b, v, c);
            else
                wx_vctx_report(c, NULL, "does not match any schema in oneOf");
        } else if (matches > 1) {
            wx_vctx_report(c, NULL, "matches more than one schema in oneOf");
        }
    }
    if (s->not_schema && !stop(c) && passes(s->not_schema, v, c))
        wx_vctx_report(c, NULL, "must not match the schema in not");
}

static void check_node(const wx_schema *s, json_object *v, wx_vctx *c)
{
    if (s->flags & WX_SF_FALSE) {
        wx_vctx_report(c, NULL, "not allowed");
        return;
    }
    if (!v && (s->flags & WX_SF_NULLABLE))
        return;
    if (s->types && !wx_json_type_matches(v, s->types)) {
        json_object *n = c->xml_text ? xml_number(s->types, v) : NULL;
        if (n) {
            check_node(s, n, c);
            json_object_put(n);
            return;
        }
        wx_vctx_reportf(c, NULL, "expected %s, got %s", s->type_text, wx_json_type_name(v));
        if (stop(c))
            return;
    } else {
        if (s->nenum) {
            size_t i;
            for (i = 0; i < s->nenum; i++)
                if (wx_json_equal(s->enums[i], v))
                    break;
            if (i == s->nenum) {
                wx_vctx_reportf(c, NULL, "must be one of: %s", s->enum_text);
                if (stop(c))
                    return;
            }
        }
        switch (json_object_get_type(v)) {
        case json_type_object:
            if (s->flags & WX_SF_OBJ_KW)
                check_object(s, v, c);
            break;
        case json_type_array:
            if (s->flags & WX_SF_ARR_KW)
                check_array(s, v, c);
            break;
        case json_type_string:
            if (s->flags & WX_SF_STR_KW)
                check_string(s, v, c);
            break;
        case json_type_int:
        case json_type_double:
            if (s->flags & WX_SF_NUM_KW)
                check_number(s, v, c);
            break;
        default:
            break;
        }
        if (stop(c))
            return;
    }
    if (s->ref) {
        check_node(s->ref, v, c);
        if (stop(c))
            return;
    }
    if (s->nall_of || s->nany_of || s->none_of || s->not_schema)
        check_combinators(s, v, c);
}

int wx_schema_check(const wx_schema *s, json_object *v, wx_vctx *c)
{
    int before = c->count;
    check_node(s, v, c);
    return c->count - before;
}
