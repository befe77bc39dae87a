/* RFC 6570 templates: parsing into the compiled form, and the accessors. Expansion
 * lives in uritemplate_expand.c. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "request/uritemplate_internal.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/strutil.h"

#define U WX_UCH_UNRESERVED
#define R WX_UCH_RESERVED
#define Q WX_UCH_QUERY_FRAG
/* Bytes 0x80-0xFF are 0: UTF-8 is always percent-encoded octet by octet. */
const unsigned char wx_uri_char_class[256] = {
    /* 0x00 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    /* 0x10 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    /*  !"#$%&'()*+,-./ */ 0, R, 0, Q, R, 0, R, R, R, R, R, R, R, U, U, R,
    /* 0-9:;<=>? */ U, U, U, U, U, U, U, U, U, U, R, R, 0, R, 0, Q,
    /* @A-O */ R, U, U, U, U, U, U, U, U, U, U, U, U, U, U, U,
    /* P-Z[\]^_ */ U, U, U, U, U, U, U, U, U, U, U, R, 0, R, 0, U,
    /* `a-o */ 0, U, U, U, U, U, U, U, U, U, U, U, U, U, U, U,
    /* p-z{|}~DEL */ U, U, U, U, U, U, U, U, U, U, U, 0, 0, 0, U, 0,
};
#undef U
#undef R
#undef Q

#define WX_URI_MAX_PREFIX 9999

/* The two passes share one walk: the first (fill == 0) validates and counts, the
 * second writes into the single allocation sized by the first. */
typedef struct builder {
    int fill;
    wx_uri_piece *pieces;
    wx_uri_varspec *specs;
    char *strings;
    size_t piece_count;
    size_t spec_count;
    size_t string_len;
    size_t literal_len;
    int in_literal;      /* the last piece is a literal still being extended */
    size_t seen_bytes;   /* char_offset() of seen_bytes is seen_chars: positions only */
    size_t seen_chars;   /* grow during a walk, so counting resumes from there */
} builder;

static const char k_hex_upper[] = "0123456789ABCDEF";

