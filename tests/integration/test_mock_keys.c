/* `wxpay keys gen DIR`: every file is there with the right mode, the keys load,
 * serials match their certificates, and CONFIG.json says what the contract says. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <wechatpay/wechatpay.h>

#include "testutil.h"

static char *g_dir;

static int group_setup(void **state)
{
    (void)state;
    char *base = wxt_tmpdir("keys-gen");
    /* a nested folder that does not exist yet: keys gen creates it */
    g_dir = wxt_path(base, "a/b/keys");
    free(base);
    char *out = NULL, *err = NULL;
    char *argv[] = {WXPAY_BIN, "keys", "gen", g_dir, NULL};
    int rc = wxt_run(argv, NULL, 0, &out, &err);
    if (rc != 0) {
        fprintf(stderr, "keys gen failed (%d): %s%s\n", rc, out, err);
        return -1;
    }
    free(out);
    free(err);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    free(g_dir);
    return 0;
}

static mode_t file_mode(const char *name)
{
    char *p = wxt_path(g_dir, name);
    struct stat st;
    if (stat(p, &st) != 0)
        fail_msg("%s missing", p);
    free(p);
    return st.st_mode & 0777;
}

static void test_files_and_modes(void **state)
{
    (void)state;
    assert_int_equal(file_mode("merchant_key.pem"), 0600);
    assert_int_equal(file_mode("platform_key.pem"), 0600);
    assert_int_equal(file_mode("wechatpay_pub_key_private.pem"), 0600);
    assert_int_equal(file_mode("CONFIG.json"), 0600); /* holds the APIv3 key */
    assert_int_equal(file_mode("merchant_cert.pem") & 0600, 0600);
    assert_int_equal(file_mode("platform_cert.pem") & 0600, 0600);
    assert_int_equal(file_mode("wechatpay_pub_key.pem") & 0600, 0600);
    assert_int_equal(file_mode("mock.json") & 0600, 0600);
    char *p = wxt_path(g_dir, "merchant_key.pem");
    char *pem = wxt_read_file(p, NULL);
    assert_non_null(strstr(pem, "-----BEGIN PRIVATE KEY-----")); /* PKCS#8 */
    free(pem);
    free(p);
}

static struct json_object *read_json(const char *name)
{
    char *p = wxt_path(g_dir, name);
    struct json_object *o = json_object_from_file(p);
    if (!o)
        fail_msg("%s does not parse", p);
    free(p);
    return o;
}

static const char *str(struct json_object *o, const char *key)
{
    struct json_object *v;
    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        fail_msg("no string \"%s\"", key);
    return json_object_get_string(v);
}

static wx_privkey_t *priv(const char *name)
{
    char *p = wxt_path(g_dir, name);
    wx_privkey_t *k = NULL;
    wx_error_t err = {0};
    if (wx_privkey_load_file(p, NULL, &k, &err) != WX_OK)
        fail_msg("%s: %s", p, err.message);
    free(p);
    return k;
}

static wx_pubkey_t *pub(const char *name)
{
    char *p = wxt_path(g_dir, name);
    wx_pubkey_t *k = NULL;
    wx_error_t err = {0};
    if (wx_pubkey_load_file(p, &k, &err) != WX_OK)
        fail_msg("%s: %s", p, err.message);
    free(p);
    return k;
}

static int is_upper_hex40(const char *s)
{
    if (strlen(s) != 40)
        return 0;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'A' && *s <= 'F')))
            return 0;
    return 1;
}

