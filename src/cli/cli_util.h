/* What the wxpay subcommands share: exit codes, option parsing, reading inputs
 * (files, '-' for stdin), name/value lists and the one-line error messages.
 * Only the public API and json-c are used here, as everywhere in src/cli/. */
#ifndef WXPAY_CLI_UTIL_H
#define WXPAY_CLI_UTIL_H

#include <stddef.h>
#include <stdio.h>
#include <getopt.h>

#include <wechatpay/wechatpay.h>

struct json_object;

/* The process exit codes every command uses (the README lists them under "Exit codes"). */
enum {
    CLI_EXIT_OK = 0,         /* success, valid, verified 2xx */
    CLI_EXIT_FAIL = 1,       /* a verified failure: invalid instance, HTTP error, lint errors */
    CLI_EXIT_USAGE = 2,      /* usage or bad input; nothing was sent */
    CLI_EXIT_UNVERIFIED = 3  /* a signature, tag or response that does not verify */
};

/* ------------------------------------------------------------------ options */

/* One entry of an option table; the table ends with a zero entry. */
typedef struct cli_option {
    const char *long_name; /* "spec-dir" for --spec-dir, NULL for none */
    char short_name;       /* 'c' for -c, 0 for none */
    int has_value;         /* 1: takes a value (--x V, --x=V, -cV) */
    int id;                /* returned by cli_next(); must be >= 0 */
} cli_option;

/* cli_next() results besides an option id. */
enum { CLI_END = -1, CLI_POSITIONAL = -2, CLI_BAD = -3, CLI_HELP = -4 };

/* Most options a table may have. */
#define CLI_MAX_OPTIONS 48

/* A scan of the arguments with getopt_long(): options and positional arguments in the
 * order given, "--" ending the options; short options may be grouped (-iv) and long ones
 * abbreviated while unambiguous, as getopt_long() allows. One scan at a time (getopt's
 * state is global). */
typedef struct cli_parser {
    const char *cmd;      /* "expand", or NULL for the request mode (messages) */
    int argc;
    char **argv;          /* argv[0] stands for the program name, as getopt wants */
    int next;             /* after "--": index of the next positional argument */
    int no_more_options;  /* after "--" */
    int started;
    const char *value;    /* the option's value or the positional argument */
    struct option longopts[CLI_MAX_OPTIONS + 2];
    char shortopts[3 * CLI_MAX_OPTIONS + 4];
} cli_parser;

/* Parse argv[first..argc-1]. */
void cli_parser_init(cli_parser *p, const char *cmd, int argc, char **argv, int first);

/* The next option id, CLI_POSITIONAL (p->value is the argument; "-" is one),
 * CLI_HELP for -h/--help, CLI_END, or CLI_BAD after printing a usage error. */
int cli_next(cli_parser *p, const cli_option *opts);

/* ------------------------------------------------------------------ messages */

/* "wxpay CMD: MESSAGE (wxpay CMD --help for usage)" on stderr; returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "wxpay CMD: MESSAGE" on stderr; returns @p code. */
int cli_fail(int code, const char *cmd, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* "wxpay CMD: [PREFIX: ]MESSAGE" for a library error; PREFIX (a file name, say) and
 * err->where are each left out when the message already names them. Returns @p code. */
int cli_fail_err(int code, const char *cmd, const char *prefix, const wx_error_t *err);

/* ------------------------------------------------------------------ input */

/* Read all of @p path (NULL or "-": standard input) into a NUL-terminated buffer
 * (free()). Prints the reason and returns CLI_EXIT_USAGE when it cannot. */
int cli_read_input(const char *cmd, const char *path, char **data, size_t *len);

/* Parse @p len bytes of JSON text; the whole input must be one value (surrounding
 * whitespace allowed). @p what names the input in messages ("body", "SCHEMA.json").
 * On success *out is the value (NULL for a JSON null; json_object_put() it).
 * Prints "WHAT: malformed JSON at offset N: reason" and returns CLI_EXIT_USAGE. */
int cli_parse_json(const char *cmd, const char *what, const char *text, size_t len,
                   struct json_object **out);

/* 1 when @p s is a method wx_method knows, case-insensitively; *m receives it. */
int cli_parse_method(const char *s, wx_method *m);

/* The METHOD PATH of the request form and of bench: both given, a known method (into
 * *m) and no query in PATH. Returns CLI_EXIT_OK or the usage error it printed. */
int cli_check_target(const char *cmd, const char *method, const char *path, wx_method *m);

/* CLI_EXIT_OK when -c gave @p config or WXPAY_CONFIG is set, else a usage error
 * (wx_client_new_from_config() reads WXPAY_CONFIG when @p config is NULL). */
int cli_require_config(const char *cmd, const char *config);

/* ------------------------------------------------------------------ name/value lists */

/* A growable list that is always terminated by {NULL, NULL}, as the API wants. */
typedef struct cli_kvs {
    wx_kv_t *items;
    size_t count, cap;
} cli_kvs;

/* Add "k=v" (--var, --query); the key must not be empty. Returns 0, or prints a
 * usage error naming @p option and returns CLI_EXIT_USAGE. */
int cli_kvs_add_pair(cli_kvs *l, const char *cmd, const char *option, const char *arg);
/* Add "Name: value" (--header); spaces around the value are dropped. */
int cli_kvs_add_header(cli_kvs *l, const char *cmd, const char *arg);
/* The terminated array (an empty list gives a valid {NULL, NULL} array), or NULL
 * if even that could not be allocated. */
const wx_kv_t *cli_kvs_items(cli_kvs *l);
void cli_kvs_free(cli_kvs *l);

/* A growable NULL-terminated list of borrowed strings (--spec-dir). */
typedef struct cli_strs {
    const char **items;
    size_t count;
} cli_strs;
int cli_strs_add(cli_strs *l, const char *s); /* 0, or -1 when out of memory */
void cli_strs_free(cli_strs *l);

/* ------------------------------------------------------------------ output */

/* Write @p len bytes to stdout; 0 on success, -1 (after a message) on a write error. */
int cli_write_stdout(const void *data, size_t len);
/* Flush stdout at the end of a command: @p code, or CLI_EXIT_FAIL when output was
 * lost (a full disk, a closed pipe). */
int cli_finish(int code);

#endif
