/* The spec tree as the router sees it: folders listed lazily, merged across sources
 * (the built-in table, WXPAY_SPEC_PATH, the option directories). For the same segment a
 * later source wins; within one source .json wins over .yaml over .yml. */
#include "spec/spec_impl.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/alloc.h"
#include "util/error.h"

typedef struct listing {
    wx_child *items;
    size_t n, cap;
    int nomem;
} listing;

static wx_child *get_child(listing *l, const char *name, size_t len)
{
    for (size_t i = 0; i < l->n; i++)
        if (strlen(l->items[i].name) == len && memcmp(l->items[i].name, name, len) == 0)
            return &l->items[i];
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 4; /* most folders have a few entries */
        wx_child *items = wx_realloc(l->items, cap * sizeof *items);
        if (!items) {
            l->nomem = 1;
            return NULL;
        }
        l->items = items;
        l->cap = cap;
    }
    wx_child *ch = &l->items[l->n];
    memset(ch, 0, sizeof *ch);
    ch->name = wx_strndup(name, len);
    if (!ch->name) {
        l->nomem = 1;
        return NULL;
    }
    ch->is_var = len >= 2 && name[0] == '{' && name[len - 1] == '}';
    ch->file_src = -1;
    l->n++;
    return ch;
}

static char *join(const char *dir, const char *name, size_t len)
{
    size_t dl = strlen(dir);
    char *p = wx_malloc(dl + len + 2);
    if (!p)
        return NULL;
    size_t w = 0;
    if (dl) {
        memcpy(p, dir, dl);
        p[dl] = '/';
        w = dl + 1;
    }
    memcpy(p + w, name, len);
    p[w + len] = 0;
    return p;
}

static void saw_dir(listing *l, const char *rel, const char *name, size_t len)
{
    wx_child *ch = get_child(l, name, len);
    if (!ch || ch->dir)
        return;
    ch->dir = wx_calloc(1, sizeof *ch->dir);
    if (!ch->dir || !(ch->dir->rel = join(rel, name, len))) {
        wx_free(ch->dir);
        ch->dir = NULL;
        l->nomem = 1;
    }
}

static void saw_file(listing *l, const char *rel, const char *name, int src)
{
    size_t len = strlen(name);
    int kind = wx_spec_file_kind(name);
    if (kind < 0 || name[0] == '.')
        return;
    int rank = kind == 0 ? 0 : strcmp(name + len - 5, ".yaml") == 0 ? 1 : 2;
    size_t stem = len - (rank == 2 ? 4 : 5);
    if (stem == 0)
        return;
    wx_child *ch = get_child(l, name, stem);
    if (!ch)
        return;
    if (ch->file_rel && (src < ch->file_src || (src == ch->file_src && rank >= ch->file_rank)))
        return;
    char *fr = join(rel, name, len);
    if (!fr) {
        l->nomem = 1;
        return;
    }
    wx_free(ch->file_rel);
    ch->file_rel = fr;
    ch->file_src = src;
    ch->file_rank = rank;
}

static void list_table(listing *l, const wx_source *s, int src, const char *rel)
{
    size_t rl = strlen(rel);
    for (size_t i = 0; i < s->ntable; i++) {
        const char *path = s->table[i].path;
        const char *rest;
        if (rl == 0) {
            rest = path;
        } else {
            if (strncmp(path, rel, rl) != 0 || path[rl] != '/')
                continue;
            rest = path + rl + 1;
        }
        const char *slash = strchr(rest, '/');
        if (slash) {
            if (rest[0] != '.')
                saw_dir(l, rel, rest, (size_t)(slash - rest));
        } else {
            saw_file(l, rel, rest, src);
        }
    }
}

/* A symbolic link to a folder that is already on the way to it (itself, a parent, or a
 * folder that links back) would make the tree infinite, and with two such links the walk
 * exponential: it is not followed. @p path is the folder being listed, in @p s; the
 * folders on its way are compared by device and inode. */
