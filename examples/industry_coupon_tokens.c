/* The seed endpoint, POST /v3/industry-coupon/tokens, in the six call styles of the PHP
 * SDK's page: sync and async, each as a pure chain, declaratively and by index.
 *
 *   industry_coupon_tokens CONFIG.json [BASE_URL]
 *
 * Each style prints the signed request as it went on the wire (signature shortened)
 * and the verified response. Exit status 0 when all six were verified successes. */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>
#include <wechatpay/wechatpay.h>

static const wx_request_options_t k_opts = {
    .json_text = "{\"open_id\":\"obLatjrR8kUDlj4-nofQsPAJAAFI\","
                 "\"coupon_list\":[{\"stock_id\":16474341,\"coupon_id\":\"11004999626\"}]}",
};

/* Print the request head with the signature cut to its first 16 characters. */
static void print_request(const wx_response_t *r)
{
    const char *head = wx_response_request_head(r);
    if (!head)
        return;
    const char *sig = strstr(head, "signature=\"");
    if (sig) {
        const char *end = strchr(sig + 11, '"');
        printf("%.*s%.16s...%s", (int)(sig + 11 - head), head, sig + 11, end ? end : "");
    } else {
        fputs(head, stdout);
    }
    size_t len;
    const char *body = wx_response_request_body(r, &len);
    if (body)
        printf("\n%.*s\n", (int)len, body);
}

static void heading(const char *style) { printf("\n=== %s ===\n", style); }

static int report(wx_response_t *r)
{
    print_request(r);
    int ok = wx_response_err(r) == WX_OK;
    if (ok) {
        printf("--> %d, signature verified (serial %s)\n", wx_response_status(r),
               wx_response_header(r, "Wechatpay-Serial"));
        printf("%s\n", json_object_to_json_string_ext(wx_response_json(r),
                                                      JSON_C_TO_STRING_PRETTY |
                                                          JSON_C_TO_STRING_NOSLASHESCAPE));
    } else {
        const wx_error_t *e = wx_response_error_detail(r);
        printf("--> failed: %s: %s\n", wx_err_name(e->code), e->message);
        for (size_t i = 0; i < wx_response_violation_count(r); i++)
            printf("    %s: %s\n", wx_response_violation(r, i)->path,
                   wx_response_violation(r, i)->reason);
    }
    wx_response_free(r);
    return ok;
}

/* Async styles print from the completion callback, as PHP's ->then() does. */
static void on_done(const wx_response_t *r, void *ud)
{
    struct json_object *j = wx_response_json(r);
    printf("(then) %s\n", j ? json_object_to_json_string(j) : wx_response_error_detail(r)->message);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s CONFIG.json [BASE_URL]\n", argv[0]);
        return 2;
    }
    wx_client_options_t overrides = {.base_url = argc > 2 && *argv[2] ? argv[2] : NULL};
    wx_client_t *c = NULL;
    wx_error_t err = {0};
    if (wx_client_new_from_config(argv[1], &overrides, &c, &err) != WX_OK) {
        fprintf(stderr, "%s: %s\n", argv[1], err.message);
        return 2;
    }
    int ok = 0;

    /* 1. async, pure chain:  $instance->v3->industryCoupon->tokens->postAsync([...]) */
    heading("async, pure chain");
    ok += report(wx_chain(c, "v3")->seg("industryCoupon")->seg("tokens")
                                          ->post_async(&k_opts)->then(on_done, NULL)->wait());
    /* 2. async, declarative: $instance->chain('v3/industry-coupon/tokens')->postAsync([...]) */
    heading("async, declarative");
    ok += report(wx_chain(c, "v3/industry-coupon/tokens")
                                           ->post_async(&k_opts)->then(on_done, NULL)->wait());
    /* 3. async, index:       $instance['v3/industry-coupon/tokens']->postAsync([...]) */
    heading("async, index");
    ok += report(wx_at(c, "v3/industry-coupon/tokens")
                                     ->post_async(&k_opts)->then(on_done, NULL)->wait());
    /* 4. sync, pure chain:   $instance->v3->industryCoupon->tokens->post([...]) */
    heading("sync, pure chain");
    ok += report(wx_chain(c, "v3")->seg("industryCoupon")->seg("tokens")->post(&k_opts));
    /* 5. sync, declarative:  $instance->chain('v3/industry-coupon/tokens')->post([...]) */
    heading("sync, declarative");
    ok += report(wx_chain(c, "v3/industry-coupon/tokens")->post(&k_opts));
    /* 6. sync, index:        $instance['v3/industry-coupon/tokens']->post([...]) */
    heading("sync, index");
    ok += report(wx_at(c, "v3/industry-coupon/tokens")->post(&k_opts));

    wx_client_free(c);
    printf("\n%d of 6 styles verified\n", ok);
    return ok == 6 ? 0 : 1;
}
