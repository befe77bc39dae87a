/* Ids and times in WeChat Pay's shapes (store.h lists them). The sequence number from a
 * store counter makes each id unique; the random digits only make them look real. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <wechatpay/wechatpay.h>

#include "store.h"

#define CHINA_OFFSET_S (8 * 3600)

/* Broken-down +08:00 time of @p unix_s (now when < 0). */
static void china_tm(int64_t unix_s, struct tm *tm)
{
    time_t t = (time_t)((unix_s >= 0 ? unix_s : (int64_t)time(NULL)) + CHINA_OFFSET_S);
    gmtime_r(&t, tm);
}

void wx_mock_time_rfc3339(int64_t unix_s, char out[32])
{
    struct tm tm;
    china_tm(unix_s, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%S+08:00", &tm);
}

void wx_mock_today(char out[11])
{
    struct tm tm;
    china_tm(-1, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

static unsigned long long random_u64(void)
{
    unsigned long long v = 0;
    if (wx_random_bytes(&v, sizeof v) != WX_OK)
        v = (unsigned long long)time(NULL) * 2654435761ULL;
    return v;
}

void wx_mock_dated_id(const char *prefix, int rand_digits, int64_t seq, char out[33])
{
    static const unsigned long long powers[] = {1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL,
                                                100000ULL, 1000000ULL, 10000000ULL,
                                                100000000ULL, 1000000000ULL};
    struct tm tm;
    char day[9];
    china_tm(-1, &tm);
    strftime(day, sizeof day, "%Y%m%d", &tm);
    char id[80];
    snprintf(id, sizeof id, "%s%0*llu%s%010lld", prefix, rand_digits,
             random_u64() % powers[rand_digits], day, (long long)(seq % 10000000000LL));
    snprintf(out, 33, "%.32s", id);
}

void wx_mock_transaction_id(int64_t seq, char out[33]) { wx_mock_dated_id("4200", 6, seq, out); }

void wx_mock_refund_id(int64_t seq, char out[33]) { wx_mock_dated_id("50", 9, seq, out); }

void wx_mock_prepay_id(char out[65])
{
    struct tm tm;
    char when[15];
    china_tm(-1, &tm);
    strftime(when, sizeof when, "%Y%m%d%H%M%S", &tm);
    snprintf(out, 65, "wx%s%016llx%04llx", when, random_u64(), random_u64() & 0xffffULL);
}

void wx_mock_event_id(char out[64])
{
    unsigned char b[16];
    if (wx_random_bytes(b, sizeof b) != WX_OK) {
        unsigned long long a = random_u64(), c = random_u64();
        memcpy(b, &a, 8);
        memcpy(b + 8, &c, 8);
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    snprintf(out, 64,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
             b[13], b[14], b[15]);
}
