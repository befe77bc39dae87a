/* Running `wxpay` as a user would, for the CLI tests: every run's stdout and stderr
 * also go to a transcript, which cli_assert_no_secrets() greps for private key
 * material at the end of each test program. */
#ifndef WX_TEST_CLI_RUN_H
#define WX_TEST_CLI_RUN_H

#include <stddef.h>

#include "testutil.h"

typedef struct cli_result {
    int rc;     /* exit status */
    char *out;  /* stdout, NUL-terminated */
    char *err;  /* stderr, NUL-terminated */
} cli_result;

/* Run WXPAY_BIN with the NULL-terminated arguments, feeding @p in (NULL: nothing)
 * on standard input. The result's strings are freed by cli_result_free(). */
cli_result cli_run_in(const char *in, const char *arg, ...) __attribute__((sentinel));
#define cli_run(...) cli_run_in(NULL, __VA_ARGS__)
/* As cli_run_in() with an argument vector (NULL-terminated). */
cli_result cli_runv(const char *in, const char *const *args);
void cli_result_free(cli_result *r);

/* Check exit status and, where not NULL, that stdout equals @p out and stderr holds
 * @p err_part; prints the whole result when something does not match. */
void cli_expect(const cli_result *r, int rc, const char *out, const char *err_part);
/* A usage error: exit 2, nothing on stdout, one line on stderr naming the --help. */
void cli_expect_usage_error(const cli_result *r, const char *err_part);

/* Count of lines of @p text that contain @p part. */
int cli_count_lines(const char *text, const char *part);

/* A data file of tests/data/cli (a static buffer, valid for the next three calls
 * too, so up to four may be arguments of one call). */
const char *cli_data(const char *name);

/* grep the transcript of this process's runs for the private keys and the APIv3
 * key of the keys folder made by `wxpay keys gen` (and for any PEM private key
 * block). Fails the test on a match. */
void cli_assert_no_secrets(void);

#endif
