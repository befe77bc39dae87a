#include "cli_util.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

/* ------------------------------------------------------------------ messages */

static void prefix(const char *cmd)
{
    if (cmd)
        fprintf(stderr, "wxpay %s: ", cmd);
    else
        fputs("wxpay: ", stderr);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    prefix(cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (cmd)
        fprintf(stderr, " (wxpay %s --help for usage)\n", cmd);
    else
        fputs(" (wxpay --help for usage)\n", stderr);
    return CLI_EXIT_USAGE;
}

int cli_fail(int code, const char *cmd, const char *fmt, ...)
{
    va_list ap;
    prefix(cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return code;
}

int cli_fail_err(int code, const char *cmd, const char *pfx, const wx_error_t *err)
{
    prefix(cmd);
    const char *msg = err && err->message[0] ? err->message : wx_strerror(err ? err->code : WX_OK);
    if (pfx && *pfx && !strstr(msg, pfx))
        fprintf(stderr, "%s: ", pfx);
    fputs(msg, stderr);
    if (err && err->where[0] && !strstr(msg, err->where))
        fprintf(stderr, " (at %s)", err->where);
    fputc('\n', stderr);
    return code;
}

/* ------------------------------------------------------------------ options */

/* getopt_long() values: an option of the table is CLI_LONG_BASE + its index, above
 * every short option character. */
enum { CLI_LONG_BASE = 256, CLI_HELP_VALUE = 255 };

void cli_parser_init(cli_parser *p, const char *cmd, int argc, char **argv, int first)
{
    memset(p, 0, sizeof *p);
    p->cmd = cmd;
    /* getopt_long() takes its element 0 for the program name */
    p->argc = argc - first + 1;
    p->argv = argv + first - 1;
}

static const cli_option *find_short(const cli_option *opts, int c)
{
    for (; opts->long_name || opts->short_name; opts++)
        if (opts->short_name && opts->short_name == c)
            return opts;
    return NULL;
}

/* The getopt_long() tables for @p opts, and a fresh scan of the arguments. */
static void start(cli_parser *p, const cli_option *opts)
{
    size_t s = 0, n = 0;
    /* '-': positional arguments come back in order (as 1); ':': a missing value is ':' */
    p->shortopts[s++] = '-';
    p->shortopts[s++] = ':';
    p->shortopts[s++] = 'h';
    for (size_t i = 0; (opts[i].long_name || opts[i].short_name) && n < CLI_MAX_OPTIONS; i++) {
        if (opts[i].short_name && s + 3 < sizeof p->shortopts) {
            p->shortopts[s++] = opts[i].short_name;
            if (opts[i].has_value)
                p->shortopts[s++] = ':';
        }
        if (opts[i].long_name)
            p->longopts[n++] = (struct option){opts[i].long_name,
                                               opts[i].has_value ? required_argument : no_argument,
                                               NULL, CLI_LONG_BASE + (int)i};
    }
    p->longopts[n++] = (struct option){"help", no_argument, NULL, CLI_HELP_VALUE};
    p->longopts[n] = (struct option){0};
    p->shortopts[s] = 0;
    optind = 0; /* glibc: start a new scan */
    opterr = 0; /* the messages below name the command */
    p->started = 1;
}

/* The usage error for getopt_long()'s '?' (an unknown option, or a value given to an
 * option that takes none) and ':' (a missing value), named as the user wrote it. */
static int bad_option(const cli_parser *p, const cli_option *opts, int missing)
{
    const char *a = p->argv[optind - 1];
    if (a[0] == '-' && a[1] == '-') {
        const char *name = a + 2, *eq = strchr(name, '=');
        int len = eq ? (int)(eq - name) : (int)strlen(name);
        if (missing)
            cli_usage_error(p->cmd, "option --%.*s needs a value", len, name);
        else if (eq && optopt)
            cli_usage_error(p->cmd, "option --%.*s takes no value", len, name);
        else
            cli_usage_error(p->cmd, "unknown option --%.*s", len, name);
    } else if (missing) {
        cli_usage_error(p->cmd, "option -%c needs a value", optopt);
    } else {
        cli_usage_error(p->cmd, "unknown option -%c", optopt);
    }
    (void)opts;
    return CLI_BAD;
}

int cli_next(cli_parser *p, const cli_option *opts)
{
    p->value = NULL;
    if (!p->started)
        start(p, opts);
    if (p->no_more_options) { /* after "--" every argument is positional */
        if (p->next >= p->argc)
            return CLI_END;
        p->value = p->argv[p->next++];
        return CLI_POSITIONAL;
    }
    int c = getopt_long(p->argc, p->argv, p->shortopts, p->longopts, NULL);
    switch (c) {
    case -1: /* the end, or "--" */
        p->no_more_options = 1;
        p->next = optind;
        return cli_next(p, opts);
    case 1:
        p->value = optarg;
        return CLI_POSITIONAL;
    case 'h':
    case CLI_HELP_VALUE:
        return CLI_HELP;
    case '?':
    case ':':
        return bad_option(p, opts, c == ':');
    default:
        break;
    }
    const cli_option *o = c >= CLI_LONG_BASE ? &opts[c - CLI_LONG_BASE] : find_short(opts, c);
    if (!o)
        return bad_option(p, opts, 0);
    p->value = o->has_value ? optarg : NULL;
    return o->id;
}

/* ------------------------------------------------------------------ input */

int cli_read_input(const char *cmd, const char *path, char **data, size_t *len)
{
    int from_stdin = !path || !strcmp(path, "-");
    const char *name = from_stdin ? "standard input" : path;
    *data = NULL;
    if (len)
        *len = 0;
    FILE *f = from_stdin ? stdin : fopen(path, "rb");
    if (!f)
        return cli_fail(CLI_EXIT_USAGE, cmd, "cannot read %s: %s", name, strerror(errno));
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    int rc = CLI_EXIT_OK;
    while (buf) {
        if (cap - n < 2) {
            char *b = cap < ((size_t)1 << 30) ? realloc(buf, cap * 2) : NULL;
            if (!b) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = b;
            cap *= 2;
        }
        size_t r = fread(buf + n, 1, cap - n - 1, f);
        n += r;
        if (r == 0)
            break;
    }
    if (!buf)
        rc = cli_fail(CLI_EXIT_USAGE, cmd, "cannot read %s: too large or out of memory", name);
    else if (ferror(f))
        rc = cli_fail(CLI_EXIT_USAGE, cmd, "cannot read %s: %s", name, strerror(errno));
    if (!from_stdin)
        fclose(f);
    if (rc != CLI_EXIT_OK) {
        free(buf);
        return rc;
    }
    buf[n] = 0;
    *data = buf;
    if (len)
        *len = n;
    return CLI_EXIT_OK;
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

int cli_parse_json(const char *cmd, const char *what, const char *text, size_t len,
                   struct json_object **out)
{
    *out = NULL;
    size_t start = 0;
    while (start < len && is_space(text[start]))
        start++;
    if (start == len)
        return cli_fail(CLI_EXIT_USAGE, cmd, "%s: malformed JSON: empty input", what);
    if (len - start > (size_t)0x7fffffff)
        return cli_fail(CLI_EXIT_USAGE, cmd, "%s: too large", what);
    json_tokener *tok = json_tokener_new();
    if (!tok)
        return cli_fail(CLI_EXIT_USAGE, cmd, "out of memory");
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    struct json_object *v = json_tokener_parse_ex(tok, text + start, (int)(len - start));
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    size_t end = start + json_tokener_get_parse_end(tok);
    if (jerr == json_tokener_continue) {
        /* A bare number is only complete once the parser sees what follows it. */
        v = json_tokener_parse_ex(tok, "", 1);
        jerr = json_tokener_get_error(tok);
        if (jerr == json_tokener_success)
            end = len;
    }
    json_tokener_free(tok);
    if (jerr == json_tokener_continue)
        return cli_fail(CLI_EXIT_USAGE, cmd, "%s: malformed JSON: ends early at offset %zu",
                        what, len);
    if (jerr != json_tokener_success)
        return cli_fail(CLI_EXIT_USAGE, cmd, "%s: malformed JSON at offset %zu: %s", what, end,
                        json_tokener_error_desc(jerr));
    while (end < len && is_space(text[end]))
        end++;
    if (end < len) {
        json_object_put(v);
        return cli_fail(CLI_EXIT_USAGE, cmd, "%s: malformed JSON at offset %zu: text after the value",
                        what, end);
    }
    *out = v;
    return CLI_EXIT_OK;
}

int cli_parse_method(const char *s, wx_method *m)
{
    static const wx_method all[] = {WX_GET, WX_POST, WX_PUT, WX_PATCH, WX_DELETE};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (!strcasecmp(s, wx_method_name(all[i]))) {
            *m = all[i];
            return 1;
        }
    return 0;
}

int cli_check_target(const char *cmd, const char *method, const char *path, wx_method *m)
{
    if (!method)
        return cli_usage_error(cmd, "missing METHOD PATH");
    /* In the request form the first word may be a mistyped command. */
    if (!cli_parse_method(method, m))
        return cli_usage_error(cmd, "unknown %s \"%s\" (methods: GET, POST, PUT, PATCH, DELETE)",
                               cmd ? "method" : "command or method", method);
    if (!path)
        return cli_usage_error(cmd, "missing PATH after %s", method);
    if (strchr(path, '?'))
        return cli_usage_error(cmd, "PATH \"%s\" has a query: give it as --query NAME=VALUE",
                               path);
    return CLI_EXIT_OK;
}

int cli_require_config(const char *cmd, const char *config)
{
    const char *env = getenv("WXPAY_CONFIG");
    if (config || (env && *env))
        return CLI_EXIT_OK;
    return cli_usage_error(cmd, "no configuration: give -c CONFIG.json or set WXPAY_CONFIG "
                                "(wxpay keys gen DIR makes one for the sandbox)");
}

/* ------------------------------------------------------------------ name/value lists */

static int kvs_push(cli_kvs *l, char *key, char *value)
{
    if (l->count + 2 > l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        wx_kv_t *items = realloc(l->items, cap * sizeof *items);
        if (!items)
            return -1;
        l->items = items;
        l->cap = cap;
    }
    l->items[l->count++] = (wx_kv_t){key, value};
    l->items[l->count] = (wx_kv_t){NULL, NULL};
    return 0;
}

static int kvs_add(cli_kvs *l, const char *cmd, const char *key, size_t key_len,
                   const char *value, size_t value_len)
{
    char *k = malloc(key_len + 1), *v = malloc(value_len + 1);
    if (!k || !v || kvs_push(l, k, v) != 0) {
        free(k);
        free(v);
        return cli_fail(CLI_EXIT_USAGE, cmd, "out of memory");
    }
    memcpy(k, key, key_len);
    k[key_len] = 0;
    memcpy(v, value, value_len);
    v[value_len] = 0;
    return CLI_EXIT_OK;
}

int cli_kvs_add_pair(cli_kvs *l, const char *cmd, const char *option, const char *arg)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg)
        return cli_usage_error(cmd, "%s wants NAME=VALUE, got \"%s\"", option, arg);
    return kvs_add(l, cmd, arg, (size_t)(eq - arg), eq + 1, strlen(eq + 1));
}

int cli_kvs_add_header(cli_kvs *l, const char *cmd, const char *arg)
{
    const char *colon = strchr(arg, ':');
    size_t name_len = colon ? (size_t)(colon - arg) : 0;
    while (name_len && (arg[name_len - 1] == ' ' || arg[name_len - 1] == '\t'))
        name_len--;
    if (!colon || name_len == 0)
        return cli_usage_error(cmd, "--header wants 'Name: value', got \"%s\"", arg);
    const char *v = colon + 1;
    size_t vlen = strlen(v);
    while (vlen && (*v == ' ' || *v == '\t')) {
        v++;
        vlen--;
    }
    while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
        vlen--;
    return kvs_add(l, cmd, arg, name_len, v, vlen);
}

const wx_kv_t *cli_kvs_items(cli_kvs *l)
{
    if (!l->items) {
        l->items = calloc(8, sizeof *l->items);
        if (!l->items)
            return NULL;
        l->cap = 8;
    }
    return l->items;
}

void cli_kvs_free(cli_kvs *l)
{
    for (size_t i = 0; i < l->count; i++) {
        free((char *)l->items[i].key);
        free((char *)l->items[i].value);
    }
    free(l->items);
    memset(l, 0, sizeof *l);
}

int cli_strs_add(cli_strs *l, const char *s)
{
    const char **items = realloc(l->items, (l->count + 2) * sizeof *items);
    if (!items)
        return -1;
    items[l->count++] = s;
    items[l->count] = NULL;
    l->items = items;
    return 0;
}

void cli_strs_free(cli_strs *l)
{
    free(l->items);
    memset(l, 0, sizeof *l);
}

/* ------------------------------------------------------------------ output */

int cli_write_stdout(const void *data, size_t len)
{
    if (len && fwrite(data, 1, len, stdout) != len) {
        fprintf(stderr, "wxpay: cannot write the output: %s\n", strerror(errno));
        return -1;
    }
    return 0;
}

int cli_finish(int code)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "wxpay: cannot write the output: %s\n", strerror(errno));
        return code ? code : CLI_EXIT_FAIL;
    }
    return code;
}