static int link_loops(const wx_source *s, const char *rel, const char *target)
{
    struct stat t;
    if (stat(target, &t) != 0)
        return 1;
    size_t rl = strlen(rel);
    for (size_t end = 0;; end++) {
        if (end == 0 || end == rl || rel[end] == '/') {
            char *prefix = join(s->root, rel, end);
            struct stat st;
            int same = prefix && stat(prefix, &st) == 0 && st.st_dev == t.st_dev &&
                       st.st_ino == t.st_ino;
            wx_free(prefix);
            if (same)
                return 1;
        }
        if (end == rl)
            return 0;
    }
}

static void list_dir(listing *l, const wx_source *s, int src, const char *rel)
{
    char *path = join(s->root, rel, strlen(rel));
    if (!path) {
        l->nomem = 1;
        return;
    }
    DIR *d = opendir(path);
    if (!d) {
        /* This source has nothing there. */
        wx_free(path);
        return;
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        int is_dir = 0, is_file = 0;
#ifdef DT_DIR
        if (de->d_type == DT_DIR)
            is_dir = 1;
        else if (de->d_type == DT_REG)
            is_file = 1;
        else
#endif
        {
            char *full = join(path, de->d_name, strlen(de->d_name));
            struct stat st;
            if (full && stat(full, &st) == 0) {
                is_dir = S_ISDIR(st.st_mode) && !link_loops(s, rel, full);
                is_file = S_ISREG(st.st_mode);
            }
            wx_free(full);
        }
        if (is_dir)
            saw_dir(l, rel, de->d_name, strlen(de->d_name));
        else if (is_file)
            saw_file(l, rel, de->d_name, src);
    }
    closedir(d);
    wx_free(path);
}

static int cmp_child(const void *a, const void *b)
{
    return strcmp(((const wx_child *)a)->name, ((const wx_child *)b)->name);
}

static void free_child(wx_child *ch)
{
    wx_free(ch->name);
    wx_free(ch->file_rel);
    wx_dir_free(ch->dir);
}

wx_err wx_dir_list(wx_spec_t *spec, wx_dir *d, wx_error_t *err)
{
    if (d->listed)
        return WX_OK;
    listing l = {0};
    for (size_t i = 0; i < spec->nsources && !l.nomem; i++) {
        const wx_source *s = &spec->sources[i];
        if (s->kind == WX_SRC_TABLE)
            list_table(&l, s, (int)i, d->rel);
        else
            list_dir(&l, s, (int)i, d->rel);
    }
    if (l.nomem) {
        for (size_t i = 0; i < l.n; i++)
            free_child(&l.items[i]);
        wx_free(l.items);
        return wx_error_set(err, WX_E_NOMEM, d->rel, "out of memory listing the spec tree");
    }
    if (l.n)
        qsort(l.items, l.n, sizeof *l.items, cmp_child);
    /* A child is about 1 KiB and a listing lives as long as its spec set: no spare room
     * is kept (a device's RAM per client; the old block stays if shrinking fails). */
    if (l.n && l.n < l.cap) {
        wx_child *fit = wx_realloc(l.items, l.n * sizeof *fit);
        if (fit)
            l.items = fit;
    }
    d->children = l.items;
    d->n = l.n;
    d->listed = 1;
    return WX_OK;
}

wx_child *wx_dir_child(wx_dir *d, const char *name, size_t len)
{
    size_t lo = 0, hi = d->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const char *cn = d->children[mid].name;
        int cmp = strncmp(name, cn, len);
        if (cmp == 0 && cn[len] != 0)
            cmp = -1;
        if (cmp == 0)
            return &d->children[mid];
        if (cmp < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

void wx_dir_free(wx_dir *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++)
        free_child(&d->children[i]);
    wx_free(d->children);
    wx_free(d->rel);
    wx_free(d);
}
