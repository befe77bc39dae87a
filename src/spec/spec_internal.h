/* The spec layer as other layers of the library (and the tests) see it beyond the
 * public header. */
#ifndef WX_SPEC_INTERNAL_H
#define WX_SPEC_INTERNAL_H

#include <stddef.h>
#include <wechatpay/spec.h>
#include <wechatpay/sys/spec.h>

struct json_object;

/* What the spec tree says of a child segment under a parent path. */
typedef enum wx_spec_segment {
    WX_SPEC_SEGMENT_UNKNOWN = 0,  /* the spec tree says nothing there */
    WX_SPEC_SEGMENT_LITERAL = 1,  /* a literal child of that name exists */
    WX_SPEC_SEGMENT_VARIABLE = 2, /* no such literal, but a {variable} child at that position */
} wx_spec_segment;

/* Kind of the child segment `seg` under `parent` (a template or concrete path, "" for
   the root), a wx_spec_segment. Must be fast after the first call for a given parent. */
int wx_spec_segment_kind(wx_spec_t *spec, const char *parent, const char *seg);

/* The literal child of @p parent closest to @p seg by edit distance (a third of its
   length at most, 1 to 3 edits; the first in name order on a tie), copied into @p out:
   1 when there is one, else 0. For "did you mean" in errors; takes the spec's lock. */
int wx_spec_closest_segment(wx_spec_t *spec, const char *parent, const char *seg, char *out,
                            size_t cap);

/* Test and fuzzing hook: a spec set over in-memory files (`path` relative to the tree,
 * e.g. "v3/x.yaml"), instead of the built-in tree, the environment and directories.
 * The table (sorted by path, terminated by {NULL, NULL, 0}) is borrowed for the life
 * of the set. */
struct wx_builtin_spec;
wx_err wx_spec_test_new_table(const struct wx_builtin_spec *table, wx_spec_t **out,
                              wx_error_t *err);

#endif
