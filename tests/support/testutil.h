/* Helpers shared by the tests: temporary folders, running commands (the `openssl`
 * command line, the `wxpay` tool), and starting the sandbox server on loopback. */
#ifndef WX_TESTUTIL_H
#define WX_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sys/types.h>

/* A fresh empty directory under the build tree's test-tmp/ (malloc'd path). */
char *wxt_tmpdir(const char *name);
/* Write/read a whole file. wxt_read_file returns malloc'd, NUL-terminated data. */
void wxt_write_file(const char *path, const void *data, size_t len);
char *wxt_read_file(const char *path, size_t *len);
/* "dir/name" (malloc'd). */
char *wxt_path(const char *dir, const char *name);

/* Run argv (argv[0] a path), feeding stdin_data (may be NULL), capturing stdout and
 * stderr (malloc'd, NUL-terminated; pass NULL to discard). Returns the exit status,
 * or 128+signal if it was killed by a signal. */
int wxt_run(char *const argv[], const char *stdin_data, size_t stdin_len, char **out,
            char **errout);
/* As wxt_run with a printf-built shell command line run by /bin/sh -c. */
int wxt_sh(char **out, char **errout, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* A sandbox server (`wxpay mock`) on a free loopback port. */
typedef struct wxt_mock {
    pid_t pid;
    int port;
    char base_url[64];  /* "http://127.0.0.1:PORT/" ("https://..." with --tls) */
    char *keys_dir;     /* directory made by `wxpay keys gen` */
    char *config;       /* keys_dir/CONFIG.json */
    char *log;          /* the server's captured stdout+stderr file */
} wxt_mock;

/* Generate keys (once per process, cached in a tmp dir) and start `wxpay mock` with
 * the given extra arguments (NULL-terminated, may be NULL). Waits for the
 * "listening on" line. Fails the test if it cannot start. */
void wxt_mock_start(wxt_mock *m, const char *const *extra_args);
/* Send SIGTERM, wait, free. Returns the server's exit status. */
int wxt_mock_stop(wxt_mock *m);
/* Keys directory made once per process by `wxpay keys gen` (static string). */
const char *wxt_keys_dir(void);

/* Location of the community OpenAPI sample package (env WX_OPENAPI_SAMPLE, else
 * ../shared/openapi-sample beside the project root); NULL, after saying on stderr where it
 * looked, if it is not there: a test that needs it then fails. */
const char *wxt_openapi_sample_dir(void);

#endif
