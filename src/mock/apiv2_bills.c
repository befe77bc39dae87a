/* APIv2 bills on the sandbox: pay/downloadbill (the trade bill) and pay/downloadfundflow
 * (the fund flow) of a day, built from that day's orders of both API versions, answered
 * as WeChat Pay does: the bill's text (gzip with tar_type GZIP), unsigned, or an XML
 * return_code FAIL with return_msg and error_code when there is no bill. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiv2.h"
#include "lifecycle.h"

/* yyyyMMdd -> "yyyy-MM-dd" (the spec has already checked the digits). */
static void store_day(const char *bill_date, char out[11])
{
    snprintf(out, 11, "%.4s-%.2s-%.2s", bill_date, bill_date + 4, bill_date + 6);
}

/* The text of the bill of @p call's day into @p csv; *rows counts its detail lines. */
static wx_mock_store_rc build(const wx_mock_v2_call *call, int fund_flow, wx_mock_str *csv,
                              long long *rows)
{
    char day[11];
    store_day(wx_mock_v2_field(call, "bill_date"), day);
    wx_mock_store *s = call->ctx->store;
    if (wx_mock_store_begin(s) != WX_STORE_OK)
        return WX_STORE_ERROR;
    const char *type = wx_mock_v2_field(call, fund_flow ? "account_type" : "bill_type");
    if (!fund_flow && !strcmp(type, "RECHARGE_REFUND")) { /* no recharge coupons here */
        wx_mock_store_rollback(s);
        *rows = 0;
        return WX_STORE_OK;
    }
    wx_mock_store_rc rc = fund_flow ? wx_mock_fundflow_bill_csv(s, day, type, csv, rows)
                                    : wx_mock_trade_bill_csv(s, day, type, csv, rows);
    wx_mock_store_rollback(s); /* read only */
    return rc;
}

int wx_mock_v2_bill(const wx_mock_v2_call *call, wx_mock_reply *reply, wx_mock_v2_refusal *no)
{
    int fund_flow = !strcmp(call->path, "/pay/downloadfundflow");
    if (!fund_flow && strcmp(call->path, "/pay/downloadbill") != 0)
        return -1;
    wx_mock_str csv = {0};
    long long rows = 0;
    int rc = 1;
    if (build(call, fund_flow, &csv, &rows) != WX_STORE_OK) {
        *no = (wx_mock_v2_refusal){"system error", "100"};
    } else if (rows == 0) { /* WeChat Pay has no bill for a day without movements */
        *no = (wx_mock_v2_refusal){"No Bill Exist", "20002"};
    } else if (!strcmp(wx_mock_v2_field(call, "tar_type"), "GZIP")) {
        rc = wx_mock_gzip(csv.data, csv.len, &reply->body, &reply->body_len) == 0 ? 0 : 1;
        *no = (wx_mock_v2_refusal){"system error", "100"};
        reply->content_type = "application/x-gzip";
    } else {
        reply->body = csv.data; /* taken over */
        reply->body_len = csv.len;
        csv = (wx_mock_str){0};
        reply->content_type = "text/plain; charset=utf-8";
        rc = 0;
    }
    if (rc == 0)
        reply->status = 200;
    wx_mock_str_free(&csv);
    return rc;
}