/* Template offsets are reported in characters (UTF-8 code points), not bytes. */
static size_t char_offset(const char *s, size_t pos)
{
    size_t n = 0;
    for (size_t i = 0; i < pos; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            n++;
    return n;
}

static size_t builder_char_offset(builder *b, const char *tmpl, size_t pos)
{
    b->seen_chars += char_offset(tmpl + b->seen_bytes, pos - b->seen_bytes);
    b->seen_bytes = pos;
    return b->seen_chars;
}

static wx_err parse_error(wx_error_t *err, const char *tmpl, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static wx_err parse_error(wx_error_t *err, const char *tmpl, size_t pos, const char *fmt, ...)
{
    char msg[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    size_t off = char_offset(tmpl, pos);
    char where[48];
    snprintf(where, sizeof where, "offset %zu", off);
    return wx_error_set(err, WX_E_TEMPLATE, where, "URI template: %s at offset %zu", msg, off);
}

/* "'x'" for a printable character, "byte 0xNN" otherwise, for messages. */
static const char *describe_char(unsigned char c, char buf[16])
{
    if (c >= 0x20 && c < 0x7F)
        snprintf(buf, 16, "'%c'", c);
    else
        snprintf(buf, 16, "byte 0x%02X", c);
    return buf;
}

static void add_string_bytes(builder *b, const char *src, size_t n)
{
    if (b->fill)
        memcpy(b->strings + b->string_len, src, n);
    b->string_len += n;
}

static void add_literal(builder *b, const char *src, size_t n)
{
    if (!b->in_literal) {
        if (b->fill) {
            wx_uri_piece *p = &b->pieces[b->piece_count];
            memset(p, 0, sizeof *p);
            p->text = b->strings + b->string_len;
        }
        b->piece_count++;
        b->in_literal = 1;
    }
    if (b->fill)
        b->pieces[b->piece_count - 1].len += n;
    add_string_bytes(b, src, n);
    b->literal_len += n;
}

static int is_varchar_start(const char *p)
{
    unsigned char c = (unsigned char)*p;
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')
        return 1;
    if (c == '%' && wx_uri_is_hex((unsigned char)p[1]) && wx_uri_is_hex((unsigned char)p[2]))
        return 3;
    return 0;
}

static int op_from_char(char c)
{
    switch (c) {
    case '+': return WX_UOP_RESERVED;
    case '#': return WX_UOP_FRAGMENT;
    case '.': return WX_UOP_LABEL;
    case '/': return WX_UOP_PATH;
    case ';': return WX_UOP_PARAM;
    case '?': return WX_UOP_QUERY;
    case '&': return WX_UOP_CONT;
    default: return -1;
    }
}

/* varname = varchar *( ["."] varchar ), varchar = ALPHA / DIGIT / "_" / pct-encoded.
 * Returns the length or 0 after setting err. */
static size_t parse_varname(const char *tmpl, size_t pos, wx_error_t *err)
{
    const char *s = tmpl + pos;
    size_t i = 0;
    char cb[16];
    int n = is_varchar_start(s);
    if (!n) {
        if (s[0] == '}' || s[0] == ',')
            parse_error(err, tmpl, pos, "missing variable name before '%c'", s[0]);
        else if (s[0] == '%')
            parse_error(err, tmpl, pos, "'%%' in a variable name must start a %%XX escape");
        else
            parse_error(err, tmpl, pos, "invalid character %s in variable name",
                        describe_char((unsigned char)s[0], cb));
        return 0;
    }
    i += (size_t)n;
    for (;;) {
        if (s[i] == '.') {
            n = is_varchar_start(s + i + 1);
            if (!n) {
                parse_error(err, tmpl, pos + i,
                            "'.' in variable name '%.*s.' must be followed by a name character",
                            (int)(i > 64 ? 64 : i), s);
                return 0;
            }
            i += 1 + (size_t)n;
            continue;
        }
        n = is_varchar_start(s + i);
        if (!n)
            return i;
        i += (size_t)n;
    }
}

/* A prefix ":N" at tmpl[pos] == ':'; returns the position after N, or 0 after setting err. */
static size_t parse_prefix(const char *tmpl, size_t pos, unsigned *prefix, wx_error_t *err)
{
    char cb[16];
    size_t digits = ++pos;
    while (tmpl[pos] >= '0' && tmpl[pos] <= '9')
        pos++;
    size_t ndig = pos - digits;
    if (ndig == 0) {
        parse_error(err, tmpl, digits,
                    "prefix length after ':' must be a number from 1 to 9999, not %s",
                    describe_char((unsigned char)tmpl[digits], cb));
        return 0;
    }
    if (tmpl[digits] == '0') {
        parse_error(err, tmpl, digits,
                    "prefix length must be a number from 1 to 9999 without a leading 0");
        return 0;
    }
    if (ndig > 4) {
        parse_error(err, tmpl, digits, "prefix length %.*s is over 9999",
                    (int)(ndig > 32 ? 32 : ndig), tmpl + digits);
        return 0;
    }
    for (size_t k = digits; k < pos; k++)
        *prefix = *prefix * 10 + (unsigned)(tmpl[k] - '0');
    return pos;
}

/* The optional modifier (":N" or "*") after a variable name at tmpl[pos], and the ','
 * or '}' that must follow. Returns the position of that ',' or '}', or 0 after setting
 * err. */
static size_t parse_modifier(const char *tmpl, size_t pos, size_t name_pos, size_t name_len,
                             unsigned *prefix, unsigned char *explode, wx_error_t *err)
{
    char cb[16];
    int name_shown = (int)(name_len > 64 ? 64 : name_len);
    int had_modifier = tmpl[pos] == ':' || tmpl[pos] == '*';
    if (tmpl[pos] == ':') {
        if (!(pos = parse_prefix(tmpl, pos, prefix, err)))
            return 0;
        if (tmpl[pos] == '*') {
            parse_error(err, tmpl, pos, "variable '%.*s' cannot have both a prefix and explode",
                        name_shown, tmpl + name_pos);
            return 0;
        }
    } else if (tmpl[pos] == '*') {
        *explode = 1;
        if (tmpl[++pos] == ':') {
            parse_error(err, tmpl, pos, "variable '%.*s' cannot have both explode and a prefix",
                        name_shown, tmpl + name_pos);
            return 0;
        }
    }
    if (tmpl[pos] != ',' && tmpl[pos] != '}') {
        if (had_modifier)
            parse_error(err, tmpl, pos, "expected ',' or '}' after the modifier, found %s",
                        describe_char((unsigned char)tmpl[pos], cb));
        else
            parse_error(err, tmpl, pos, "invalid character %s in variable name",
                        describe_char((unsigned char)tmpl[pos], cb));
        return 0;
    }
    return pos;
}

/* Parses the expression at tmpl[pos] == '{'; returns the position after its '}', or 0
 * after setting err. */
static size_t parse_expression(builder *b, const char *tmpl, size_t pos, wx_error_t *err)
{
    size_t open = pos;
    if (!strchr(tmpl + open, '}')) {
        parse_error(err, tmpl, open, "unclosed '{'");
        return 0;
    }
    pos++;
    int op = WX_UOP_SIMPLE;
    char c = tmpl[pos];
    if (c == '=' || c == ',' || c == '!' || c == '@' || c == '|') {
        parse_error(err, tmpl, pos, "operator '%c' is reserved by RFC 6570", c);
        return 0;
    }
    if (op_from_char(c) >= 0) {
        op = op_from_char(c);
        pos++;
    }
    if (tmpl[pos] == '}') {
        parse_error(err, tmpl, open, "empty expression");
        return 0;
    }

    size_t first_spec = b->spec_count;
    for (;;) {
        size_t name_pos = pos;
        size_t name_len = parse_varname(tmpl, pos, err);
        if (!name_len)
            return 0;
        pos += name_len;
        unsigned prefix = 0;
        unsigned char explode = 0;
        pos = parse_modifier(tmpl, pos, name_pos, name_len, &prefix, &explode, err);
        if (!pos)
            return 0;

        if (b->fill) {
            wx_uri_varspec *v = &b->specs[b->spec_count];
            v->name = b->strings + b->string_len;
            v->name_len = name_len;
            v->offset = builder_char_offset(b, tmpl, name_pos);
            v->prefix = prefix;
            v->explode = explode;
        }
        add_string_bytes(b, tmpl + name_pos, name_len);
        add_string_bytes(b, "", 1);
        b->spec_count++;

        if (tmpl[pos++] == '}')
            break;
    }

    if (b->fill) {
        wx_uri_piece *p = &b->pieces[b->piece_count];
        memset(p, 0, sizeof *p);
        p->is_expr = 1;
        p->op = (unsigned char)op;
        p->first_spec = first_spec;
        p->spec_count = b->spec_count - first_spec;
    }
    b->piece_count++;
    b->in_literal = 0;
    return pos;
}

/* One walk over the whole template. Returns WX_OK or WX_E_TEMPLATE. */
static wx_err walk(builder *b, const char *tmpl, wx_error_t *err)
{
    size_t pos = 0;
    while (tmpl[pos]) {
        unsigned char c = (unsigned char)tmpl[pos];
        if (c == '{') {
            pos = parse_expression(b, tmpl, pos, err);
            if (!pos)
                return WX_E_TEMPLATE;
            continue;
        }
        if (c == '}')
            return parse_error(err, tmpl, pos, "'}' without a matching '{'");
        /* RFC 6570 section 3.1: literals allowed in a URI are copied, others encoded. */
        size_t run = pos;
        while (tmpl[run] && tmpl[run] != '{' && tmpl[run] != '}' &&
               wx_uri_char_class[(unsigned char)tmpl[run]])
            run++;
        if (run > pos) {
            add_literal(b, tmpl + pos, run - pos);
            pos = run;
            continue;
        }
        if (c == '%' && wx_uri_is_hex((unsigned char)tmpl[pos + 1]) &&
            wx_uri_is_hex((unsigned char)tmpl[pos + 2])) {
            add_literal(b, tmpl + pos, 3);
            pos += 3;
            continue;
        }
        char enc[3] = {'%', k_hex_upper[c >> 4], k_hex_upper[c & 15]};
        add_literal(b, enc, 3);
        pos++;
    }
    return WX_OK;
}

static size_t align_up(size_t n)
{
    const size_t a = sizeof(void *) > sizeof(size_t) ? sizeof(void *) : sizeof(size_t);
    return (n + a - 1) / a * a;
}

/* Distinct names, in order of first use. A small hash set keeps this linear, so a
 * template with thousands of variables still parses quickly. */
static wx_err collect_names(const wx_uri_varspec *specs, size_t n, const char **names,
                            size_t *count)
{
    *count = 0;
    if (n == 0)
        return WX_OK;
    size_t cap = 16;
    while (cap < 2 * n)
        cap *= 2;
    size_t *slots = wx_calloc(cap, sizeof *slots);   /* index into names + 1; 0 = free */
    if (!slots)
        return WX_E_NOMEM;
    for (size_t i = 0; i < n; i++) {
        size_t h = (size_t)wx_hash_bytes(specs[i].name, specs[i].name_len) & (cap - 1);
        while (slots[h] && strcmp(names[slots[h] - 1], specs[i].name) != 0)
            h = (h + 1) & (cap - 1);
        if (!slots[h]) {
            names[*count] = specs[i].name;
            slots[h] = ++*count;
        }
    }
    wx_free(slots);
    return WX_OK;
}

wx_err wx_uri_template_parse(const char *tmpl, wx_uri_template_t **out, wx_error_t *err)
{
    if (!out)
        return wx_error_set(err, WX_E_INVALID_ARG, "", "wx_uri_template_parse: out is NULL");
    *out = NULL;
    if (!tmpl)
        return wx_error_set(err, WX_E_INVALID_ARG, "", "wx_uri_template_parse: template is NULL");

    builder b;
    memset(&b, 0, sizeof b);
    wx_err rc = walk(&b, tmpl, err);
    if (rc != WX_OK)
        return rc;

    size_t head = align_up(sizeof(struct wx_uri_template));
    size_t pieces_size = align_up(b.piece_count * sizeof(wx_uri_piece));
    size_t specs_size = align_up(b.spec_count * sizeof(wx_uri_varspec));
    size_t names_size = align_up(b.spec_count * sizeof(char *));
    size_t total = head + pieces_size + specs_size + names_size + b.string_len + 1;
    char *mem = wx_malloc(total);
    if (!mem)
        return wx_error_set(err, WX_E_NOMEM, "", "URI template: out of memory");

    struct wx_uri_template *t = (struct wx_uri_template *)(void *)mem;
    wx_uri_piece *pieces = (wx_uri_piece *)(void *)(mem + head);
    wx_uri_varspec *specs = (wx_uri_varspec *)(void *)(mem + head + pieces_size);
    const char **names = (const char **)(void *)(mem + head + pieces_size + specs_size);
    char *strings = mem + head + pieces_size + specs_size + names_size;

    builder fillb;
    memset(&fillb, 0, sizeof fillb);
    fillb.fill = 1;
    fillb.pieces = pieces;
    fillb.specs = specs;
    fillb.strings = strings;
    rc = walk(&fillb, tmpl, err);
    if (rc != WX_OK) {
        wx_free(mem);
        return rc;
    }
    strings[fillb.string_len] = 0;

    t->piece_count = fillb.piece_count;
    t->spec_count = fillb.spec_count;
    t->literal_len = fillb.literal_len;
    t->pieces = pieces;
    t->specs = specs;
    t->var_names = names;
    if (collect_names(specs, fillb.spec_count, names, &t->var_count) != WX_OK) {
        wx_free(mem);
        return wx_error_set(err, WX_E_NOMEM, "", "URI template: out of memory");
    }
    *out = t;
    return WX_OK;
}

void wx_uri_template_free(wx_uri_template_t *t) { wx_free(t); }

size_t wx_uri_template_var_count(const wx_uri_template_t *t) { return t ? t->var_count : 0; }

const char *wx_uri_template_var_name(const wx_uri_template_t *t, size_t i)
{
    return t && i < t->var_count ? t->var_names[i] : NULL;
}

int wx_uri_template_is_literal(const wx_uri_template_t *t)
{
    return t && t->spec_count == 0;
}
