/* Keys taken on trust (issue 16, defect 7): each bad key or key file, made with the
 * `openssl` command line, is refused when a client is made from CONFIG.json, with a
 * message naming the file (or the configured id) and the reason; /dev/zero and a FIFO
 * are refused without being read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <wechatpay/wechatpay.h>

#include "testutil.h"

static char *g_dir;    /* this test's folder */
static const char *g_keys;

static char *keys_file(const char *name) { return wxt_path(g_keys, name); }

static void openssl(const char *args)
{
    char *out = NULL, *err = NULL;
    if (wxt_sh(&out, &err, "cd '%s' && %s %s", g_dir, OPENSSL_CLI, args) != 0)
        fail_msg("openssl %s: %s", args, err);
    free(out);
    free(err);
}

/* Write CONFIG.json with the good keys except the one replaced; make a client from it
 * and expect it refused with a message holding each of the fragments. */
static void expect_refused(const char *private_key, const char *platform_id,
                           const char *platform_pem, const char *frag1, const char *frag2)
{
    char *mk = keys_file("merchant_key.pem"), *pc = keys_file("platform_cert.pem");
    char json[4096];
    snprintf(json, sizeof json,
             "{\"mchid\":\"1900000001\",\"serial\":\"18C18FC9313506F7CCC29D3EC85CBFC0EA2E912D\","
             "\"private_key\":\"%s\",\"platform\":{\"%s\":\"%s\"}}",
             private_key ? private_key : mk,
             platform_id ? platform_id : "126511686112B79D37A2FA5BF112E1E3ACEAB15B",
             platform_pem ? platform_pem : pc);
    char *config = wxt_path(g_dir, "CONFIG.json");
    wxt_write_file(config, json, strlen(json));
    wx_client_t *c = NULL;
    wx_error_t err = {0};
    wx_err rc = wx_client_new_from_config(config, NULL, &c, &err);
    if (rc == WX_OK)
        fail_msg("accepted: %s", json);
    if (!strstr(err.message, frag1) || (frag2 && !strstr(err.message, frag2)))
        fail_msg("message \"%s\" lacks \"%s\" / \"%s\"", err.message, frag1, frag2 ? frag2 : "");
    /* Nothing was waited for or read at length: a FIFO would block this call until the
     * test's time limit, and the messages say the file was refused for what it is. A
     * clock check here failed under valgrind, where loading a client takes seconds. */
    printf("  refused: %s\n", err.message);
    free(config);
    free(mk);
    free(pc);
}

static void test_small_keys(void **state)
{
    openssl("genrsa -out m512.pem 512 2>/dev/null");
    char *m512 = wxt_path(g_dir, "m512.pem");
    expect_refused(m512, NULL, NULL, m512, "512 bits");
    openssl("genrsa -out p1024.pem 1024 2>/dev/null && " OPENSSL_CLI
            " req -new -x509 -key p1024.pem -subj /CN=p -days 30 -out p1024_cert.pem");
    char *p1024 = wxt_path(g_dir, "p1024_cert.pem");
    expect_refused(NULL, "PUB_KEY_ID_0000", p1024, p1024, "1024 bits");
    free(m512);
    free(p1024);
}

static void test_platform_certificates(void **state)
{
    char *pk = keys_file("platform_key.pem");
    char cmd[1024];
    /* expired yesterday */
    snprintf(cmd, sizeof cmd, "req -new -key '%s' -subj /CN=p -out p.csr && " OPENSSL_CLI
             " x509 -req -in p.csr -signkey '%s' -days -1 -out expired.pem 2>/dev/null", pk, pk);
    openssl(cmd);
    char *expired = wxt_path(g_dir, "expired.pem");
    char *out = NULL;
    wxt_sh(&out, NULL, "%s x509 -in '%s' -noout -serial | cut -d= -f2 | tr -d '\\n'",
           OPENSSL_CLI, expired);
    expect_refused(NULL, out, expired, expired, "expired");
    free(out);
    /* valid only from 2099 */
    snprintf(cmd, sizeof cmd,
             "version >/dev/null && mkdir -p ca && touch ca/index.txt && echo 0A > ca/serial && printf '[ca]\\n"
             "default_ca=c\\n[c]\\ndatabase=ca/index.txt\\nserial=ca/serial\\nnew_certs_dir=ca\\n"
             "default_md=sha256\\npolicy=p\\n[p]\\ncommonName=supplied\\n' > ca.cnf && " OPENSSL_CLI
             " ca -batch -config ca.cnf -selfsign -keyfile '%s' -in p.csr -startdate "
             "20990101000000Z -enddate 21000101000000Z -out future.pem 2>/dev/null", pk);
    openssl(cmd);
    char *future = wxt_path(g_dir, "future.pem");
    expect_refused(NULL, "0A", future, future, "not valid yet");
    /* a serial that is not the certificate's own */
    char *good = keys_file("platform_cert.pem");
    expect_refused(NULL, "5157F09EFDC096DE15EBE81A47057A7232F1B8E1", good, good,
                   "not the configured one");
    free(pk);
    free(expired);
    free(future);
    free(good);
}

static void test_pem_files(void **state)
{
    char *mk = keys_file("merchant_key.pem");
    size_t n = 0;
    char *pem = wxt_read_file(mk, &n);
    /* trailing garbage */
    char *junk = wxt_path(g_dir, "junk.pem");
    size_t jn = n + 64;
    char *j = malloc(jn);
    memcpy(j, pem, n);
    memcpy(j + n, "\nrm -rf / # not PEM at all, after the END line ......................", 64);
    wxt_write_file(junk, j, jn);
    expect_refused(junk, NULL, NULL, junk, "after the last -----END");
    /* two keys in one file */
    openssl("genrsa -out other.pem 2048 2>/dev/null");
    char *other = wxt_path(g_dir, "other.pem");
    size_t on = 0;
    char *o = wxt_read_file(other, &on);
    char *two = wxt_path(g_dir, "two.pem");
    char *t = malloc(n + on);
    memcpy(t, pem, n);
    memcpy(t + n, o, on);
    wxt_write_file(two, t, n + on);
    expect_refused(two, NULL, NULL, two, "2 private keys");
    /* not regular files: a device and a FIFO, refused without reading or waiting */
    expect_refused("/dev/zero", NULL, NULL, "/dev/zero", "character device");
    char *fifo = wxt_path(g_dir, "fifo.pem");
    unlink(fifo);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    expect_refused(fifo, NULL, NULL, fifo, "FIFO");
    expect_refused(NULL, NULL, fifo, fifo, "FIFO");
    /* a key file over the size cap */
    char *big = wxt_path(g_dir, "big.pem");
    char *b = calloc(1, 2u << 20);
    memset(b, 'A', 2u << 20);
    wxt_write_file(big, b, 2u << 20);
    expect_refused(big, NULL, NULL, big, "over the limit");
    free(b);
    free(big);
    free(fifo);
    free(t);
    free(two);
    free(o);
    free(other);
    free(j);
    free(junk);
    free(pem);
    free(mk);
}

int main(void)
{
    g_keys = wxt_keys_dir();
    g_dir = wxt_tmpdir("key-attacks");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_keys),
        cmocka_unit_test(test_platform_certificates),
        cmocka_unit_test(test_pem_files),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    free(g_dir);
    return rc;
}
