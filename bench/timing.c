/* The tiny timing helper: clocks, and a loop that calibrates a batch size so the clock
 * reads are a negligible part of what is timed. */
#include <sys/resource.h>
#include <time.h>

#include "bench.h"

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double bench_now(void) { return clock_s(CLOCK_MONOTONIC); }
double bench_cpu_process(void) { return clock_s(CLOCK_PROCESS_CPUTIME_ID); }
double bench_cpu_thread(void) { return clock_s(CLOCK_THREAD_CPUTIME_ID); }

double bench_rusage_cpu(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

double bench_ns_per_op(void (*fn)(void *ud, uint64_t n), void *ud, double min_seconds)
{
    double wall_ns, cpu_ns;
    bench_measure(fn, ud, min_seconds, &wall_ns, &cpu_ns);
    return wall_ns;
}

void bench_measure(void (*fn)(void *ud, uint64_t n), void *ud, double min_seconds,
                   double *wall_ns, double *cpu_ns)
{
    /* Warm-up and calibration: grow the batch until one takes 10 ms. */
    uint64_t n = 1;
    for (;;) {
        double t0 = bench_now();
        fn(ud, n);
        double dt = bench_now() - t0;
        if (dt >= 0.01 || n >= (1ull << 40))
            break;
        n *= dt < 0.001 ? 8 : 2;
    }
    uint64_t ops = 0;
    double spent = 0, cpu0 = bench_cpu_thread();
    while (spent < min_seconds) {
        double t0 = bench_now();
        fn(ud, n);
        spent += bench_now() - t0;
        ops += n;
    }
    *cpu_ns = (bench_cpu_thread() - cpu0) / (double)ops * 1e9;
    *wall_ns = spent / (double)ops * 1e9;
}
