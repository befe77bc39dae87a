/* Build-time tool: the spec files chosen for the library -> builtin_specs.c.
 *
 *   wx_spec_pack FORM OUT.c SPEC_DIR ENTRY...
 *
 * FORM is `full` (every member kept) or `compact` (descriptions, summaries, titles,
 * external docs and examples left out: the library never reads them; the tool and the
 * sandbox read the files). ENTRY is `all` or a path under SPEC_DIR, a folder (every spec
 * file below it) or one file; an entry that names nothing is an error. JSON files are
 * written minified, YAML files as they are. Each packed file is parsed back and compared
 * with what was meant, so a packing mistake fails the build, not a request.
 *
 * It runs on the build machine: a cross build passes a host build of it with
 * -DWXPAY_SPEC_PACK=PATH. Output: the table spec/builtin.h declares, sorted by path. */
#include <dirent.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_NESTING 128 /* as src/spec/parse.c */

typedef struct {
    char **items;
    size_t n, cap;
} list;

static void die(const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "wx_spec_pack: ");
    fprintf(stderr, fmt, a, b);
    fputc('\n', stderr);
    exit(1);
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        die("out of memory%s%s", "", "");
    return p;
}

/* "a/b"; "a" or "b" when the other is empty. */
static char *join(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    char *s = xmalloc(na + nb + 2);
    snprintf(s, na + nb + 2, "%s%s%s", a, na && nb ? "/" : "", b);
    return s;
}

static void push(list *l, char *s)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        char **items = realloc(l->items, l->cap * sizeof *items);
        if (!items)
            die("out of memory%s%s", "", "");
        l->items = items;
    }
    l->items[l->n++] = s;
}

static int is_spec_name(const char *name)
{
    size_t n = strlen(name);
    return (n > 5 && (!strcmp(name + n - 5, ".json") || !strcmp(name + n - 5, ".yaml"))) ||
           (n > 4 && !strcmp(name + n - 4, ".yml"));
}

/* Every spec file under root/rel, as paths relative to root. */
static void walk(const char *root, const char *rel, list *out)
{
    char *dir = join(root, rel);
    DIR *d = opendir(dir);
    if (!d)
        die("cannot read the folder %s: %s", dir, strerror(errno));
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char *child = join(rel, de->d_name), *full = join(root, child);
        struct stat st;
        if (stat(full, &st) != 0)
            die("cannot stat %s: %s", full, strerror(errno));
        if (S_ISDIR(st.st_mode))
            walk(root, child, out);
        if (S_ISREG(st.st_mode) && is_spec_name(de->d_name))
            push(out, child);
        else
            free(child);
        free(full);
    }
    closedir(d);
    free(dir);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Whether `rel` is chosen by `entry`: the file itself, or a file below the folder. */
static int chosen_by(const char *rel, const char *entry)
{
    size_t n = strlen(entry);
    while (n > 0 && entry[n - 1] == '/')
        n--;
    if (!strcmp(entry, "all"))
        return 1;
    return !strncmp(rel, entry, n) && (rel[n] == 0 || rel[n] == '/');
}

/* Members that only explain: the library never reads them. */
static int is_prose(const char *key)
{
    static const char *const prose[] = {"description", "summary", "title", "externalDocs",
                                        "example", "examples", "x-example", NULL};
    for (size_t i = 0; prose[i]; i++)
        if (!strcmp(key, prose[i]))
            return 1;
    return 0;
}

/* Members whose keys are names the spec author chose (field names, status codes, media
 * types): a field called "description" is kept; each value is a spec object again. */
static int is_name_map(const char *key)
{
    static const char *const maps[] = {"properties", "patternProperties", "definitions",
                                       "$defs", "responses", "content", "headers", "paths",
                                       "dependencies", "securityDefinitions", NULL};
    for (size_t i = 0; maps[i]; i++)
        if (!strcmp(key, maps[i]))
            return 1;
    return 0;
}

/* Members that hold data (enum values, defaults, extensions): kept whole, not walked. */
static int is_data(const char *key)
{
    return !strcmp(key, "enum") || !strcmp(key, "default") || !strcmp(key, "const") ||
           !strncmp(key, "x-", 2);
}

static void strip(json_object *node, int name_map);

static void strip_member(json_object *value, const char *key)
{
    if (!is_data(key))
        strip(value, is_name_map(key));
}

/* Leaves out prose members of a spec object (not of a name map), recursively. */
static void strip(json_object *node, int name_map)
{
    if (json_object_is_type(node, json_type_array)) {
        for (size_t i = 0; i < json_object_array_length(node); i++)
            strip(json_object_array_get_idx(node, i), 0);
        return;
    }
    if (!json_object_is_type(node, json_type_object))
        return;
    list drop = {0};
    json_object_object_foreach(node, key, value)
    {
        if (name_map)
            strip(value, 0);
        else if (is_prose(key))
            push(&drop, key);
        else
            strip_member(value, key);
    }
    for (size_t i = 0; i < drop.n; i++)
        json_object_object_del(node, drop.items[i]);
    free(drop.items);
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        die("cannot open %s: %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    char *buf = xmalloc(cap + 1);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *bigger = realloc(buf, cap * 2 + 1);
            if (!bigger)
                die("out of memory reading %s%s", path, "");
            buf = bigger;
            cap *= 2;
        }
    }
    if (ferror(f))
        die("cannot read %s: %s", path, strerror(errno));
    fclose(f);
    buf[n] = 0;
    *len = n;
    return buf;
}

