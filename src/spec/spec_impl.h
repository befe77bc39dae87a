/* Private to src/spec: the structures shared by the spec files (parsed documents, the
 * directory tree, compiled schemas, endpoints) and the functions between them.
 * Nothing here is used outside src/spec; the chain layer uses spec_internal.h. */
#ifndef WX_SPEC_IMPL_H
#define WX_SPEC_IMPL_H

#include <pthread.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <json-c/json.h>
#include <wechatpay/spec.h>

#include "spec/builtin.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/map.h"

/* ------------------------------------------------------------------ arena */

/* Compiled schemas and endpoints live as long as their spec set, in util's arena. */
static inline char *wx_spec_arena_strdup(wx_arena *a, const char *s)
{
    return s ? wx_arena_strndup(a, s, strlen(s)) : NULL;
}

/* ------------------------------------------------------------------ problems */

/* A broken spec: the file, the key path inside it, what is wrong. */
typedef struct wx_spec_problem {
    wx_err code; /* WX_E_SPEC, WX_E_NOMEM (WX_OK when unset) */
    char file[256];
    char keypath[256];
    char message[512];
} wx_spec_problem;

wx_err wx_problem_set(wx_spec_problem *p, wx_err code, const char *file, const char *keypath,
                      const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* err->where = "FILE: KEYPATH" (or FILE), message copied. */
wx_err wx_problem_to_error(const wx_spec_problem *p, wx_error_t *err);

/* Key paths as violations and problems print them: `a.b[0].c`. A key that is not a
 * plain name (empty, or with . [ ] " or a space) is written as ["key"]. */
int wx_plain_key(const char *key);
typedef struct wx_keypath {
    char text[512];
    size_t len;
} wx_keypath;
size_t wx_keypath_push_key(wx_keypath *k, const char *key); /* returns the old length */
size_t wx_keypath_push_index(wx_keypath *k, size_t i);
void wx_keypath_pop(wx_keypath *k, size_t old_len);
void wx_keypath_set(wx_keypath *k, const char *text);

/* ------------------------------------------------------------------ parsing */

/* Parse a spec file's bytes. @p is_yaml picks the syntax. On failure fills @p prob
 * (file = display, keypath = "line L, column C"). */
wx_err wx_spec_parse_text(const char *display, const char *data, size_t len, int is_yaml,
                          json_object **out, wx_spec_problem *prob);
wx_err wx_yaml_to_json(const char *display, const char *data, size_t len, json_object **out,
                       wx_spec_problem *prob);
/* 1 for ".yaml"/".yml" names, 0 for ".json", -1 for anything else. */
int wx_spec_file_kind(const char *name);

/* ------------------------------------------------------------------ regex */

typedef struct wx_regex {
    pcre2_code *code;
    struct wx_regex *next; /* the spec set's list, freed with it */
} wx_regex;

/* Compile @p src (ECMA-262 syntax, see regex.c); 0 on success, -1 (bad pattern) or -2
 * (out of memory) with @p why filled ("missing closing parenthesis at offset 2"). */
int wx_regex_compile(wx_regex *r, const char *src, char *why, size_t why_size);
/* 1 when the pattern is found anywhere in s[0..len) (JSON Schema's unanchored search;
 * a NUL inside is an ordinary character), 0 when not, WX_REGEX_TOO_COSTLY when the
 * search hit its match limits (a catastrophic pattern) and cannot say. */
#define WX_REGEX_TOO_COSTLY (-1)
int wx_regex_search(const wx_regex *r, const char *s, size_t len);
void wx_regex_free_list(wx_regex *list);

/* ------------------------------------------------------------------ compiled schemas */

enum {
    WX_T_NULL = 1u << 0,
    WX_T_BOOL = 1u << 1,
    WX_T_INT = 1u << 2,
    WX_T_NUM = 1u << 3, /* "number": WX_T_NUM | WX_T_INT */
    WX_T_STR = 1u << 4,
    WX_T_ARR = 1u << 5,
    WX_T_OBJ = 1u << 6
};

enum {
    WX_SF_NULLABLE = 1u << 0,
    WX_SF_ADDL_FALSE = 1u << 1,
    WX_SF_ADDL_ITEMS_FALSE = 1u << 2,
    WX_SF_UNIQUE = 1u << 3,
    WX_SF_MIN = 1u << 4,
    WX_SF_MAX = 1u << 5,
    WX_SF_EXCL_MIN = 1u << 6,
    WX_SF_EXCL_MAX = 1u << 7,
    WX_SF_MULTIPLE = 1u << 8,
    WX_SF_FALSE = 1u << 9,   /* the `false` schema: nothing is valid */
    WX_SF_OBJ_KW = 1u << 10, /* has object keywords */
    WX_SF_ARR_KW = 1u << 11,
    WX_SF_STR_KW = 1u << 12,
    WX_SF_NUM_KW = 1u << 13,
    WX_SF_XML_ROOT = 1u << 14 /* `xml: {name: xml}`: an APIv2 XML document */
};

enum { WX_FMT_NONE = 0, WX_FMT_DATE_TIME, WX_FMT_DATE, WX_FMT_TIME };

typedef struct wx_schema wx_schema;

/* A numeric bound: as a double, and exactly when it is an integer int64 holds. */
typedef struct wx_bound {
    double d;
    int64_t i;
    int exact;
    const char *text; /* as the spec wrote it, for messages */
} wx_bound;

typedef struct wx_prop {
    const char *name;
    const wx_schema *schema;
} wx_prop;

typedef struct wx_pattern_prop {
    const char *source;
    const wx_regex *re;
    const wx_schema *schema;
} wx_pattern_prop;

struct wx_schema {
    unsigned types; /* WX_T_* mask; 0 = any */
    unsigned flags; /* WX_SF_* */
    const char *type_text;
    const wx_schema *ref; /* $ref target, validated as well as this node's keywords */

    /* object */
    const wx_prop *props;     /* sorted by name */
    const wx_prop *props_doc; /* the same, in document order (for examples) */
    size_t nprops;
    const char *const *required;
    size_t nrequired;
    const wx_schema *additional;
    const wx_pattern_prop *pattern_props;
    size_t npattern_props;
    long min_props, max_props; /* -1: none */

    /* array */
    const wx_schema *items;
    const wx_schema *const *tuple;
    size_t ntuple;
    const wx_schema *additional_items;
    long min_items, max_items;

    /* string */
    long min_len, max_len;
    const wx_regex *pattern;
    const char *pattern_src;
    int format;
    const char *format_name;

    /* number */
    wx_bound minimum, maximum, multiple_of;

    /* enum */
    json_object *const *enums; /* borrowed from the document */
    size_t nenum;
    const char *enum_text;

    /* combinators */
    const wx_schema *const *all_of;
    size_t nall_of;
    const wx_schema *const *any_of;
    size_t nany_of;
    const wx_schema *const *one_of;
    size_t none_of;
    const wx_schema *not_schema;

    /* x-is-sensitive: names of properties whose string values are encrypted */
    const char *const *sensitive;
    size_t nsensitive;

    /* example sources, borrowed from the document */
    json_object *example;
    json_object *deflt;
    json_object *examples;

    /* the longest run of $ref/allOf/anyOf/oneOf/not steps below this schema, set when
     * its compile finishes: the validator recurses that deep on one value */
    int steps;
};

/* The shared accept-anything schema. */
extern const wx_schema wx_schema_any;

/* ------------------------------------------------------------------ documents */

typedef struct wx_doc {
    char *rel;          /* "definitions/Transaction.yaml" */
    char *display;      /* "<builtin>/v3/..." or "DIR/v3/..." */
    json_object *root;  /* NULL when broken */
    wx_spec_problem problem;
    struct wx_doc *next;
} wx_doc;

/* ------------------------------------------------------------------ compiler */

/* The compile memo: one entry per json-c schema node (keyed by identity). */
typedef struct wx_memo_entry {
    wx_map_key key;
    wx_schema *schema; /* NULL: rolled back */
    int depth;         /* instance depth at which it is being compiled */
    int in_progress;
} wx_memo_entry;

typedef wx_map wx_memo;
#define WX_MEMO_INIT WX_MAP_INIT(wx_memo_entry, WX_MAP_POINTER)

typedef struct wx_compile_frame {
    wx_doc *doc;
    wx_keypath path;
} wx_compile_frame;

#define WX_COMPILE_MAX_FRAMES 64

typedef struct wx_compiler {
    wx_spec_t *spec;      /* NULL for a standalone schema */
    wx_arena *arena;
    wx_regex **regexes;   /* where compiled regexes are chained for freeing */
    wx_memo *memo;
    wx_spec_problem *problem;
    /* memo keys added by this compile, so a failure can roll them back */
    const json_object **added;
    size_t nadded, cap_added;
    int instance_depth;
    int recursion;
    wx_compile_frame *frames; /* frames[0] is where the compile started */
    int nframes;
} wx_compiler;

/* Set up a compiler rooted at @p doc. @p frames has WX_COMPILE_MAX_FRAMES entries. */
void wx_compiler_init(wx_compiler *c, wx_spec_t *spec, wx_arena *arena, wx_regex **regexes,
                      wx_memo *memo, wx_spec_problem *problem, wx_doc *doc,
                      wx_compile_frame *frames);
/* Check the compiled graph for loops the validator could not leave, roll back the memo
 * entries of a failed compile and free the bookkeeping. Returns nonzero when the compile
 * failed (c->problem says why). */
int wx_compiler_finish(wx_compiler *c);
/* A part of a compile whose defects cost only that part (an operation, a response):
 * begin it, compile, end it. wx_compile_end_part() returns 1 when the part is sound;
 * on a defect it copies the problem to @p defect, undoes the part (its memo entries,
 * frames and key path) and clears the compiler's problem so the compile goes on; out of
 * memory stays the whole compile's failure (returns 0, nothing cleared). */
typedef struct wx_compile_mark {
    size_t nadded;
    int nframes;
    size_t pathlen;
    int recursion, instance_depth;
} wx_compile_mark;
wx_compile_mark wx_compile_begin_part(wx_compiler *c);
int wx_compile_end_part(wx_compiler *c, const wx_compile_mark *m, wx_spec_problem *defect);
/* Compile a schema node at the current frame (its key path already pushed). */
const wx_schema *wx_schema_compile(wx_compiler *c, json_object *node);
/* Every keyword of one schema object (keywords.c). In param mode (a Swagger 2.0
 * parameter) the parameter's own keys (required, ...) are not schema keywords. */
void wx_schema_compile_keywords(wx_compiler *c, wx_schema *s, json_object *node, int param);
static inline int wx_compile_failed(const wx_compiler *c) { return c->problem->code != WX_OK; }
/* Record "out of memory" at the current frame (unless a problem is already there). */
void wx_compile_nomem(wx_compiler *c);
wx_memo_entry *wx_memo_find(wx_memo *m, const json_object *key);
/* Compile a Swagger 2.0 non-body parameter object as a schema (skipping name/in/...). */
const wx_schema *wx_schema_compile_param(wx_compiler *c, json_object *param);
/* Report a problem at the current frame's key path (with `key` appended if not NULL). */
void wx_compile_fail(wx_compiler *c, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Resolve a `$ref` string seen at the current frame. On success pushes a frame for the
 * target's document (the caller pops it with wx_compile_pop_frame) and returns the node. */
json_object *wx_compile_follow_ref(wx_compiler *c, const char *ref);
void wx_compile_pop_frame(wx_compiler *c);
/* The current frame. */
static inline wx_compile_frame *wx_compile_top(wx_compiler *c) { return &c->frames[c->nframes - 1]; }

/* JSON pointer ("/a/b~1c", percent-decoded) or bare name ("Name") inside @p root. On
 * success returns the node and appends its key path to @p kp; NULL when absent. */
json_object *wx_json_pointer(json_object *root, const char *fragment, wx_keypath *kp);
/* Join @p ref_path onto the folder of @p base_rel and normalise; 0 or -1 when it leaves
 * the tree. */
int wx_rel_resolve(const char *base_rel, const char *ref_path, char *out, size_t out_size);

/* ------------------------------------------------------------------ violations */

struct wx_violations {
    wx_violation_t *items;
    size_t n, cap;
    size_t *index;    /* hash of (location, path, reason) -> item number + 1; 0: free */
    size_t index_cap; /* a power of two, at least twice n */
    int nomem;
};

wx_violations_t *wx_violations_new(void);
/* Append unless an identical (location, path, reason) is already there. 0 or -1 (nomem). */
int wx_violations_add(wx_violations_t *v, wx_location loc, const char *path, const char *reason);

#define WX_VALIDATE_MAX_DEPTH 128

typedef struct wx_path_seg {
    const char *key; /* NULL: an index */
    size_t index;
} wx_path_seg;

typedef struct wx_vctx {
    wx_violations_t *out; /* NULL: stop at the first violation */
    wx_location loc;
    const char *root_name; /* the path of the root value: "body", "query.mchid" */
    const char *prefix;    /* put before nested paths: "" for bodies, "query.mchid" */
    wx_path_seg path[WX_VALIDATE_MAX_DEPTH];
    int depth;
    int count;
    int xml_text; /* an APIv2 XML body: a decimal string stands for an integer/number */
} wx_vctx;

void wx_vctx_init(wx_vctx *c, wx_violations_t *out, wx_location loc, const char *root_name,
                  const char *prefix);
/* Validate; returns the number of violations found (at most 1 without an output list). */
int wx_schema_check(const wx_schema *s, json_object *v, wx_vctx *c);
/* Record a violation at the current path (with @p key appended when not NULL). */
void wx_vctx_report(wx_vctx *c, const char *key, const char *reason);
/* The same with a formatted reason, formatted only when a list takes it (anyOf, oneOf
 * and not try their branches without one). */
void wx_vctx_reportf(wx_vctx *c, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ------------------------------------------------------------------ json helpers */

int wx_json_equal(json_object *a, json_object *b);
/* "integer", "number", "string", ... as type errors name them. */
const char *wx_json_type_name(json_object *v);
/* Does v have one of the WX_T_* types in @p mask? */
int wx_json_type_matches(json_object *v, unsigned mask);
size_t wx_utf8_length(const char *s, size_t bytes);
int wx_format_check(int format, const char *s);
/* Append a JSON value's text (strings unquoted) to a buffer. */
void wx_json_append_text(wx_buf *b, json_object *v, int quote_strings);
/* Deep copy (json_object_deep_copy wrapper); NULL stays NULL, returns NULL on failure. */
json_object *wx_json_copy(json_object *v);

/* ------------------------------------------------------------------ endpoints */

enum { WX_IN_PATH = 1, WX_IN_QUERY, WX_IN_HEADER, WX_IN_FORM, WX_IN_COOKIE };

typedef struct wx_param {
    const char *name;
    int in;
    int required;
    const wx_schema *schema; /* never NULL */
    json_object *example;    /* an explicit example, or NULL */
} wx_param;

typedef struct wx_resp {
    const char *code;        /* "200", "2XX", "default" */
    int status;              /* 200, or 0 for "default" and ranges */
    int klass;               /* 2 for "2XX" */
    const wx_schema *schema; /* NULL: no body described */
    json_object *example;    /* the response's own example, or NULL */
} wx_resp;

struct wx_endpoint {
    const char *method; /* "POST" */
    const char *tmpl;   /* "/v3/industry-coupon/tokens" */
    const char *file;
    const wx_param *params;
    size_t nparams;
    const wx_schema *body; /* NULL: no body described */
    int body_required;
    json_object *body_example;
    int has_form;
    const wx_resp *resps;
    size_t nresps;
    int unsigned_response;
    const char *const *sensitive_params; /* the operation's x-is-sensitive */
    size_t nsensitive_params;
    int sensitive_body; /* the body schema marks a field somewhere */
    int xml;           /* APIv2: the body and the answer are XML (every value is text) */
    const wx_spec_problem *resp_problem; /* a broken response: responses not validated */
    const char *resp_problem_text;       /* "FILE: KEYPATH: message" */
    int cert_required; /* x-api-cert-required: true */
    int multipart;     /* consumes multipart/form-data: a media upload */
};

/* A route file is compiled on first use; after running out of memory it stays
 * WX_ROUTE_UNREAD, so the next use tries again. */
enum { WX_ROUTE_UNREAD = 0, WX_ROUTE_READY, WX_ROUTE_BROKEN };

/* An operation left out for a defect in its request side (the other methods of the file
 * still work). */
typedef struct wx_broken_op {
    const char *method; /* "POST" */
    const char *tmpl;
    wx_spec_problem problem;
} wx_broken_op;

/* A route file's compiled operations. */
typedef struct wx_route_file {
    int state; /* WX_ROUTE_* */
    wx_spec_problem problem;
    wx_endpoint_t **eps; /* in the arena; sorted by method */
    size_t neps;
    wx_broken_op *broken; /* in the arena */
    size_t nbroken;
} wx_route_file;

/* Read `x-is-sensitive` (a name or a list of names) at the current frame into an arena
 * list; a wrong form is a compile problem. */
void wx_compile_name_list(wx_compiler *c, json_object *v, const char *key,
                          const char *const **out, size_t *n);
/* 1 when @p s (through $ref, allOf, anyOf, oneOf, properties, items) marks a field. */
int wx_schema_marks_sensitive(const wx_schema *s);

/* The response entry for @p status: exact, then its class (2XX), then default, then for
 * a 2xx any 2xx one with a schema. NULL when none. */
const wx_resp *wx_endpoint_find_resp(const wx_endpoint_t *ep, int status);

/* Compile every operation of @p doc (an OpenAPI path item) into @p rf. */
wx_err wx_route_compile(wx_spec_t *spec, wx_doc *doc, const char *tmpl, wx_route_file *rf);

/* ------------------------------------------------------------------ meta-schema lint */

/* Nodes already checked in one lint run (a pointer set). */
typedef struct wx_meta_seen {
    const json_object **items;
    size_t n, cap;
    int nomem;
} wx_meta_seen;

/* One violation: where, error (0) or warning (1), the operation that reached it ("post")
 * and whether from a response. */
typedef void (*wx_meta_report)(void *ud, const char *file, const char *keypath, int warning,
                               const char *method, int response, const char *message);

/* Check every schema an operation of route file @p doc reaches against the draft-4
 * meta-schema (metalint.c). Caller holds the lock. */
void wx_meta_lint_route(wx_spec_t *spec, wx_doc *doc, wx_meta_seen *seen, wx_meta_report report,
                        void *ud);

/* ------------------------------------------------------------------ tree */

typedef struct wx_dir wx_dir;

typedef struct wx_child {
    char *name;     /* segment: file stem or folder name */
    int is_var;     /* "{name}" */
    wx_dir *dir;    /* a folder of that name, or NULL */
    char *file_rel; /* the winning file's path, or NULL */
    int file_src;   /* source index of that file */
    int file_rank;  /* .json 0, .yaml 1, .yml 2: the order within one source */
    wx_route_file route;
} wx_child;

struct wx_dir {
    char *rel; /* "" for the root, "v3/pay" */
    int listed;
    wx_child *children; /* sorted by name */
    size_t n;
};

/* List a folder across all sources (once). Caller holds the lock. */
wx_err wx_dir_list(wx_spec_t *spec, wx_dir *d, wx_error_t *err);
/* Child by exact name, NULL if none. */
wx_child *wx_dir_child(wx_dir *d, const char *name, size_t len);
void wx_dir_free(wx_dir *d);

/* ------------------------------------------------------------------ the spec set */

enum { WX_SRC_TABLE = 1, WX_SRC_DIR };

typedef struct wx_source {
    int kind;
    char *root;                     /* the folder, or "<builtin>" */
    const wx_builtin_spec_t *table; /* WX_SRC_TABLE */
    size_t ntable;
} wx_source;

typedef struct wx_parent_cache wx_parent_cache;

struct wx_spec {
    pthread_mutex_t lock;
    wx_source *sources;
    size_t nsources;
    wx_arena arena;
    wx_memo memo;
    wx_regex *regexes;
    wx_doc *docs;
    wx_dir *root;
    wx_parent_cache *parents;
    size_t files_read;
};

/* The parsed document for a file path relative to the tree (the latest source that has
 * it). Caller holds the lock. Returns NULL and fills @p prob when it is missing or broken. */
wx_doc *wx_spec_doc(wx_spec_t *spec, const char *rel, wx_spec_problem *prob);
/* Create a spec set over an in-memory table (tests, fuzzing). */
wx_err wx_spec_new_table(const wx_builtin_spec_t *table, size_t n, wx_spec_t **out,
                         wx_error_t *err);
/* The file's route state, compiling it on first use. Caller holds the lock. */
wx_route_file *wx_child_route(wx_spec_t *spec, wx_child *ch);
/* Example value for a schema (a new json-c value, NULL on out of memory). */
json_object *wx_schema_example(const wx_schema *s);
void wx_parent_cache_free(wx_parent_cache *pc);

#endif
