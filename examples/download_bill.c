/* Ask for yesterday's trade bill and stream it to a file, checked against the digest
 * the bill request announced (GET /v3/bill/tradebill, then its download_url).
 *
 *   download_bill CONFIG.json [BASE_URL] [BILL_DATE] [OUT_FILE]
 */
#include <stdio.h>

#include <json-c/json.h>
#include <wechatpay/wechatpay.h>

static const char *field(struct json_object *o, const char *key)
{
    struct json_object *v;
    return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s CONFIG.json [BASE_URL] [BILL_DATE] [OUT_FILE]\n", argv[0]);
        return 2;
    }
    wx_client_options_t overrides = {.base_url = argc > 2 && *argv[2] ? argv[2] : NULL};
    wx_client_t *c = NULL;
    wx_error_t err;
    if (wx_client_new_from_config(argv[1], &overrides, &c, &err) != WX_OK) {
        fprintf(stderr, "%s\n", err.message);
        return 2;
    }
    const char *date = argc > 3 ? argv[3] : "2019-06-11";
    const char *out = argc > 4 ? argv[4] : "tradebill.csv";

    wx_response_t *r = wx_chain(c, "v3/bill/tradebill")->get(&(wx_request_options_t){
        .query = (wx_kv_t[]){{"bill_date", date}, {"bill_type", "ALL"}, {NULL, NULL}}});
    if (wx_response_err(r) != WX_OK) {
        fprintf(stderr, "bill request: %s\n", wx_response_error_detail(r)->message);
        wx_response_free(r);
        wx_client_free(c);
        return 1;
    }
    struct json_object *bill = wx_response_json(r);
    wx_download_options_t d = {
        .download_url = field(bill, "download_url"),
        .hash_type = field(bill, "hash_type"),
        .hash_value = field(bill, "hash_value"),
        .path = out,
    };
    size_t bytes = 0;
    wx_err rc = wx_download(c, &d, &bytes, &err);
    if (rc == WX_OK)
        printf("%s: %zu bytes, %s %s\n", out, bytes, d.hash_type, "verified");
    else
        fprintf(stderr, "download: %s\n", err.message);
    wx_response_free(r);
    wx_client_free(c);
    return rc == WX_OK ? 0 : 1;
}
