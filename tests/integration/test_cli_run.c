#define _GNU_SOURCE
#include "test_cli_run.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

static const char *transcript(void)
{
    static char path[600];
    if (!path[0]) {
        snprintf(path, sizeof path, "%s/cli-transcript-%ld.log", WX_TEST_TMP, (long)getpid());
        unlink(path); /* a leftover of an earlier process with the same id */
    }
    return path;
}

/* WX_CLI_WRAPPER="/usr/bin/valgrind -q --error-exitcode=99 --leak-check=full" runs every
 * wxpay under that command (split at spaces), so the tool itself gets checked. */
static int add_wrapper(const char **argv, char *buf, size_t size)
{
    const char *w = getenv("WX_CLI_WRAPPER");
    int n = 0;
    if (!w || !*w)
        return 0;
    snprintf(buf, size, "%s", w);
    for (char *t = strtok(buf, " "); t && n < 16; t = strtok(NULL, " "))
        argv[n++] = t;
    return n;
}

cli_result cli_runv(const char *in, const char *const *args)
{
    const char *argv[80];
    char wrapper[512];
    int n = add_wrapper(argv, wrapper, sizeof wrapper);
    argv[n++] = WXPAY_BIN;
    for (int i = 0; args[i] && n < 79; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    cli_result r = {0};
    r.rc = wxt_run((char *const *)argv, in, in ? strlen(in) : 0, &r.out, &r.err);
    /* Only what the tool printed goes to the transcript: arguments may hold secrets
     * the test passed in on purpose (an APIv3 key). */
    FILE *f = fopen(transcript(), "a");
    if (f) {
        fputs(r.out, f);
        fputs(r.err, f);
        fclose(f);
    }
    return r;
}

cli_result cli_run_in(const char *in, const char *arg, ...)
{
    const char *args[64];
    int n = 0;
    va_list ap;
    va_start(ap, arg);
    for (const char *a = arg; a && n < 63; a = va_arg(ap, const char *))
        args[n++] = a;
    va_end(ap);
    args[n] = NULL;
    return cli_runv(in, args);
}

void cli_result_free(cli_result *r)
{
    free(r->out);
    free(r->err);
    memset(r, 0, sizeof *r);
}

static void show(const cli_result *r)
{
    print_message("exit %d\n--- stdout ---\n%s\n--- stderr ---\n%s\n", r->rc, r->out, r->err);
}

void cli_expect(const cli_result *r, int rc, const char *out, const char *err_part)
{
    if (r->rc != rc || (out && strcmp(r->out, out)) || (err_part && !strstr(r->err, err_part))) {
        show(r);
        print_message("expected exit %d%s%s%s%s\n", rc, out ? ", stdout " : "", out ? out : "",
                      err_part ? ", stderr with " : "", err_part ? err_part : "");
        fail();
    }
}

void cli_expect_usage_error(const cli_result *r, const char *err_part)
{
    cli_expect(r, 2, "", err_part);
    if (cli_count_lines(r->err, "") != 1 || !strstr(r->err, "--help")) {
        show(r);
        fail_msg("a usage error is one line on stderr that points to --help");
    }
}

int cli_count_lines(const char *text, const char *part)
{
    int n = 0;
    const char *s = text;
    while (*s) {
        const char *nl = strchr(s, '\n');
        size_t len = nl ? (size_t)(nl - s) : strlen(s);
        char *line = strndup(s, len);
        if (strstr(line, part))
            n++;
        free(line);
        s += len + (nl ? 1 : 0);
    }
    return n;
}

const char *cli_data(const char *name)
{
    /* a few buffers in turn, so one call's arguments may hold several of these */
    static char paths[4][1024];
    static unsigned next;
    char *path = paths[next++ % 4];
    snprintf(path, sizeof paths[0], "%s/tests/data/cli/%s", WX_SOURCE_DIR, name);
    return path;
}

/* Every base64 line of every private key PEM in @p dir, and the PEM marker. */
static int write_patterns(const char *dir, FILE *out)
{
    int n = 0;
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 4 || strcmp(e->d_name + len - 4, ".pem"))
            continue;
        char *p = wxt_path(dir, e->d_name);
        char *pem = wxt_read_file(p, NULL);
        free(p);
        if (pem && strstr(pem, "PRIVATE KEY-----")) {
            for (char *line = strtok(pem, "\n"); line; line = strtok(NULL, "\n"))
                if (strncmp(line, "-----", 5) && strlen(line) >= 40) {
                    fprintf(out, "%s\n", line);
                    n++;
                }
        }
        free(pem);
    }
    closedir(d);
    fputs("PRIVATE KEY-----\n", out);
    return n;
}

void cli_assert_no_secrets(void)
{
    const char *keys = wxt_keys_dir();
    char pat[700];
    snprintf(pat, sizeof pat, "%s/cli-secrets-%ld.txt", WX_TEST_TMP, (long)getpid());
    FILE *f = fopen(pat, "w");
    assert_non_null(f);
    int lines = write_patterns(keys, f);
    char *cfg = wxt_path(keys, "CONFIG.json");
    struct json_object *c = json_object_from_file(cfg), *v;
    assert_non_null(c);
    assert_true(json_object_object_get_ex(c, "apiv3_key", &v));
    fprintf(f, "%s\n", json_object_get_string(v));
    json_object_put(c);
    fclose(f);
    assert_true(lines > 40); /* three 2048-bit keys */

    /* The patterns do find a key (so a clean result below means something) ... */
    char *key = wxt_path(keys, "merchant_key.pem");
    assert_int_equal(wxt_sh(NULL, NULL, "grep -q -F -f '%s' '%s'", pat, key), 0);
    assert_int_equal(wxt_sh(NULL, NULL, "grep -q -F -f '%s' '%s'", pat, cfg), 0);
    free(key);
    free(cfg);
    /* ... and nothing the tool printed in this process's runs matches them. */
    size_t len = 0;
    char *t = wxt_read_file(transcript(), &len);
    assert_non_null(t);
    assert_true(len > 0);
    free(t);
    char *count = NULL;
    int rc = wxt_sh(&count, NULL, "grep -c -F -f '%s' '%s'", pat, transcript());
    if (rc != 1)
        fail_msg("%s: %s line(s) of the tool's output hold private key material (grep exit %d)",
                 transcript(), count, rc);
    free(count);
    unlink(pat);
}