static json_object *parse(const char *what, const char *text, size_t len)
{
    json_tokener *tok = json_tokener_new_ex(MAX_NESTING);
    if (!tok)
        die("out of memory%s%s", "", "");
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    json_object *root = json_tokener_parse_ex(tok, text, (int)len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    if (jerr == json_tokener_continue) { /* a bare value ends only at a terminator */
        root = json_tokener_parse_ex(tok, "", 1);
        jerr = json_tokener_get_error(tok);
    }
    json_tokener_free(tok);
    if (jerr != json_tokener_success)
        die("%s: invalid JSON: %s", what, json_tokener_error_desc(jerr));
    return root;
}

/* The JSON file at `path` in the chosen form, minified; the caller frees it. */
static char *pack_json(const char *path, const char *text, size_t len, int compact,
                       size_t *out_len)
{
    if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3)) { /* a byte order mark is skipped */
        text += 3;
        len -= 3;
    }
    json_object *root = parse(path, text, len);
    if (compact)
        strip(root, 0);
    size_t n;
    const char *min = json_object_to_json_string_length(
        root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
    if (!min)
        die("%s: cannot serialise%s", path, "");
    json_object *back = parse(path, min, n);
    if (!json_object_equal(root, back))
        die("%s: the minified form does not read back the same%s", path, "");
    char *copy = xmalloc(n + 1);
    memcpy(copy, min, n + 1);
    json_object_put(back);
    json_object_put(root);
    *out_len = n;
    return copy;
}

static void emit_bytes(FILE *out, size_t i, const char *data, size_t len)
{
    fprintf(out, "static const unsigned char k_spec_%zu[] = {", i);
    for (size_t k = 0; k < len; k++)
        fprintf(out, "%s0x%02x,", k % 24 ? "" : "\n", (unsigned char)data[k]);
    fprintf(out, "0x00};\n");
}

static void write_table(const char *out_path, const char *root, const list *files, int compact)
{
    /* Written beside and renamed, so a failed run leaves no half table behind. */
    char *tmp = join(out_path, "");
    tmp = realloc(tmp, strlen(out_path) + 5);
    if (!tmp)
        die("out of memory%s%s", "", "");
    strcat(tmp, ".tmp");
    FILE *out = fopen(tmp, "w");
    if (!out)
        die("cannot write %s: %s", tmp, strerror(errno));
    fprintf(out, "/* Generated by tools/spec_pack.c from spec/ (%s form). Do not edit. */\n"
                 "#include <stddef.h>\n#include \"spec/builtin.h\"\n\n",
            compact ? "compact" : "full");
    size_t *lens = xmalloc(files->n * sizeof *lens);
    for (size_t i = 0; i < files->n; i++) {
        const char *rel = files->items[i];
        char *path = join(root, rel);
        size_t len;
        char *text = read_file(path, &len);
        if (strlen(rel) > 5 && !strcmp(rel + strlen(rel) - 5, ".json")) {
            char *packed = pack_json(path, text, len, compact, &len);
            free(text);
            text = packed;
        }
        emit_bytes(out, i, text, len);
        lens[i] = len;
        free(text);
        free(path);
    }
    fprintf(out, "\nconst wx_builtin_spec_t wx_builtin_specs[] = {\n");
    for (size_t i = 0; i < files->n; i++)
        fprintf(out, "    {\"%s\", (const char *)k_spec_%zu, %zu},\n", files->items[i], i, lens[i]);
    fprintf(out, "    {NULL, NULL, 0}\n};\nconst size_t wx_builtin_spec_count = %zu;\n", files->n);
    if (fclose(out) != 0 || rename(tmp, out_path) != 0)
        die("cannot write %s: %s", out_path, strerror(errno));
    free(lens);
    free(tmp);
}

int main(int argc, char **argv)
{
    if (argc < 5 || (strcmp(argv[1], "full") && strcmp(argv[1], "compact")))
        die("usage: wx_spec_pack full|compact OUT.c SPEC_DIR ENTRY...%s%s", "", "");
    list all = {0}, chosen = {0};
    walk(argv[3], "", &all);
    qsort(all.items, all.n, sizeof *all.items, cmp_str);
    for (int e = 4; e < argc; e++) {
        size_t hits = 0;
        for (size_t i = 0; i < all.n; i++)
            hits += chosen_by(all.items[i], argv[e]) != 0;
        if (!hits && strcmp(argv[e], "none"))
            die("WXPAY_EMBED_SPECS: '%s' names no spec file or folder under %s", argv[e], argv[3]);
    }
    for (size_t i = 0; i < all.n; i++) {
        int take = 0;
        for (int e = 4; e < argc && !take; e++)
            take = chosen_by(all.items[i], argv[e]);
        if (take)
            push(&chosen, all.items[i]);
    }
    write_table(argv[2], argv[3], &chosen, !strcmp(argv[1], "compact"));
    for (size_t i = 0; i < all.n; i++)
        free(all.items[i]);
    free(all.items);
    free(chosen.items);
    return 0;
}
