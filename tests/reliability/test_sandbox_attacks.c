/* Attacks on the sandbox itself (issue 16): its request log escapes the control bytes
 * a request path carries, so a client cannot write terminal escape sequences into it. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "testutil.h"

static wxt_mock g_mock;

static int connect_mock(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)g_mock.port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0)
        fail_msg("cannot connect to the sandbox");
    return fd;
}

/* Send a raw request and read until the server closes or answers. */
static void raw_request(const char *text)
{
    int fd = connect_mock();
    if (write(fd, text, strlen(text)) != (ssize_t)strlen(text))
        fail_msg("short write");
    char buf[4096];
    shutdown(fd, SHUT_WR);
    while (read(fd, buf, sizeof buf) > 0)
        ;
    close(fd);
}

static void test_log_escapes_control_bytes(void **state)
{
    raw_request("GET /v3/\x1b]0;owned\x07\x1b[2Jx\x9b" "31m HTTP/1.1\r\nHost: x\r\n"
                "Connection: close\r\n\r\n");
    /* the log line is written when the request completes */
    char *log = NULL;
    for (int i = 0; i < 50; i++) {
        free(log);
        log = wxt_read_file(g_mock.log, NULL);
        if (strstr(log, "owned"))
            break;
        usleep(100000);
    }
    assert_non_null(strstr(log, "/v3/\\x1B]0;owned\\x07\\x1B[2Jx\\x9B31m"));
    assert_null(strchr(log, '\x1b'));
    assert_null(strchr(log, '\x07'));
    assert_null(strchr(log, '\x9b'));
    free(log);
}

static int setup(void **state)
{
    wxt_mock_start(&g_mock, NULL);
    return 0;
}

static int teardown(void **state)
{
    assert_int_equal(wxt_mock_stop(&g_mock), 0);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_log_escapes_control_bytes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
