/* The process's own memory figures from /proc/self/status (the library's heap is
 * counted by tests/support/alloc_counter.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

static long status_kib(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    long v = -1;
    size_t n = strlen(field);
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, field, n) && line[n] == ':') {
            v = strtol(line + n + 1, NULL, 10);
            break;
        }
    fclose(f);
    return v;
}

long bench_rss_kib(void) { return status_kib("VmRSS"); }
long bench_hwm_kib(void) { return status_kib("VmHWM"); }
