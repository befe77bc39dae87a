/* JSON Schema `pattern` (ECMA-262) with PCRE2.
 *
 * The compile options give PCRE2 ECMAScript's reading of a pattern: UTF-8 (a character,
 * not a byte, is what `.` and `{2,4}` count), \uHHHH and \xHH escapes (ALT_BSUX, and \u{...}
 * with EXTRA_ALT_BSUX), `$` only at the very end (DOLLAR_ENDONLY), `[]` and `[^]` as the
 * empty and the full class (ALLOW_EMPTY_CLASS), a backreference to a group that did not
 * take part matching the empty string (MATCH_UNSET_BACKREF), and line terminators (LF, CR,
 * U+2028, U+2029 ...) not matched by `.`. \d \w \b stay ASCII as in ECMAScript. A subject that
 * is not valid UTF-8 is matched as far as it is valid (MATCH_INVALID_UTF), never an error.
 *
 * Each pattern is compiled once, with its spec set (JIT where the machine has it). Matching
 * is bounded: a match limit and a depth limit stop a catastrophic pattern (`^(a+)+$`) from
 * holding a request; the search then reports WX_REGEX_TOO_COSTLY. */
#include "spec/spec_impl.h"

#include <stdio.h>

#include "util/alloc.h"

/* JIT code reads memory in ways memcheck cannot follow (false "uninitialised value"
 * reports), so under valgrind the interpreter runs the same patterns. */
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define WX_UNDER_VALGRIND() RUNNING_ON_VALGRIND
#endif
#endif
#ifndef WX_UNDER_VALGRIND
#define WX_UNDER_VALGRIND() 0
#endif

/* Backtracking steps and nested backtracking points one search may take: far above what
 * any sane pattern needs on a field of a few hundred characters, far below a hang. */
#define WX_REGEX_MATCH_LIMIT 200000u
#define WX_REGEX_DEPTH_LIMIT 2000u

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static pcre2_compile_context *g_compile_ctx;
static pcre2_match_context *g_match_ctx;

static void make_contexts(void)
{
    g_compile_ctx = pcre2_compile_context_create(NULL);
    if (g_compile_ctx) {
        pcre2_set_compile_extra_options(g_compile_ctx, PCRE2_EXTRA_ALT_BSUX);
        pcre2_set_newline(g_compile_ctx, PCRE2_NEWLINE_ANY);
    }
    g_match_ctx = pcre2_match_context_create(NULL);
    if (g_match_ctx) {
        pcre2_set_match_limit(g_match_ctx, WX_REGEX_MATCH_LIMIT);
        pcre2_set_depth_limit(g_match_ctx, WX_REGEX_DEPTH_LIMIT);
    }
}

int wx_regex_compile(wx_regex *r, const char *src, char *why, size_t why_size)
{
    pthread_once(&g_once, make_contexts);
    if (!g_compile_ctx || !g_match_ctx) {
        snprintf(why, why_size, "out of memory");
        return -2;
    }
    const uint32_t opts = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_ALT_BSUX |
                          PCRE2_DOLLAR_ENDONLY | PCRE2_ALLOW_EMPTY_CLASS |
                          PCRE2_MATCH_UNSET_BACKREF | PCRE2_NEVER_BACKSLASH_C;
    int code;
    PCRE2_SIZE offset;
    r->code = pcre2_compile((PCRE2_SPTR)src, PCRE2_ZERO_TERMINATED, opts, &code, &offset,
                            g_compile_ctx);
    if (!r->code) {
        if (code == PCRE2_ERROR_HEAPLIMIT || code == PCRE2_ERROR_NOMEMORY) {
            snprintf(why, why_size, "out of memory");
            return -2;
        }
        PCRE2_UCHAR msg[160];
        pcre2_get_error_message(code, msg, sizeof msg);
        snprintf(why, why_size, "%s at offset %zu", (const char *)msg, (size_t)offset);
        return -1;
    }
    /* Without JIT (an unsupported machine, or no executable memory) the interpreter runs
     * the same pattern under the same limits. */
    if (!WX_UNDER_VALGRIND())
        (void)pcre2_jit_compile(r->code, PCRE2_JIT_COMPLETE);
    r->next = NULL;
    return 0;
}

int wx_regex_search(const wx_regex *r, const char *s, size_t len)
{
    pcre2_match_data *md = pcre2_match_data_create(1, NULL);
    if (!md)
        return WX_REGEX_TOO_COSTLY; /* cannot decide: never a silent pass */
    int rc = pcre2_match(r->code, (PCRE2_SPTR)s, len, 0, 0, md, g_match_ctx);
    pcre2_match_data_free(md);
    if (rc >= 0)
        return 1;
    if (rc == PCRE2_ERROR_NOMATCH)
        return 0;
    return WX_REGEX_TOO_COSTLY;
}

void wx_regex_free_list(wx_regex *list)
{
    while (list) {
        wx_regex *next = list->next;
        pcre2_code_free(list->code);
        list = next;
    }
}
