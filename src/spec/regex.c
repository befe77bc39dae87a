/* JSON Schema `pattern` (ECMA-262) through POSIX regex.h.
 *
 * Patterns are translated into POSIX ERE over bytes (the "C" locale, whatever the
 * application's locale is), with UTF-8 spelled out: `.`, classes and \D \W \S become
 * alternations of UTF-8 byte sequences, and a non-ASCII literal is grouped so that a
 * quantifier after it repeats the whole character. So `^[\u4e00-\u9fa5]{2,4}$` counts
 * characters as ECMA-262 does. Supported: \d \w \s \D \W \S, \b \B, escapes of special
 * characters, \t \n \r \f \v \xHH \uHHHH \u{...}, classes with ranges, (?:...) groups,
 * greedy and lazy quantifiers (the same yes/no answer for a search). Refused at load
 * time: lookaround, backreferences, named groups and unknown escapes. */
#include "spec/spec_impl.h"
#include "util/strutil.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"

static pthread_once_t g_locale_once = PTHREAD_ONCE_INIT;
static locale_t g_c_locale;

static void make_locale(void)
{
    g_c_locale = newlocale(LC_CTYPE_MASK | LC_COLLATE_MASK, "C", (locale_t)0);
}

/* regcomp/regexec follow the thread's locale: the byte patterns need "C". */
static locale_t enter_c(void)
{
    pthread_once(&g_locale_once, make_locale);
    return g_c_locale ? uselocale(g_c_locale) : (locale_t)0;
}

static void leave_c(locale_t old)
{
    if (old)
        uselocale(old);
}

/* ---------------------------------------------------------------- code point sets */

typedef struct cprange {
    unsigned lo, hi;
} cprange;

typedef struct cpset {
    cprange *r;
    size_t n, cap;
    int nomem;
} cpset;

#define WX_CP_MAX 0x10FFFFu

static void set_add(cpset *s, unsigned lo, unsigned hi)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        cprange *r = wx_realloc(s->r, cap * sizeof *r);
        if (!r) {
            s->nomem = 1;
            return;
        }
        s->r = r;
        s->cap = cap;
    }
    s->r[s->n++] = (cprange){lo, hi};
}

