/* Path variables and query parameters: query an order by its WeChat Pay transaction id,
 * GET /v3/pay/transactions/id/{transaction_id}?mchid=..., three ways.
 *
 *   query_transaction CONFIG.json [BASE_URL] [TRANSACTION_ID]
 */
#include <stdio.h>

#include <json-c/json.h>
#include <wechatpay/wechatpay.h>

static int show(wx_response_t *r)
{
    int ok = wx_response_err(r) == WX_OK;
    if (ok) {
        struct json_object *state;
        json_object_object_get_ex(wx_response_json(r), "trade_state", &state);
        printf("trade_state: %s\n", json_object_get_string(state));
    } else {
        fprintf(stderr, "%s\n", wx_response_error_detail(r)->message);
    }
    wx_response_free(r);
    return ok;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s CONFIG.json [BASE_URL] [TRANSACTION_ID]\n", argv[0]);
        return 2;
    }
    wx_client_options_t overrides = {.base_url = argc > 2 && *argv[2] ? argv[2] : NULL};
    wx_client_t *c = NULL;
    wx_error_t err;
    if (wx_client_new_from_config(argv[1], &overrides, &c, &err) != WX_OK) {
        fprintf(stderr, "%s\n", err.message);
        return 2;
    }
    const char *id = argc > 3 ? argv[3] : "1217752501201407033233368018";
    const char *mchid = wx_client_mchid(c);
    int ok = 0;

    /* 1. a template segment and `vars`, like PHP's ->id->_transaction_id_ */
    ok += show(wx_chain(c, "v3")->seg("pay")->seg("transactions")->seg("id")->seg("_transaction_id_")
                   ->get(&(wx_request_options_t){
                       .vars = (wx_kv_t[]){{"transaction_id", id}, {NULL, NULL}},
                       .query = (wx_kv_t[]){{"mchid", mchid}, {NULL, NULL}}}));

    /* 2. the declarative form with an RFC 6570 expression */
    ok += show(wx_chain(c, "v3/pay/transactions/id/{transaction_id}")->get(&(wx_request_options_t){
        .vars = (wx_kv_t[]){{"transaction_id", id}, {NULL, NULL}},
        .query = (wx_kv_t[]){{"mchid", mchid}, {NULL, NULL}}}));

    /* 3. the value as a segment: the spec tree says this position is a variable, so the
     *    value is kept as it is and the request is still validated against its template */
    ok += show(wx_chain(c, "v3/pay/transactions/id")->seg(id)->get(&(wx_request_options_t){
        .query = (wx_kv_t[]){{"mchid", mchid}, {NULL, NULL}}}));

    wx_client_free(c);
    return ok == 3 ? 0 : 1;
}
