/* wx_schema_validate: one schema, one instance, nothing cached. */
#include "spec/spec_impl.h"

#include <string.h>

#include "util/alloc.h"
#include "util/error.h"

wx_err wx_schema_validate(json_object *schema, json_object *instance, wx_violations_t **out,
                          wx_error_t *err)
{
    if (!out)
        return wx_error_set(err, WX_E_INVALID_ARG, "", "wx_schema_validate: out is NULL");
    *out = NULL;
    wx_arena arena = WX_ARENA_INIT;
    wx_memo memo = WX_MEMO_INIT;
    wx_regex *regexes = NULL;
    wx_spec_problem problem;
    memset(&problem, 0, sizeof problem);
    wx_doc doc;
    memset(&doc, 0, sizeof doc);
    doc.display = (char *)"<schema>";
    doc.root = schema;
    wx_compile_frame *frames = wx_calloc(WX_COMPILE_MAX_FRAMES, sizeof *frames);
    if (!frames)
        return wx_error_set(err, WX_E_NOMEM, "", "out of memory");
    wx_compiler c;
    wx_compiler_init(&c, NULL, &arena, &regexes, &memo, &problem, &doc, frames);
    const wx_schema *s = wx_schema_compile(&c, schema);
    if (wx_compiler_finish(&c))
        s = NULL;
    wx_free(frames);
    wx_err result;
    if (!s) {
        result = wx_error_set(err, problem.code ? problem.code : WX_E_SPEC, problem.keypath,
                              "invalid schema: %s", problem.message);
    } else if (!(*out = wx_violations_new())) {
        result = wx_error_set(err, WX_E_NOMEM, "", "out of memory");
    } else {
        wx_vctx v;
        wx_vctx_init(&v, *out, WX_LOC_NONE, "(root)", "");
        wx_schema_check(s, instance, &v);
        if ((*out)->nomem)
            result = wx_error_set(err, WX_E_NOMEM, "", "out of memory");
        else if ((*out)->n)
            result = wx_error_set(err, WX_E_VALIDATION, "", "%zu violation%s", (*out)->n,
                                  (*out)->n == 1 ? "" : "s");
        else
            result = WX_OK;
    }
    wx_regex_free_list(regexes);
    wx_map_free(&memo);
    wx_arena_free(&arena);
    return result;
}
