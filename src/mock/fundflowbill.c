/* Fund-flow bills built from the sandbox's orders, as WeChat Pay writes them for APIv2's
 * pay/downloadfundflow: a header line, one line per movement of the day (a paid order
 * is an income, a successful refund an expense) with the account's running balance,
 * every value after a backtick, then the summary lines. The day's orders are those of
 * both API versions, as on the real account. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lifecycle.h"

#define HEADER "记账时间,微信支付业务单号,资金流水单号,业务名称,业务类型,收支类型,收支金额（元）," \
               "账户结余（元）,资金变更提交申请人,备注,业务凭证号\n"
#define SUMMARY "资金流水总笔数,收入笔数,收入金额,支出笔数,支出金额\n"
typedef struct flow {
    wx_mock_str csv;
    const char *day;
    long long incomes, income, expenses, expense, balance; /* counts and fen */
} flow;

/* One movement: @p amount fen in (income) or out; @p voucher its business voucher. */
static void add_row(flow *f, const char *when, const char *business_id, int income,
                    long long amount, const char *remark, const char *voucher)
{
    long long seq = f->incomes + f->expenses + 1;
    f->balance += income ? amount : -amount;
    if (income)
        f->incomes++, f->income += amount;
    else
        f->expenses++, f->expense += amount;
    long long b = f->balance < 0 ? -f->balance : f->balance;
    wx_mock_str_printf(&f->csv,
                       "`%.10s %.8s,`%s,`%.4s%.2s%.2s%010lld,`%s,`%s,`%s,`%lld.%02lld,`%s%lld.%02lld,"
                       "`system,`%s,`%s\n",
                       when, when[0] ? when + 11 : "", business_id, f->day, f->day + 5,
                       f->day + 8, seq, income ? "交易" : "退款", income ? "交易" : "退款",
                       income ? "收入" : "支出", amount / 100, amount % 100,
                       f->balance < 0 ? "-" : "", b / 100, b % 100, remark, voucher);
}

typedef struct refund_rows {
    flow *f;
    const wx_mock_order *o;
} refund_rows;

static int add_refund(void *ud, const wx_mock_refund *r)
{
    refund_rows *rr = ud;
    if (!strcmp(r->status, "SUCCESS"))
        add_row(rr->f, r->success_time, r->refund_id, 0, r->refund, r->reason, r->out_refund_no);
    return 0;
}

wx_mock_store_rc wx_mock_fundflow_bill_csv(wx_mock_store *s, const char *day,
                                           const char *account_type, wx_mock_str *csv,
                                           long long *rows)
{
    flow f = {.day = day};
    wx_mock_paid_orders p = {0};
    wx_mock_store_rc rc = WX_STORE_OK;
    /* Payments and refunds go to the Basic account; the others did not move. */
    if (!account_type || !strcmp(account_type, "Basic"))
        rc = wx_mock_paid_orders_of_day(s, day, &p);
    wx_mock_str_puts(&f.csv, HEADER);
    for (size_t i = 0; rc == WX_STORE_OK && i < p.n; i++) {
        const wx_mock_order *o = &p.v[i];
        add_row(&f, o->success_time, o->transaction_id, 1, o->payer_total, "", o->out_trade_no);
        refund_rows rr = {&f, o};
        rc = wx_mock_refund_each_of_order(s, o->out_trade_no, add_refund, &rr);
    }
    wx_mock_str_printf(&f.csv, SUMMARY "`%lld,`%lld,`%lld.%02lld,`%lld,`%lld.%02lld\n",
                       f.incomes + f.expenses, f.incomes, f.income / 100, f.income % 100,
                       f.expenses, f.expense / 100, f.expense % 100);
    free(p.v);
    *csv = f.csv;
    *rows = f.incomes + f.expenses;
    return f.csv.failed ? WX_STORE_ERROR : rc;
}
