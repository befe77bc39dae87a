/* What a notify_url handler does with a callback WeChat Pay POSTed: verify it, decrypt
 * its resource, and answer. Here the request comes from two files, as a web server
 * would have received it.
 *
 *   handle_notification CONFIG.json HEADERS_FILE BODY_FILE
 *
 * HEADERS_FILE holds `Name: value` lines; BODY_FILE the body exactly as received. */
#include <stdio.h>
#include <stdlib.h>

#include <json-c/json.h>
#include <wechatpay/wechatpay.h>

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t cap = 0, n = 0, r;
    do {
        if (cap - n < 4096 && !(buf = realloc(buf, cap = cap * 2 + 4096)))
            break;
        r = fread(buf + n, 1, cap - n - 1, f);
        n += r;
    } while (r > 0);
    fclose(f);
    if (buf) {
        buf[n] = 0;
        *len = n;
    }
    return buf;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s CONFIG.json HEADERS_FILE BODY_FILE\n", argv[0]);
        return 2;
    }
    wx_client_t *c = NULL;
    wx_error_t err;
    if (wx_client_new_from_config(argv[1], NULL, &c, &err) != WX_OK) {
        fprintf(stderr, "%s\n", err.message);
        return 2;
    }
    size_t hlen = 0, blen = 0;
    char *htext = slurp(argv[2], &hlen), *body = slurp(argv[3], &blen);
    wx_kv_t *headers = NULL;
    wx_notification_t *n = NULL;
    wx_err rc = !htext || !body ? WX_E_IO : wx_notify_headers_parse(htext, hlen, &headers, &err);
    if (rc == WX_OK)
        rc = wx_notify_verify(c, headers, body, blen, &n, &err);
    if (rc == WX_OK) {
        printf("%s (%s): %s\n", n->event_type, n->summary,
               json_object_to_json_string_ext(n->resource, JSON_C_TO_STRING_PLAIN |
                                                               JSON_C_TO_STRING_NOSLASHESCAPE));
    } else {
        fprintf(stderr, "rejected: %s\n", rc == WX_E_IO ? "cannot read the files" : err.message);
    }
    /* The answer WeChat Pay expects: 204 without a body, or an error with a JSON body,
     * after which it tries again later. */
    int status = 0;
    char *answer = NULL;
    if (wx_notify_reply(rc, rc == WX_OK ? NULL : "verification failed", &status, &answer) == WX_OK)
        printf("answer: HTTP %d %s\n", status, answer ? answer : "");
    wx_free(answer);
    wx_notification_free(n);
    wx_free(headers);
    free(htext);
    free(body);
    wx_client_free(c);
    return rc == WX_OK ? 0 : 3;
}
