/* The load loop shared by the end-to-end and memory groups: the seed request, signed
 * and verified, against the sandbox, sequentially or with a window of futures. */
#include <stdio.h>
#include <string.h>

#include "bench.h"

typedef struct load_state {
    bench_load *out;
    int in_flight;
} load_state;

static const wx_request_options_t k_seed = {.json_text = BENCH_SEED_BODY};

static void count(bench_load *out, const wx_response_t *r)
{
    if (wx_response_err(r) == WX_OK) {
        out->ok++;
        return;
    }
    if (!out->failed++)
        snprintf(out->first_error, sizeof out->first_error, "%.150s (%s)",
                 wx_response_error_detail(r)->message, wx_err_name(wx_response_err(r)));
}

static void on_done(const wx_response_t *r, void *ud)
{
    load_state *st = ud;
    st->in_flight--;
    count(st->out, r);
}

static int may_start(double deadline, uint64_t started, uint64_t max_requests)
{
    return (!max_requests || started < max_requests) && (!deadline || bench_now() < deadline);
}

void bench_load_run(wx_client_t *c, int window, double seconds, uint64_t max_requests,
                    void (*sample)(void), bench_load *out)
{
    memset(out, 0, sizeof *out);
    double t0 = bench_now(), deadline = seconds > 0 ? t0 + seconds : 0;
    uint64_t started = 0;
    if (window <= 0) {
        for (; may_start(deadline, started, max_requests); started++) {
            wx_response_t *r = wx_chain(c, "v3")->seg("industryCoupon")->seg("tokens")->post(&k_seed);
            count(out, r);
            wx_response_free(r);
            if (sample)
                sample();
        }
        out->seconds = bench_now() - t0;
        return;
    }
    load_state st = {out, 0};
    for (;;) {
        int more = may_start(deadline, started, max_requests);
        while (more && st.in_flight < window) {
            wx_future_t *f = wx_chain(c, BENCH_SEED_PATH)->post_async(&k_seed);
            wx_future_then(f, on_done, &st);
            wx_future_release(f);
            st.in_flight++;
            started++;
            more = !max_requests || started < max_requests;
        }
        if (!more && st.in_flight == 0)
            break;
        wx_client_perform(c, 100);
        if (sample)
            sample();
    }
    out->seconds = bench_now() - t0;
}
