#include "fuzz_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *wxf_golden(const char *name)
{
    static struct {
        char name[64];
        char *pem;
    } cache[8];
    for (int i = 0; i < 8; i++) {
        if (cache[i].pem && strcmp(cache[i].name, name) == 0)
            return cache[i].pem;
        if (!cache[i].pem) {
            char path[1024];
            snprintf(path, sizeof path, "%s/%s", WX_GOLDEN_DIR, name);
            FILE *f = fopen(path, "rb");
            if (!f) {
                fprintf(stderr, "fuzz: cannot read %s\n", path);
                abort();
            }
            char *p = calloc(1, 16384);
            size_t n = fread(p, 1, 16383, f);
            fclose(f);
            p[n] = 0;
            snprintf(cache[i].name, sizeof cache[i].name, "%s", name);
            cache[i].pem = p;
            return p;
        }
    }
    abort();
}

void wxf_message_parse(const uint8_t *data, size_t size, wxf_message *m)
{
    memset(m, 0, sizeof *m);
    m->store = malloc(size + 1);
    memcpy(m->store, data, size);
    m->store[size] = 0;
    char *p = m->store, *end = m->store + size;
    while (p < end && m->header_count < 32) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            break;
        char *line_end = nl;
        if (line_end > p && line_end[-1] == '\r')
            line_end--;
        if (line_end == p) { /* the empty line: the body follows */
            p = nl + 1;
            break;
        }
        *line_end = 0;
        char *colon = memchr(p, ':', (size_t)(line_end - p));
        if (colon) {
            *colon = 0;
            char *v = colon + 1;
            while (*v == ' ')
                v++;
            m->headers[m->header_count++] = (wx_kv_t){p, v};
        }
        p = nl + 1;
    }
    m->headers[m->header_count] = (wx_kv_t){NULL, NULL};
    m->body = p;
    m->body_len = (size_t)(end - p);
}

void wxf_message_free(wxf_message *m)
{
    free(m->store);
    m->store = NULL;
}
