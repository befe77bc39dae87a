/* examples/merchant_flow against the sandbox: the example creates its order and serves
 * its notify_url; the test plays the payer and the bank through the control API. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lifecycle_util.h"

static wxt_mock g_mock;

/* Wait until the example's output holds @p text (fails after 30 s or if it exited). */
static void wait_output(pid_t pid, const char *log, const char *text)
{
    for (int i = 0; i < 3000; i++) {
        char *out = wxt_read_file(log, NULL);
        int found = out && strstr(out, text);
        free(out);
        if (found)
            return;
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            char *o = wxt_read_file(log, NULL);
            fail_msg("merchant_flow exited before \"%s\": %s", text, o ? o : "");
        }
        usleep(10000);
    }
    kill(pid, SIGKILL);
    fail_msg("merchant_flow never printed \"%s\"", text);
}

static void test_merchant_flow(void **state)
{
    (void)state;
    char *dir = wxt_tmpdir("merchant-flow");
    char *log = wxt_path(dir, "out.log");
    char exe[512];
    snprintf(exe, sizeof exe, "%s/examples/merchant_flow", WX_BINARY_DIR);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 1);
        dup2(fd, 2);
        execl(exe, exe, g_mock.config, g_mock.base_url, "merchant_order_01", (char *)NULL);
        _exit(127);
    }
    wait_output(pid, log, "waiting for the payment notification");
    assert_int_equal(lc_control(&g_mock, "POST", "/mock/pay", "{\"out_trade_no\":\"merchant_order_01\"}",
                                NULL), 200);
    wait_output(pid, log, "waiting for the refund notification");
    assert_int_equal(lc_control(&g_mock, "POST", "/mock/refund/succeed",
                                "{\"out_refund_no\":\"merchant_order_01_r1\"}", NULL), 200);
    int status = 0;
    for (int i = 0; i < 3000 && waitpid(pid, &status, WNOHANG) != pid; i++)
        usleep(10000);
    char *out = wxt_read_file(log, NULL);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("merchant_flow failed: %s", out);
    assert_non_null(strstr(out, "order merchant_order_01 created: prepay_id wx"));
    assert_non_null(strstr(out, "notification TRANSACTION.SUCCESS verified: merchant_order_01 is SUCCESS"));
    assert_non_null(strstr(out, "query: trade_state SUCCESS"));
    assert_non_null(strstr(out, "refund merchant_order_01_r1: PROCESSING"));
    assert_non_null(strstr(out, "notification REFUND.SUCCESS verified: merchant_order_01_r1 is SUCCESS"));
    free(out);
    /* the sandbox recorded both callbacks as delivered at the first attempt */
    struct json_object *list = NULL, *data = NULL;
    for (int i = 0; i < 500; i++) { /* recorded a moment after the merchant's answer */
        json_object_put(list);
        assert_int_equal(lc_control(&g_mock, "GET", "/mock/notifications", NULL, &list), 200);
        data = lc_get(list, "data");
        if (json_object_array_length(data) == 2 &&
            json_object_get_boolean(lc_get(json_object_array_get_idx(data, 1), "delivered")))
            break;
        usleep(10000);
    }
    assert_int_equal(json_object_array_length(data), 2);
    for (size_t i = 0; i < 2; i++) {
        struct json_object *n = json_object_array_get_idx(data, i);
        if (!json_object_get_boolean(lc_get(n, "delivered")))
            fail_msg("not delivered: %s", json_object_to_json_string(list));
        assert_int_equal(json_object_get_int(lc_get(n, "attempts")), 1);
        assert_int_equal(json_object_get_int(lc_get(n, "last_status")), 204);
    }
    json_object_put(list);
    free(log);
    free(dir);
}

static int setup(void **state)
{
    (void)state;
    wxt_mock_start(&g_mock, NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    assert_int_equal(wxt_mock_stop(&g_mock), 0);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_merchant_flow)};
    return cmocka_run_group_tests(tests, setup, teardown);
}