static void test_config_contract(void **state)
{
    (void)state;
    struct json_object *c = read_json("CONFIG.json");
    assert_string_equal(str(c, "mchid"), "1900000001");
    assert_string_equal(str(c, "private_key"), "merchant_key.pem");
    assert_string_equal(str(c, "base_url"), "http://127.0.0.1:8080/");
    const char *serial = str(c, "serial");
    assert_true(is_upper_hex40(serial));
    const char *k = str(c, "apiv3_key");
    assert_int_equal(strlen(k), 32);
    for (const char *p = k; *p; p++)
        assert_true((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'));

    /* merchant: the key is the certificate's, whose serial is CONFIG's */
    wx_privkey_t *mk = priv("merchant_key.pem");
    wx_pubkey_t *mc = pub("merchant_cert.pem");
    assert_string_equal(wx_pubkey_serial(mc), serial);
    assert_true(wx_keys_match(mk, mc));
    int64_t nb = 0, na = 0;
    wx_pubkey_validity(mc, &nb, &na);
    assert_true(nb < (int64_t)time(NULL) && na > (int64_t)time(NULL));

    /* platform: one certificate serial and one PUB_KEY_ID_ */
    struct json_object *plat;
    assert_true(json_object_object_get_ex(c, "platform", &plat));
    assert_int_equal(json_object_object_length(plat), 2);
    int certs = 0, pubkeys = 0;
    json_object_object_foreach(plat, id, val) {
        const char *file = json_object_get_string(val);
        wx_pubkey_t *pk = pub(file);
        if (!strncmp(id, "PUB_KEY_ID_", 11)) {
            assert_string_equal(file, "wechatpay_pub_key.pem");
            assert_null(wx_pubkey_serial(pk));
            wx_privkey_t *sk = priv("wechatpay_pub_key_private.pem");
            assert_true(wx_keys_match(sk, pk));
            wx_privkey_free(sk);
            pubkeys++;
        } else {
            assert_true(is_upper_hex40(id));
            assert_string_equal(file, "platform_cert.pem");
            assert_string_equal(wx_pubkey_serial(pk), id);
            wx_privkey_t *sk = priv("platform_key.pem");
            assert_true(wx_keys_match(sk, pk));
            assert_false(wx_keys_match(mk, pk));
            wx_privkey_free(sk);
            certs++;
        }
        wx_pubkey_free(pk);
    }
    assert_int_equal(certs, 1);
    assert_int_equal(pubkeys, 1);
    wx_privkey_free(mk);
    wx_pubkey_free(mc);

    /* mock.json names the private halves */
    struct json_object *m = read_json("mock.json");
    assert_string_equal(str(m, "platform_private_key"), "platform_key.pem");
    assert_string_equal(str(m, "public_key_private_key"), "wechatpay_pub_key_private.pem");
    const char *pub_id = str(m, "public_key_id");
    assert_non_null(json_object_object_get(plat, pub_id));
    json_object_put(m);
    json_object_put(c);
}

static void test_keys_sign_and_verify(void **state)
{
    (void)state;
    /* what the client signs with, the merchant certificate verifies */
    wx_privkey_t *mk = priv("merchant_key.pem");
    wx_pubkey_t *mc = pub("merchant_cert.pem");
    char *sig = NULL;
    wx_error_t err = {0};
    assert_int_equal(wx_rsa_sign(mk, "hello\n", 6, &sig, &err), WX_OK);
    assert_int_equal(wx_rsa_verify(mc, "hello\n", 6, sig, &err), WX_OK);
    assert_int_equal(wx_rsa_verify(mc, "hellO\n", 6, sig, &err), WX_E_VERIFY_SIGNATURE);
    wx_free(sig);
    wx_privkey_free(mk);
    wx_pubkey_free(mc);
}

static void test_regenerates_with_new_serials(void **state)
{
    (void)state;
    struct json_object *c1 = read_json("CONFIG.json");
    char *serial1 = strdup(str(c1, "serial"));
    json_object_put(c1);
    char *argv[] = {WXPAY_BIN, "keys", "gen", g_dir, NULL};
    char *out = NULL;
    assert_int_equal(wxt_run(argv, NULL, 0, &out, NULL), 0);
    assert_non_null(strstr(out, "CONFIG.json"));
    free(out);
    struct json_object *c2 = read_json("CONFIG.json");
    assert_string_not_equal(serial1, str(c2, "serial"));
    json_object_put(c2);
    free(serial1);
    assert_int_equal(file_mode("CONFIG.json"), 0600);
}

static void test_usage_errors(void **state)
{
    (void)state;
    char *a1[] = {WXPAY_BIN, "keys", NULL};
    char *a2[] = {WXPAY_BIN, "keys", "make", "x", NULL};
    char *a3[] = {WXPAY_BIN, "keys", "gen", NULL};
    char *a4[] = {WXPAY_BIN, "keys", "--help", NULL};
    char *err = NULL, *out = NULL;
    assert_int_equal(wxt_run(a1, NULL, 0, NULL, &err), 2);
    assert_non_null(strstr(err, "usage"));
    free(err);
    assert_int_equal(wxt_run(a2, NULL, 0, NULL, NULL), 2);
    assert_int_equal(wxt_run(a3, NULL, 0, NULL, NULL), 2);
    assert_int_equal(wxt_run(a4, NULL, 0, &out, NULL), 0);
    assert_non_null(strstr(out, "keys gen DIR"));
    free(out);
    /* options after gen are options, not folder names */
    struct stat st;
    char *a6[] = {WXPAY_BIN, "keys", "gen", "--help", NULL};
    assert_int_equal(wxt_run(a6, NULL, 0, &out, NULL), 0);
    assert_non_null(strstr(out, "keys gen DIR"));
    assert_int_not_equal(stat("--help", &st), 0);
    free(out);
    static const char *const wrong[][3] = {
        {"gen", "--force", "x"}, {"gen", "a", "b"}, {"gen", "-x", NULL}};
    for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
        char *a[] = {WXPAY_BIN, "keys", (char *)wrong[i][0], (char *)wrong[i][1],
                     (char *)wrong[i][2], NULL};
        assert_int_equal(wxt_run(a, NULL, 0, &out, &err), 2);
        assert_string_equal(out, "");
        /* one line that names the problem and points to --help */
        assert_non_null(strstr(err, "wxpay keys gen: "));
        assert_non_null(strstr(err, "--help"));
        assert_ptr_equal(strchr(err, '\n'), err + strlen(err) - 1);
        assert_int_not_equal(stat(wrong[i][1], &st), 0);
        free(out);
        free(err);
    }
    /* a path under a regular file cannot be created */
    char *file = wxt_path(g_dir, "CONFIG.json");
    char *bad = wxt_path(file, "sub");
    char *a5[] = {WXPAY_BIN, "keys", "gen", bad, NULL};
    assert_int_equal(wxt_run(a5, NULL, 0, NULL, &err), 1);
    assert_non_null(strstr(err, "cannot create"));
    free(err);
    free(bad);
    free(file);
}

/* A symlink planted in DIR does not redirect a private key onto the file it names. */
static void test_symlink_is_not_followed(void **state)
{
    (void)state;
    char *base = wxt_tmpdir("keys-symlink");
    char *victim = wxt_path(base, "victim.txt");
    wxt_write_file(victim, "precious\n", 9);
    char *dir = wxt_path(base, "keys");
    assert_int_equal(mkdir(dir, 0700), 0);
    char *link = wxt_path(dir, "merchant_key.pem");
    assert_int_equal(symlink(victim, link), 0);
    char *argv[] = {WXPAY_BIN, "keys", "gen", dir, NULL};
    char *err = NULL;
    assert_int_equal(wxt_run(argv, NULL, 0, NULL, &err), 1);
    assert_non_null(strstr(err, "merchant_key.pem"));
    free(err);
    char *text = wxt_read_file(victim, NULL);
    assert_string_equal(text, "precious\n");
    /* and no CONFIG.json: the folder is not complete */
    char *config = wxt_path(dir, "CONFIG.json");
    struct stat st;
    assert_int_not_equal(stat(config, &st), 0);
    free(config);
    free(text);
    free(link);
    free(dir);
    free(victim);
    free(base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_files_and_modes),
        cmocka_unit_test(test_config_contract),
        cmocka_unit_test(test_keys_sign_and_verify),
        cmocka_unit_test(test_regenerates_with_new_serials),
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_symlink_is_not_followed),
    };
    return cmocka_run_group_tests_name("mock_keys", tests, group_setup, group_teardown);
}
