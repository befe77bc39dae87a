#define _GNU_SOURCE
#include "testutil.h"
#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

char *wxt_path(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

char *wxt_tmpdir(const char *name)
{
    char cmd[1024], *dir = malloc(512);
    snprintf(dir, 512, "%s/%s-%ld", WX_TEST_TMP, name, (long)getpid());
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", dir, dir);
    if (system(cmd) != 0)
        fail_msg("cannot make %s", dir);
    return dir;
}

void wxt_write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        fail_msg("cannot write %s: %s", path, strerror(errno));
    if (len && fwrite(data, 1, len, f) != len)
        fail_msg("short write %s", path);
    fclose(f);
}

char *wxt_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0, r;
    char *p = malloc(cap);
    while ((r = fread(p + n, 1, cap - n - 1, f)) > 0) {
        n += r;
        if (cap - n < 2)
            p = realloc(p, cap *= 2);
    }
    fclose(f);
    p[n] = 0;
    if (len)
        *len = n;
    return p;
}

/* Drain a pipe into a malloc'd string. */
typedef struct {
    int fd;
    char *data;
    size_t len, cap;
} sink_t;

static int sink_read(sink_t *s)
{
    if (s->cap - s->len < 4096) {
        s->cap = s->cap ? s->cap * 2 : 8192;
        s->data = realloc(s->data, s->cap);
    }
    ssize_t r = read(s->fd, s->data + s->len, s->cap - s->len - 1);
    if (r > 0)
        s->len += (size_t)r;
    s->data[s->len] = 0;
    return r > 0 || (r < 0 && errno == EINTR);
}

