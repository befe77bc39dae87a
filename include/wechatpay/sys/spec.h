/**
 * @file sys/spec.h
 * @brief Example bodies (the sandbox's answers), lint (`wxpay spec lint`) and test hooks
 *        over a spec set of wechatpay/spec.h.
 *
 * UNSTABLE: a header of `wechatpay/sys/` (as libgit2's `git2/sys/`): it serves the
 * `wxpay` tool, the sandbox and the tests, and may change or go in any release, also
 * a patch release. Applications use the headers of `wechatpay/` and nothing here.
 */
#ifndef WECHATPAY_SYS_SPEC_H
#define WECHATPAY_SYS_SPEC_H

#include <stddef.h>

#include "../spec.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @brief Build an example response for the sandbox: the first 2xx status and a
 *        body made from the schema's `example`/`examples`/`default`/`enum` values, or
 *        the minimal valid value where there are none.
 * @param status receives the status (200 when the spec gives none).
 * @param body   receives a new json-c value (caller puts it), NULL for an empty body
 *               (e.g. 204).
 * @param err    optional: the error's detail.
 * @return WX_OK; WX_E_NOMEM; WX_E_INVALID_ARG when an argument is NULL.
 */
WX_API WX_NODISCARD wx_err wx_endpoint_example_response(const wx_endpoint_t *ep, int *status,
                                                         struct json_object **body,
                                                         wx_error_t *err);

/**
 * @brief Build an example request body from the schema's examples (NULL if no body).
 * @param body receives a new json-c value (caller puts it), NULL when the endpoint
 *             describes no body.
 * @param err  optional: the error's detail.
 * @return WX_OK; WX_E_NOMEM; WX_E_INVALID_ARG when @p ep or @p body is NULL.
 */
WX_API WX_NODISCARD wx_err wx_endpoint_example_request(const wx_endpoint_t *ep,
                                                        struct json_object **body,
                                                        wx_error_t *err);

/** One line of a lint run. */
typedef struct wx_lint_item {
    int is_error;          /**< 0: an endpoint loaded; 1: a problem (an error, or a
                                warning when @p is_warning) */
    const char *method;    /**< endpoint: "POST" */
    const char *tmpl;      /**< endpoint: "/v3/industry-coupon/tokens" */
    const char *file;      /**< problem: the file */
    const char *where;     /**< problem: the key path inside it */
    const char *message;   /**< problem: what is wrong, then what it degrades in brackets
                                ("... [degrades POST /v3/x: responses not validated]");
                                a warning's starts with "warning: " */
    int is_warning;        /**< 1: a defect that costs something but breaks no request
                                (a draft-4 meta-schema slip, a broken response schema);
                                not counted in @p errors */
    const char *degrades;  /**< problem: the operations it degrades and how, or NULL when
                                it degrades nothing ("POST /v3/x: responses not validated") */
} wx_lint_item_t;

/**
 * @brief Load every file of every directory (eagerly) and report each endpoint and each
 *        broken file through @p cb, in a stable order (sorted by path, then method).
 * @param cb        called once per item (may be NULL); the item's strings are borrowed from
 *                  @p spec and live until wx_spec_free(); the set may be used from the callback.
 * @param ud        passed to @p cb.
 * @param endpoints optional: receives the number of endpoints loaded.
 * @param errors    optional: receives the number of errors (broken files and operations;
 *                  warnings are not counted).
 * @return WX_OK when there is no error; WX_E_SPEC when at least one file is broken;
 *         WX_E_NOMEM (the items found until then were reported); WX_E_INVALID_ARG when
 *         @p spec is NULL.
 */
WX_API wx_err wx_spec_lint(wx_spec_t *spec, void (*cb)(void *ud, const wx_lint_item_t *item),
                           void *ud, size_t *endpoints, size_t *errors);

/**
 * @brief Example inputs for an endpoint, from the spec's examples (else minimal valid
 *        values): three new json-c objects name -> string (caller puts each), one for the
 *        path variables, one for the query and one for the headers. Only required
 *        parameters and those with an explicit example are included.
 * @param path_vars optional (NULL: not wanted), as @p query and @p headers.
 * @param query     optional.
 * @param headers   optional.
 * @param err       optional: the error's detail.
 * @return WX_OK (a NULL @p ep gives empty objects); WX_E_NOMEM.
 */
WX_API WX_NODISCARD wx_err wx_endpoint_example_inputs(const wx_endpoint_t *ep,
                                                       struct json_object **path_vars,
                                                       struct json_object **query,
                                                       struct json_object **headers,
                                                       wx_error_t *err);

/**
 * @brief What the spec knows near a request it does not describe, as one line for an
 *        error message: "the spec has GET /v3/x" (other methods of that path), "did you
 *        mean POST /v3/pay/transactions/native?" (each misspelt segment replaced by its
 *        closest sibling, within a third of its length in edits), or "the nearest known
 *        path is /v3/pay" (the deepest prefix the tree knows, with its methods).
 * @param path a concrete path or a template, leading '/' optional.
 * @param out  receives the text (wx_free()).
 * @return WX_OK; WX_E_NOMEM; WX_E_INVALID_ARG when an argument is NULL.
 * @threadsafety Safe from several threads on one spec.
 */
WX_API WX_NODISCARD wx_err wx_spec_nearest(wx_spec_t *spec, const char *method, const char *path,
                                            char **out);

/** @brief Test hook: how many spec files @p spec has read and parsed so far (files are
 *         read lazily). */
WX_API size_t wx_spec_test_files_read(wx_spec_t *spec);

#ifdef __cplusplus
}
#endif
#endif
