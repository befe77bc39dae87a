/* Starting and stopping the sandbox (`wxpay mock`) on loopback, for the tests
 * (testutil.h's wxt_mock_start) and the benchmarks (bench/sandbox.c) alike. No cmocka:
 * failures come back as -1 with the reason. */
#ifndef WX_TEST_SANDBOX_H
#define WX_TEST_SANDBOX_H

#include <stddef.h>
#include <sys/types.h>

typedef struct wxt_sandbox {
    pid_t pid;
    int port;
    char base_url[64]; /* "http://127.0.0.1:PORT/" ("https://..." with --tls) */
} wxt_sandbox;

/* Run @p argv (NULL-terminated; argv[0] the program: `wxpay`, or a wrapper such as
 * valgrind before it) in its own process group, stdout and stderr to the file @p log,
 * and wait up to @p wait_ms for its "listening on ...://127.0.0.1:PORT" line. 0, or -1
 * with the reason in @p why (the log's text when the server exited early; a server that
 * did not start in time is killed). */
int wxt_sandbox_spawn(wxt_sandbox *s, char *const argv[], const char *log, int wait_ms,
                      char *why, size_t why_len);

/* SIGTERM, then SIGKILL after 10 s. The server's exit status (128 + the signal when a
 * signal ended it); 0 when none was running. */
int wxt_sandbox_stop(wxt_sandbox *s);

#endif