int wxt_run(char *const argv[], const char *in, size_t in_len, char **out, char **errout)
{
    int pin[2], pout[2], perr[2];
    if (pipe(pin) || pipe(pout) || pipe(perr))
        fail_msg("pipe: %s", strerror(errno));
    pid_t pid = fork();
    if (pid == 0) {
        dup2(pin[0], 0);
        dup2(pout[1], 1);
        dup2(perr[1], 2);
        close(pin[1]);
        close(pout[0]);
        close(perr[0]);
        execv(argv[0], argv);
        fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(pin[0]);
    close(pout[1]);
    close(perr[1]);
    signal(SIGPIPE, SIG_IGN);
    size_t off = 0;
    if (!in || !in_len) {
        close(pin[1]);
        pin[1] = -1;
    }
    sink_t so = {pout[0], NULL, 0, 0}, se = {perr[0], NULL, 0, 0};
    int open_out = 1, open_err = 1;
    while (open_out || open_err || pin[1] >= 0) {
        struct pollfd p[3];
        int n = 0, io = -1, ie = -1, ii = -1;
        if (open_out) { p[n] = (struct pollfd){so.fd, POLLIN, 0}; io = n++; }
        if (open_err) { p[n] = (struct pollfd){se.fd, POLLIN, 0}; ie = n++; }
        if (pin[1] >= 0) { p[n] = (struct pollfd){pin[1], POLLOUT, 0}; ii = n++; }
        if (poll(p, (nfds_t)n, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (io >= 0 && p[io].revents)
            open_out = sink_read(&so);
        if (ie >= 0 && p[ie].revents)
            open_err = sink_read(&se);
        if (ii >= 0 && p[ii].revents) {
            ssize_t w = (p[ii].revents & POLLOUT) ? write(pin[1], in + off, in_len - off) : -1;
            if (w > 0)
                off += (size_t)w;
            if (w <= 0 || off == in_len) {
                close(pin[1]);
                pin[1] = -1;
            }
        }
    }
    close(so.fd);
    close(se.fd);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!so.data) { so.data = malloc(1); so.data[0] = 0; }
    if (!se.data) { se.data = malloc(1); se.data[0] = 0; }
    if (out) *out = so.data; else free(so.data);
    if (errout) *errout = se.data; else free(se.data);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

int wxt_sh(char **out, char **errout, const char *fmt, ...)
{
    char *cmd = NULL;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&cmd, fmt, ap) < 0)
        fail_msg("vasprintf");
    va_end(ap);
    char *argv[] = {"/bin/sh", "-c", cmd, NULL};
    int rc = wxt_run(argv, NULL, 0, out, errout);
    free(cmd);
    return rc;
}

/* A folder made by an older `wxpay keys gen` lacks what later tests read (APIv2's
 * apiv2_key and merchant_cert): it is made again rather than reused. */
static int keys_current(const char *cfg)
{
    char *text = wxt_read_file(cfg, NULL);
    int ok = text && strstr(text, "\"merchant_cert\"") != NULL &&
             strstr(text, "\"validation\": \"strict\"") != NULL;
    free(text);
    return ok;
}

/* The tests run strict: every client and sandbox made from the shared CONFIG.json
 * refuses a request no spec describes, so a test that sends one by mistake fails. A
 * test that means to use a path without a spec says so with its own config. */
static void make_strict(const char *cfg)
{
    size_t len = 0;
    char *text = wxt_read_file(cfg, &len);
    char *brace = text ? strchr(text, '{') : NULL;
    if (!brace)
        fail_msg("%s: not a JSON object", cfg);
    static const char strict[] = "\n  \"validation\": \"strict\",";
    size_t at = (size_t)(brace - text) + 1, n = sizeof strict - 1;
    char *out = malloc(len + n + 1);
    memcpy(out, text, at);
    memcpy(out + at, strict, n);
    memcpy(out + at + n, text + at, len - at + 1);
    wxt_write_file(cfg, out, len + n);
    free(out);
    free(text);
}

/* Under the lock: move an outdated folder aside (its files may still be open). */
static void retire_stale(const char *path, const char *cfg)
{
    if (access(cfg, R_OK) != 0 || keys_current(cfg))
        return;
    char old[600];
    snprintf(old, sizeof old, "%s.stale-%ld", path, (long)getpid());
    (void)rename(path, old);
}

const char *wxt_keys_dir(void)
{
    static char *dir;
    if (dir)
        return dir;
    /* Shared across test processes of one build: generated once, reused (RSA key
     * generation is slow under valgrind). A lock directory serialises creators. */
    static char path[512];
    snprintf(path, sizeof path, "%s/keys", WX_TEST_TMP);
    char lock[600], cfg[600];
    snprintf(lock, sizeof lock, "%s.lock", path);
    snprintf(cfg, sizeof cfg, "%s/CONFIG.json", path);
    for (int tries = 0; tries < 600; tries++) {
        if (access(cfg, R_OK) == 0 && keys_current(cfg)) {
            dir = path;
            return dir;
        }
        if (mkdir(lock, 0700) == 0) {
            retire_stale(path, cfg);
            char tmp[600];
            snprintf(tmp, sizeof tmp, "%s.tmp-%ld", path, (long)getpid());
            char *err = NULL;
            char *argv[] = {WXPAY_BIN, "keys", "gen", tmp, NULL};
            int rc = wxt_run(argv, NULL, 0, NULL, &err);
            if (rc != 0) {
                rmdir(lock);
                fail_msg("wxpay keys gen failed (%d): %s", rc, err);
            }
            free(err);
            char tmp_cfg[700];
            snprintf(tmp_cfg, sizeof tmp_cfg, "%s/CONFIG.json", tmp);
            make_strict(tmp_cfg);
            if (rename(tmp, path) != 0) {
                rmdir(lock);
                fail_msg("rename %s: %s", tmp, strerror(errno));
            }
            rmdir(lock);
            dir = path;
            return dir;
        }
        usleep(100000);
    }
    fail_msg("timed out waiting for %s", lock);
    return NULL;
}

void wxt_mock_start(wxt_mock *m, const char *const *extra)
{
    memset(m, 0, sizeof *m);
    const char *keys = wxt_keys_dir();
    m->keys_dir = strdup(keys);
    m->config = wxt_path(keys, "CONFIG.json");
    static int seq;
    char logname[64];
    snprintf(logname, sizeof logname, "mock-%ld-%d.log", (long)getpid(), seq++);
    m->log = wxt_path(WX_TEST_TMP, logname);
    const char *argv[48];
    int n = 0;
    /* WX_MOCK_WRAPPER="valgrind --error-exitcode=99 ..." runs the sandbox under a tool
     * (words split on spaces; the server's exit status then reports its findings). */
    static char wrapper[512];
    const char *w = getenv("WX_MOCK_WRAPPER");
    snprintf(wrapper, sizeof wrapper, "%s", w ? w : "");
    for (char *tok = strtok(wrapper, " "); tok && n < 14; tok = strtok(NULL, " "))
        argv[n++] = tok;
    argv[n++] = WXPAY_BIN;
    argv[n++] = "mock";
    argv[n++] = "--port";
    argv[n++] = "0";
    argv[n++] = "--keys";
    argv[n++] = m->keys_dir;
    for (int i = 0; extra && extra[i] && n < 46; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    wxt_sandbox sb;
    char why[4096];
    if (wxt_sandbox_spawn(&sb, (char *const *)argv, m->log, 30000 /* valgrind is slow */, why,
                          sizeof why) != 0)
        fail_msg("%s", why);
    m->pid = sb.pid;
    m->port = sb.port;
    memcpy(m->base_url, sb.base_url, sizeof m->base_url);
}

int wxt_mock_stop(wxt_mock *m)
{
    wxt_sandbox sb = {.pid = m->pid};
    int status = wxt_sandbox_stop(&sb);
    free(m->keys_dir);
    free(m->config);
    free(m->log);
    memset(m, 0, sizeof *m);
    return status;
}

const char *wxt_openapi_sample_dir(void)
{
    const char *env = getenv("WX_OPENAPI_SAMPLE");
    const char *dir = env && *env ? env : WX_OPENAPI_SAMPLE_DEFAULT;
    struct stat st;
    if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
        return dir;
    fprintf(stderr, "the community OpenAPI sample is not at %s (%s); set WX_OPENAPI_SAMPLE "
            "to its folder\n", dir, env && *env ? "WX_OPENAPI_SAMPLE" : "beside the project root");
    return NULL;
}
