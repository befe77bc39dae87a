/* The sandbox the benchmarks talk to: `wxpay keys gen` into a temporary folder, then
 * `wxpay mock --port 0 --quiet` on loopback, started as the tests start it
 * (tests/support/sandbox.h). Also: running a child to completion with its peak RSS. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "sandbox.h"

/* VmHWM of a running child, in KiB, once it has become `name` (before its exec the
 * status is the forked copy of this process, whose size says nothing). 0 if unknown. */
static long child_hwm_kib(pid_t pid, const char *name)
{
    char path[64], line[256], comm[64] = "";
    snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    long hwm = 0;
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, "Name:", 5))
            sscanf(line + 5, "%63s", comm);
        else if (!strncmp(line, "VmHWM:", 6))
            hwm = strtol(line + 6, NULL, 10);
    }
    fclose(f);
    return strncmp(comm, name, 15) == 0 ? hwm : 0;
}

/* The peak RSS of a child cannot come from wait4(): its ru_maxrss also counts the
 * forked copy of this (much larger) process from before the exec. So the child's
 * VmHWM, which exec starts afresh, is read while it runs; VmHWM only grows, and the
 * last reading is taken when the child closes its output at exit. */
int bench_run_child(char *const argv[], char *out, size_t n, long *maxrss_kib)
{
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execv(argv[0], argv);
        _exit(127);
    }
    close(fds[1]);
    const char *base = strrchr(argv[0], '/');
    base = base ? base + 1 : argv[0];
    size_t len = 0;
    long hwm = 0;
    char sink[4096];
    for (;;) {
        struct pollfd p = {fds[0], POLLIN, 0};
        int ready = poll(&p, 1, 5);
        long h = child_hwm_kib(pid, base);
        if (h > hwm)
            hwm = h;
        if (ready == 0 || (ready < 0 && errno == EINTR))
            continue;
        char *dst = out && len + 1 < n ? out + len : sink;
        size_t room = out && len + 1 < n ? n - 1 - len : sizeof sink;
        ssize_t r = read(fds[0], dst, room);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        if (dst != sink)
            len += (size_t)r;
    }
    close(fds[0]);
    if (out && n)
        out[len] = 0;
    int status;
    if (waitpid(pid, &status, 0) != pid)
        return -1;
    if (maxrss_kib)
        *maxrss_kib = hwm;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs(text, f);
    return fclose(f);
}

/* Start `wxpay mock` on the keys folder @p keys (with --state @p state unless NULL), its
 * log in s->dir, and wait for its "listening on" line. */
static int spawn_mock(bench_sandbox *s, const char *wxpay, const char *keys, const char *state)
{
    char log[300], why[4096];
    snprintf(log, sizeof log, "%s/mock.log", s->dir);
    char *argv[] = {(char *)wxpay, "mock", "--port", "0", "--keys", (char *)keys, "--quiet",
                    state ? "--state" : NULL, (char *)state, NULL};
    wxt_sandbox sb;
    if (wxt_sandbox_spawn(&sb, argv, log, 10000, why, sizeof why) != 0) {
        fprintf(stderr, "bench: %s\n", why);
        return -1;
    }
    s->pid = sb.pid;
    memcpy(s->base_url, sb.base_url, sizeof s->base_url);
    return 0;
}

int bench_sandbox_start(bench_sandbox *s, const char *wxpay)
{
    memset(s, 0, sizeof *s);
    snprintf(s->dir, sizeof s->dir, "/tmp/wxbench-XXXXXX");
    if (!mkdtemp(s->dir)) {
        fprintf(stderr, "bench: mkdtemp: %s\n", strerror(errno));
        return -1;
    }
    char keys[128];
    snprintf(keys, sizeof keys, "%s/keys", s->dir);
    snprintf(s->config, sizeof s->config, "%s/CONFIG.json", keys);
    snprintf(s->key_path, sizeof s->key_path, "%s/merchant_key.pem", keys);
    snprintf(s->body_path, sizeof s->body_path, "%s/seed.json", s->dir);
    char *gen[] = {(char *)wxpay, "keys", "gen", keys, NULL};
    if (bench_run_child(gen, NULL, 0, NULL) != 0) {
        fprintf(stderr, "bench: %s keys gen %s failed\n", wxpay, keys);
        return -1;
    }
    if (write_text(s->body_path, BENCH_SEED_BODY) != 0)
        return -1;

    return spawn_mock(s, wxpay, keys, NULL);
}

int bench_sandbox_start_state(bench_sandbox *s, const bench_sandbox *keys_of, const char *wxpay)
{
    memset(s, 0, sizeof *s);
    snprintf(s->dir, sizeof s->dir, "/tmp/wxbench-XXXXXX");
    if (!mkdtemp(s->dir)) {
        fprintf(stderr, "bench: mkdtemp: %s\n", strerror(errno));
        return -1;
    }
    memcpy(s->config, keys_of->config, sizeof s->config);
    memcpy(s->key_path, keys_of->key_path, sizeof s->key_path);
    memcpy(s->body_path, keys_of->body_path, sizeof s->body_path);
    char keys[300], state[128];
    snprintf(keys, sizeof keys, "%s/keys", keys_of->dir);
    snprintf(state, sizeof state, "%s/state.db", s->dir);
    return spawn_mock(s, wxpay, keys, state);
}

double bench_sandbox_cpu(const bench_sandbox *s)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)s->pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    /* Fields after the command name (which may hold spaces): state is field 3,
       utime 14, stime 15. */
    const char *p = strrchr(buf, ')');
    unsigned long long utime = 0, stime = 0;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime,
                     &stime) != 2)
        return 0;
    return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void bench_sandbox_stop(bench_sandbox *s)
{
    wxt_sandbox sb = {.pid = s->pid};
    wxt_sandbox_stop(&sb);
    if (s->dir[0])
        nftw(s->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    memset(s, 0, sizeof *s);
}

wx_client_t *bench_sandbox_client(const bench_sandbox *s)
{
    wx_client_options_t o = {.base_url = s->base_url};
    wx_client_t *c = NULL;
    wx_error_t err = {0};
    if (wx_client_new_from_config(s->config, &o, &c, &err) != WX_OK) {
        fprintf(stderr, "bench: client for the sandbox: %s\n", err.message);
        return NULL;
    }
    return c;
}