static int cmp_range(const void *a, const void *b)
{
    const cprange *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static void set_normalize(cpset *s)
{
    if (s->n == 0)
        return;
    qsort(s->r, s->n, sizeof *s->r, cmp_range);
    size_t w = 0;
    for (size_t i = 1; i < s->n; i++) {
        if (s->r[i].lo <= s->r[w].hi + 1) {
            if (s->r[i].hi > s->r[w].hi)
                s->r[w].hi = s->r[i].hi;
        } else {
            s->r[++w] = s->r[i];
        }
    }
    s->n = w + 1;
}

/* Complement within 1..U+10FFFF, leaving out surrogates and NUL (which a C string
 * cannot hold anyway). */
static void set_negate(cpset *s)
{
    set_normalize(s);
    cpset out = {0};
    unsigned next = 1;
    for (size_t i = 0; i < s->n; i++) {
        if (s->r[i].lo > next)
            set_add(&out, next, s->r[i].lo - 1);
        if (s->r[i].hi + 1 > next)
            next = s->r[i].hi + 1;
    }
    if (next <= WX_CP_MAX)
        set_add(&out, next, WX_CP_MAX);
    out.nomem |= s->nomem;
    wx_free(s->r);
    *s = out;
}

static void add_class_d(cpset *s) { set_add(s, '0', '9'); }
static void add_class_w(cpset *s)
{
    set_add(s, '0', '9');
    set_add(s, 'A', 'Z');
    set_add(s, '_', '_');
    set_add(s, 'a', 'z');
}
/* ECMA-262 WhiteSpace and LineTerminator. */
static void add_class_s(cpset *s)
{
    set_add(s, '\t', '\r');
    set_add(s, ' ', ' ');
    set_add(s, 0xA0, 0xA0);
    set_add(s, 0x1680, 0x1680);
    set_add(s, 0x2000, 0x200A);
    set_add(s, 0x2028, 0x2029);
    set_add(s, 0x202F, 0x202F);
    set_add(s, 0x205F, 0x205F);
    set_add(s, 0x3000, 0x3000);
    set_add(s, 0xFEFF, 0xFEFF);
}

static void add_negated(cpset *s, void (*fill)(cpset *))
{
    cpset tmp = {0};
    fill(&tmp);
    set_negate(&tmp);
    for (size_t i = 0; i < tmp.n; i++)
        set_add(s, tmp.r[i].lo, tmp.r[i].hi);
    s->nomem |= tmp.nomem;
    wx_free(tmp.r);
}

/* ---------------------------------------------------------------- emitting */

static size_t utf8_encode(unsigned cp, unsigned char *s)
{
    if (cp < 0x80) {
        s[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        s[0] = (unsigned char)(0xC0 | (cp >> 6));
        s[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        s[0] = (unsigned char)(0xE0 | (cp >> 12));
        s[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        s[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    s[0] = (unsigned char)(0xF0 | (cp >> 18));
    s[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    s[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    s[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

/* A byte inside a bracket expression; ] - ^ [ as collating elements so their place
 * does not matter. */
static void bracket_byte(wx_buf *out, unsigned char b)
{
    if (b == ']' || b == '-' || b == '^' || b == '[') {
        char tmp[6] = {'[', '.', (char)b, '.', ']', 0};
        wx_buf_puts(out, tmp);
    } else {
        wx_buf_putc(out, (char)b);
    }
}

static void bracket_range(wx_buf *out, unsigned char lo, unsigned char hi)
{
    wx_buf_putc(out, '[');
    bracket_byte(out, lo);
    if (hi != lo) {
        wx_buf_putc(out, '-');
        bracket_byte(out, hi);
    }
    wx_buf_putc(out, ']');
}

static void emit_alt(wx_buf *out, int *first)
{
    if (!*first)
        wx_buf_putc(out, '|');
    *first = 0;
}

/* UTF-8 byte-sequence ranges for code points lo..hi (both of one encoded length). */
static void emit_utf8_range(wx_buf *out, unsigned lo, unsigned hi, int *first)
{
    static const unsigned limits[] = {0x7F, 0x7FF, 0xFFFF};
    for (size_t i = 0; i < 3; i++) {
        if (lo <= limits[i] && hi > limits[i]) {
            emit_utf8_range(out, lo, limits[i], first);
            emit_utf8_range(out, limits[i] + 1, hi, first);
            return;
        }
    }
    if (hi < 0x80) {
        emit_alt(out, first);
        bracket_range(out, (unsigned char)lo, (unsigned char)hi);
        return;
    }
    for (unsigned i = 1; i < 4; i++) {
        unsigned m = (1u << (6 * i)) - 1;
        if ((lo & ~m) != (hi & ~m)) {
            if ((lo & m) != 0) {
                emit_utf8_range(out, lo, lo | m, first);
                emit_utf8_range(out, (lo | m) + 1, hi, first);
                return;
            }
            if ((hi & m) != m) {
                emit_utf8_range(out, lo, (hi & ~m) - 1, first);
                emit_utf8_range(out, hi & ~m, hi, first);
                return;
            }
        }
    }
    unsigned char a[4], b[4];
    size_t n = utf8_encode(lo, a);
    utf8_encode(hi, b);
    emit_alt(out, first);
    for (size_t i = 0; i < n; i++)
        bracket_range(out, a[i], b[i]);
}

/* Writes a set as one ERE atom. */
static void emit_set(wx_buf *out, cpset *s)
{
    set_normalize(s);
    /* Surrogates never occur in UTF-8 text; dropping them keeps the encoder honest. */
    cpset clean = {0};
    for (size_t i = 0; i < s->n; i++) {
        unsigned lo = s->r[i].lo, hi = s->r[i].hi;
        if (lo < 0xD800 || hi > 0xDFFF) {
            if (lo < 0xD800)
                set_add(&clean, lo, hi < 0xD800 ? hi : 0xD7FF);
            if (hi > 0xDFFF)
                set_add(&clean, lo > 0xE000 ? lo : 0xE000, hi);
        }
    }
    if (clean.n == 0) {
        /* Matches nothing, not even a NUL byte: an x before the start of the text. */
        wx_buf_puts(out, "(x^)");
        wx_free(clean.r);
        return;
    }
    /* The ASCII part is one bracket expression. */
    wx_buf ascii = WX_BUF_INIT;
    size_t nonascii = 0;
    for (size_t i = 0; i < clean.n; i++) {
        unsigned lo = clean.r[i].lo, hi = clean.r[i].hi;
        if (lo < 0x80) {
            unsigned top = hi < 0x80 ? hi : 0x7F;
            bracket_byte(&ascii, (unsigned char)lo);
            if (top != lo) {
                wx_buf_putc(&ascii, '-');
                bracket_byte(&ascii, (unsigned char)top);
            }
        }
        if (hi >= 0x80)
            nonascii++;
    }
    if (nonascii == 0) {
        wx_buf_putc(out, '[');
        wx_buf_append(out, wx_buf_str(&ascii), ascii.len);
        wx_buf_putc(out, ']');
    } else {
        int first = 1;
        wx_buf_putc(out, '(');
        if (ascii.len) {
            emit_alt(out, &first);
            wx_buf_putc(out, '[');
            wx_buf_append(out, wx_buf_str(&ascii), ascii.len);
            wx_buf_putc(out, ']');
        }
        for (size_t i = 0; i < clean.n; i++) {
            unsigned lo = clean.r[i].lo, hi = clean.r[i].hi;
            if (hi >= 0x80)
                emit_utf8_range(out, lo < 0x80 ? 0x80 : lo, hi, &first);
        }
        wx_buf_putc(out, ')');
    }
    if (!wx_buf_ok(&ascii))
        out->failed = WX_E_NOMEM;
    wx_buf_free(&ascii);
    wx_free(clean.r);
}

static void emit_literal(wx_buf *out, unsigned cp)
{
    unsigned char b[4];
    size_t n = utf8_encode(cp, b);
    if (n == 1) {
        if (strchr(".[]()*+?{}|^$\\", (int)b[0]))
            wx_buf_putc(out, '\\');
        wx_buf_putc(out, (char)b[0]);
        return;
    }
    wx_buf_putc(out, '(');
    wx_buf_append(out, b, n);
    wx_buf_putc(out, ')');
}

/* ---------------------------------------------------------------- parsing */

/* \xHH, \uHHHH (with a following low surrogate) or \u{...}; *p at the backslash. */
static long read_hex_escape(const char **p)
{
    const char *s = *p + 1;
    int digits = *s == 'x' ? 2 : 4;
    s++;
    long cp = 0;
    if (digits == 4 && *s == '{') {
        s++;
        int n = 0;
        while (wx_hex_digit(*s) >= 0 && n < 6) {
            cp = cp * 16 + wx_hex_digit(*s++);
            n++;
        }
        if (*s != '}' || n == 0)
            return -1;
        s++;
    } else {
        for (int i = 0; i < digits; i++) {
            int h = wx_hex_digit(s[i]);
            if (h < 0)
                return -1;
            cp = cp * 16 + h;
        }
        s += digits;
    }
    if (cp >= 0xD800 && cp <= 0xDBFF && s[0] == '\\' && s[1] == 'u') {
        long lo = 0;
        int ok = 1;
        for (int i = 0; i < 4 && ok; i++) {
            int h = wx_hex_digit(s[2 + i]);
            if (h < 0)
                ok = 0;
            else
                lo = lo * 16 + h;
        }
        if (ok && lo >= 0xDC00 && lo <= 0xDFFF) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            s += 6;
        }
    }
    if (cp == 0 || cp > (long)WX_CP_MAX || (cp >= 0xD800 && cp <= 0xDFFF))
        return -1;
    *p = s;
    return cp;
}

static long control_escape(char c)
{
    switch (c) {
    case 't': return '\t';
    case 'n': return '\n';
    case 'r': return '\r';
    case 'f': return '\f';
    case 'v': return '\v';
    default: return -1;
    }
}

static int is_alnum_ascii(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* One UTF-8 character at *p; -1 for invalid UTF-8. */
static long read_utf8(const char **p)
{
    const unsigned char *u = (const unsigned char *)*p;
    if (u[0] < 0x80) {
        *p += 1;
        return u[0];
    }
    int len = u[0] >= 0xF8 ? 0 : u[0] >= 0xF0 ? 4 : u[0] >= 0xE0 ? 3 : u[0] >= 0xC0 ? 2 : 0;
    if (!len)
        return -1;
    long cp = u[0] & (0x3F >> (len - 1));
    for (int i = 1; i < len; i++) {
        if ((u[i] & 0xC0) != 0x80)
            return -1;
        cp = (cp << 6) | (u[i] & 0x3F);
    }
    *p += len;
    return cp;
}

/* A single character of a class (not a class escape): returns the code point, -1 on
 * error (with *why), -2 if *p is a class escape (\d ...) that the caller handles. */
static long class_char(const char **p, const char **why)
{
    const char *s = *p;
    if (*s != '\\') {
        long cp = read_utf8(p);
        if (cp < 0)
            *why = "invalid UTF-8 in pattern";
        return cp;
    }
    char e = s[1];
    if (strchr("dDwWsS", e) && e)
        return -2;
    if (e == 'x' || e == 'u') {
        long cp = read_hex_escape(p);
        if (cp < 0)
            *why = "invalid \\x or \\u escape";
        return cp;
    }
    if (e == 'b') {
        *p += 2;
        return '\b';
    }
    if (control_escape(e) >= 0) {
        *p += 2;
        return control_escape(e);
    }
    if (e && !is_alnum_ascii(e)) {
        *p += 2;
        return (unsigned char)e;
    }
    *why = "unsupported escape inside [...]";
    return -1;
}

static int class_escape(cpset *s, char e)
{
    switch (e) {
    case 'd': add_class_d(s); return 1;
    case 'w': add_class_w(s); return 1;
    case 's': add_class_s(s); return 1;
    case 'D': add_negated(s, add_class_d); return 1;
    case 'W': add_negated(s, add_class_w); return 1;
    case 'S': add_negated(s, add_class_s); return 1;
    default: return 0;
    }
}

static int translate_class(const char **pp, wx_buf *out, const char **why)
{
    const char *p = *pp + 1;
    int negate = 0;
    if (*p == '^') {
        negate = 1;
        p++;
    }
    cpset set = {0};
    int rc = 0;
    while (*p && *p != ']') {
        long lo = class_char(&p, why);
        if (lo == -2) {
            class_escape(&set, p[1]);
            p += 2;
            continue;
        }
        if (lo < 0) {
            rc = -1;
            break;
        }
        if (p[0] == '-' && p[1] && p[1] != ']') {
            const char *q = p + 1;
            long hi = class_char(&q, why);
            if (hi == -2) {
                /* [a-\d]: ECMA reads the '-' as a literal. */
                set_add(&set, (unsigned)lo, (unsigned)lo);
                set_add(&set, '-', '-');
                class_escape(&set, q[1]);
                p = q + 2;
                continue;
            }
            if (hi < 0) {
                rc = -1;
                break;
            }
            if (hi < lo) {
                *why = "range out of order inside [...]";
                rc = -1;
                break;
            }
            set_add(&set, (unsigned)lo, (unsigned)hi);
            p = q;
            continue;
        }
        set_add(&set, (unsigned)lo, (unsigned)lo);
    }
    if (rc == 0 && *p != ']') {
        *why = "missing ]";
        rc = -1;
    }
    if (rc == 0) {
        if (negate)
            set_negate(&set);
        emit_set(out, &set);
        if (set.nomem)
            out->failed = WX_E_NOMEM;
        *pp = p + 1;
    }
    wx_free(set.r);
    return rc;
}

int wx_ecma_to_ere(const char *src, wx_buf *out, const char **why)
{
    const char *p = src;
    int depth = 0;
    /* 1 when the last thing written can take a quantifier. */
    int atom = 0;
    while (*p) {
        char c = *p;
        if (c == '\\') {
            char e = p[1];
            if (!e) {
                *why = "pattern ends with a backslash";
                return -1;
            }
            cpset set = {0};
            if (class_escape(&set, e)) {
                emit_set(out, &set);
                if (set.nomem)
                    out->failed = WX_E_NOMEM;
                wx_free(set.r);
                p += 2;
                atom = 1;
                continue;
            }
            if (e == 'b' || e == 'B') {
                wx_buf_putc(out, '\\');
                wx_buf_putc(out, e);
                p += 2;
                atom = 0;
                continue;
            }
            if (e >= '1' && e <= '9') {
                *why = "backreferences are not supported";
                return -1;
            }
            long cp;
            if (e == 'x' || e == 'u') {
                cp = read_hex_escape(&p);
                if (cp < 0) {
                    *why = "invalid \\x or \\u escape";
                    return -1;
                }
            } else if (control_escape(e) >= 0) {
                cp = control_escape(e);
                p += 2;
            } else if (!is_alnum_ascii(e)) {
                cp = (unsigned char)e;
                p += 2;
            } else {
                *why = "unsupported escape";
                return -1;
            }
            emit_literal(out, (unsigned)cp);
            atom = 1;
            continue;
        }
        if (c == '[') {
            if (translate_class(&p, out, why) != 0)
                return -1;
            atom = 1;
            continue;
        }
        if (c == '(') {
            if (p[1] == '?') {
                if (p[2] != ':') {
                    *why = p[2] == '=' || p[2] == '!' || p[2] == '<'
                               ? "lookaround and named groups are not supported"
                               : "unsupported group";
                    return -1;
                }
                p += 2;
            }
            depth++;
            wx_buf_putc(out, '(');
            p++;
            atom = 0;
            continue;
        }
        if (c == ')') {
            if (depth == 0) {
                *why = "unbalanced )";
                return -1;
            }
            depth--;
            wx_buf_putc(out, ')');
            p++;
            atom = 1;
            continue;
        }
        if (c == '.') {
            cpset set = {0};
            set_add(&set, '\n', '\n');
            set_add(&set, '\r', '\r');
            set_add(&set, 0x2028, 0x2029);
            set_negate(&set);
            emit_set(out, &set);
            if (set.nomem)
                out->failed = WX_E_NOMEM;
            wx_free(set.r);
            p++;
            atom = 1;
            continue;
        }
        if (c == '*' || c == '+' || c == '?') {
            if (!atom) {
                *why = "nothing to repeat";
                return -1;
            }
            wx_buf_putc(out, c);
            p++;
            if (*p == '?')
                p++; /* lazy */
            atom = 0;
            continue;
        }
        if (c == '{') {
            const char *q = p + 1;
            int digits = 0;
            while (*q >= '0' && *q <= '9') {
                q++;
                digits++;
            }
            int ok = digits > 0;
            if (ok && *q == ',') {
                q++;
                while (*q >= '0' && *q <= '9')
                    q++;
            }
            if (ok && *q == '}') {
                if (!atom) {
                    *why = "nothing to repeat";
                    return -1;
                }
                /* RE_DUP_MAX bounds counts; larger ones would fail in regcomp anyway. */
                wx_buf_append(out, p, (size_t)(q - p + 1));
                p = q + 1;
                if (*p == '?')
                    p++;
                atom = 0;
                continue;
            }
            wx_buf_puts(out, "\\{");
            p++;
            atom = 1;
            continue;
        }
        if (c == '}' || c == ']') {
            emit_literal(out, (unsigned char)c);
            p++;
            atom = 1;
            continue;
        }
        if (c == '|' || c == '^' || c == '$') {
            wx_buf_putc(out, c);
            p++;
            atom = 0;
            continue;
        }
        long cp = read_utf8(&p);
        if (cp < 0) {
            *why = "invalid UTF-8 in pattern";
            return -1;
        }
        emit_literal(out, (unsigned)cp);
        atom = 1;
    }
    if (depth != 0) {
        *why = "unbalanced (";
        return -1;
    }
    if (!wx_buf_ok(out)) {
        *why = "out of memory";
        return -1;
    }
    return 0;
}

int wx_regex_compile(wx_regex *r, const char *src, char *why, size_t why_size)
{
    wx_buf ere = WX_BUF_INIT;
    const char *reason = NULL;
    if (wx_ecma_to_ere(src, &ere, &reason) != 0) {
        int nomem = !wx_buf_ok(&ere);
        snprintf(why, why_size, "%s", nomem ? "out of memory" : reason ? reason : "unsupported pattern");
        wx_buf_free(&ere);
        return nomem ? -2 : -1;
    }
    locale_t old = enter_c();
    int rc = regcomp(&r->re, wx_buf_str(&ere), REG_EXTENDED | REG_NOSUB);
    if (rc != 0) {
        char msg[128];
        regerror(rc, &r->re, msg, sizeof msg);
        /* regerror's text starts with a capital; ours are lower-case. */
        if (msg[0] >= 'A' && msg[0] <= 'Z')
            msg[0] = (char)(msg[0] - 'A' + 'a');
        snprintf(why, why_size, "%s", msg);
    }
    leave_c(old);
    wx_buf_free(&ere);
    return rc == 0 ? 0 : -1;
}

int wx_regex_search(const wx_regex *r, const char *s, size_t len)
{
    locale_t old = enter_c();
#ifdef REG_STARTEND
    /* The end comes from len, so a NUL does not hide what follows it. */
    regmatch_t range = {0, (regoff_t)len};
    int rc = regexec(&r->re, s, 1, &range, REG_STARTEND);
#else
    /* Without REG_STARTEND the text after a NUL cannot be searched: refuse it. */
    int rc = memchr(s, 0, len) ? REG_NOMATCH : regexec(&r->re, s, 0, NULL, 0);
#endif
    leave_c(old);
    return rc == 0;
}

void wx_regex_free_list(wx_regex *list)
{
    while (list) {
        wx_regex *next = list->next;
        regfree(&list->re);
        list = next;
    }
}
