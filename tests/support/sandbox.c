#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* The start of the log (enough for the "listening" line), NUL-terminated. */
static void read_log(const char *log, char *buf, size_t n)
{
    buf[0] = 0;
    FILE *f = fopen(log, "r");
    if (!f)
        return;
    size_t got = fread(buf, 1, n - 1, f);
    buf[got] = 0;
    fclose(f);
}

int wxt_sandbox_spawn(wxt_sandbox *s, char *const argv[], const char *log, int wait_ms,
                      char *why, size_t why_len)
{
    memset(s, 0, sizeof *s);
    /* Emptied before the fork: a log left by an earlier run would otherwise show its
     * "listening" line before the child has truncated it. */
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        snprintf(why, why_len, "cannot create %s: %s", log, strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(why, why_len, "fork: %s", strerror(errno));
        close(fd);
        return -1;
    }
    if (pid == 0) {
        dup2(fd, 1);
        dup2(fd, 2);
        setpgid(0, 0);
        execv(argv[0], argv);
        _exit(127);
    }
    close(fd);
    s->pid = pid;
    char buf[4096];
    for (int waited = 0; waited <= wait_ms; waited += 10) {
        read_log(log, buf, sizeof buf);
        /* "listening on http://127.0.0.1:PORT" (https with --tls) */
        const char *p = strstr(buf, "listening on http");
        const char *host = p ? strstr(p, "://127.0.0.1:") : NULL;
        if (host && strchr(p, '\n')) {
            s->port = atoi(host + strlen("://127.0.0.1:"));
            snprintf(s->base_url, sizeof s->base_url, "%s://127.0.0.1:%d/",
                     strncmp(p, "listening on https://", 21) ? "http" : "https", s->port);
            return 0;
        }
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            s->pid = 0;
            snprintf(why, why_len, "wxpay mock exited early: %s", buf);
            return -1;
        }
        usleep(10000);
    }
    wxt_sandbox_stop(s);
    snprintf(why, why_len, "wxpay mock did not start within %d ms", wait_ms);
    return -1;
}

int wxt_sandbox_stop(wxt_sandbox *s)
{
    int status = 0;
    if (s->pid > 0) {
        kill(s->pid, SIGTERM);
        for (int i = 0; waitpid(s->pid, &status, WNOHANG) != s->pid; i++) {
            if (i == 1000) {
                kill(s->pid, SIGKILL);
                waitpid(s->pid, &status, 0);
                break;
            }
            usleep(10000);
        }
    }
    memset(s, 0, sizeof *s);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
