/**
 * @file spec.h
 * @brief Endpoint specs: loading a spec tree, routing a path to its endpoint,
 *        validating requests and responses, and building example responses.
 *
 * A spec tree mirrors the URL: `v3/industry-coupon/tokens.json` (or `.yaml`/`.yml`)
 * describes `/v3/industry-coupon/tokens`; a `{name}` file or folder is a path
 * variable. A file is an OpenAPI path item: method keys, each with `parameters`
 * (Swagger 2.0 `in`: path, query, header, body, formData) or `requestBody`
 * (OpenAPI 3), and `responses`; schemas are JSON Schema draft 4 as Swagger uses it.
 * Files are read lazily (a client that calls one endpoint reads one file) and
 * cached; a later directory overrides an earlier one (for the same path, whatever the
 * extension; within one directory `.json` wins over `.yaml` over `.yml`); the tree
 * shipped in `spec/` is compiled into the library. `$ref`s may point into the same file
 * (`#/A/B`, a JSON pointer) or to a relative file (`../definitions/X.yaml#/Name`, or the
 * bare `X.yaml#Name`); relative files resolve in the merged tree.
 *
 * YAML files follow the YAML 1.2 core schema: unquoted numbers are numbers, true/false
 * booleans, null/~ null, quoted scalars strings (yes/no/on/off stay strings); mapping
 * keys are strings (`200:` is "200"); anchors, aliases and `<<` merges work.
 *
 * Violation paths: `body` for the request body itself, `coupon_list[0].stock_id` inside
 * it, `query.mchid`, `path.transaction_id`, `header.Wechatpay-Serial`.
 * @threadsafety A wx_spec_t may be used from many threads at once; endpoints and
 *               violations borrowed from it live until wx_spec_free().
 */
#ifndef WECHATPAY_SPEC_H
#define WECHATPAY_SPEC_H

#include "common.h"
#include "response.h"

#ifdef __cplusplus
extern "C" {
#endif

struct json_object;
typedef struct wx_spec wx_spec_t;
typedef struct wx_endpoint wx_endpoint_t;
typedef struct wx_violations wx_violations_t;

/** Version of wx_spec_options_t in these headers (common.h, "Growing structs"). */
#define WX_SPEC_OPTIONS_VERSION 1
/** A wx_spec_options_t of this version with every other member zero. */
#define WX_SPEC_OPTIONS_INIT {.version = WX_SPEC_OPTIONS_VERSION}

/** Where spec files come from. Zero value: the compiled-in tree plus WXPAY_SPEC_PATH. */
typedef struct wx_spec_options {
    unsigned version;               /**< WX_SPEC_OPTIONS_VERSION; 0 means 1 */
    const char *const *dirs;  /**< NULL-terminated directories, searched after the built-in
                                   tree and WXPAY_SPEC_PATH; later ones win */
    int no_builtin;           /**< 1: leave out the compiled-in tree */
    int no_env;               /**< 1: ignore WXPAY_SPEC_PATH (a ':'-separated list) */
} wx_spec_options_t;

/**
 * @brief Create a spec set. Directories are checked to exist; files are read lazily.
 * @return WX_OK; WX_E_IO for a directory that cannot be opened (named in err->where);
 *         WX_E_NOMEM.
 */
WX_API WX_NODISCARD wx_err wx_spec_new(const wx_spec_options_t *opts, wx_spec_t **out,
                                        wx_error_t *err);

/** @brief Free a spec set and everything borrowed from it. Accepts NULL. */
WX_API void wx_spec_free(wx_spec_t *spec);

/**
 * @brief Find the endpoint for a method and a path.
 * @param path a template ("v3/pay/transactions/id/{transaction_id}") or a concrete path
 *             ("/v3/pay/transactions/id/4200000001", leading '/' optional, no query).
 * @param ep   receives the endpoint (borrowed from @p spec).
 * @param vars if not NULL, receives a new json-c object (caller puts it) with the path
 *             variables taken from a concrete path, e.g. {"transaction_id":"4200000001"}.
 * @return WX_OK; WX_E_NOT_FOUND when no spec describes it (not an error for callers
 *         that send unspecified requests); WX_E_SPEC when the file that should
 *         describe it is broken (err->where names the file and key path); WX_E_NOMEM;
 *         WX_E_INVALID_ARG when @p spec, @p method, @p path or @p ep is NULL.
 */
WX_API WX_NODISCARD wx_err wx_spec_find(wx_spec_t *spec, const char *method, const char *path,
                                         const wx_endpoint_t **ep, struct json_object **vars,
                                         wx_error_t *err);

/** @brief "POST", ... (borrowed). */
WX_API const char *wx_endpoint_method(const wx_endpoint_t *ep);
/** @brief "/v3/industry-coupon/tokens" with `{name}` variables (borrowed). */
WX_API const char *wx_endpoint_template(const wx_endpoint_t *ep);
/** @brief The file the endpoint was loaded from ("<builtin>/v3/..." for compiled-in ones). */
WX_API const char *wx_endpoint_file(const wx_endpoint_t *ep);

/** A request as the validator sees it. All members borrowed; NULL means absent. */
typedef struct wx_request_view {
    struct json_object *path_vars; /**< object: name -> string */
    const wx_kv_t *query;          /**< ends with {NULL, NULL} */
    const wx_kv_t *headers;        /**< ends with {NULL, NULL}; names case-insensitive */
    struct json_object *body;      /**< parsed body, NULL for none */
    int has_body;                  /**< 1 if a body was given (even `null`) */
} wx_request_view_t;

/**
 * @brief Validate a request against an endpoint. Every violation is reported.
 * @param out receives the violations (free with wx_violations_free()), also when empty.
 * @return WX_OK when valid; WX_E_VALIDATION when there is at least one violation;
 *         WX_E_NOMEM (the list may then be incomplete); WX_E_INVALID_ARG when @p ep or
 *         @p out is NULL (*out is then NULL).
 */
WX_API WX_NODISCARD wx_err wx_endpoint_validate_request(const wx_endpoint_t *ep,
                                                         const wx_request_view_t *req,
                                                         wx_violations_t **out);

/**
 * @brief Validate a response body against the endpoint's schema for @p status
 *        (falling back to its class, e.g. `2XX`, then `default`, and for a 2xx status
 *        to any 2xx schema). No schema: valid.
 * @return as wx_endpoint_validate_request(); violations use WX_LOC_RESPONSE.
 */
WX_API WX_NODISCARD wx_err wx_endpoint_validate_response(const wx_endpoint_t *ep, int status,
                                                          struct json_object *body,
                                                          wx_violations_t **out);

/**
 * @brief 1 when the endpoint's 2xx responses are not signed by WeChat Pay (downloads):
 *        `/v3/billdownload/file`, `/v3/merchant-service/images/{media_id}`, and any
 *        operation (or path item) with the extension `x-unsigned-response: true`.
 */
WX_API int wx_endpoint_unsigned_response(const wx_endpoint_t *ep);

/**
 * @brief 1 when the endpoint is an APIv2 call whose body and answer are XML: its
 *        operation (or path item) `consumes` `application/xml`, or its body schema
 *        (through `$ref`/`allOf`) carries `xml: {name: xml}`. 0 otherwise and for NULL.
 *        For such an endpoint every value travels as text, so validation accepts a
 *        decimal integer string where the schema says `integer` and a decimal number
 *        string where it says `number` ("10099", "-3", "12.50"), with every other
 *        keyword (minimum, enum, ...) applied to the number.
 * @threadsafety Reads immutable compiled data: any thread.
 */
WX_API int wx_endpoint_is_xml(const wx_endpoint_t *ep);

/**
 * @brief 1 when the operation (or its path item) says `x-api-cert-required: true`:
 *        the APIv2 call must be sent with the merchant certificate as the TLS client
 *        certificate. 0 otherwise and for NULL. Any thread.
 */
WX_API int wx_endpoint_cert_required(const wx_endpoint_t *ep);

/**
 * @brief 1 when the operation (or its path item) `consumes` `multipart/form-data`: a
 *        media upload, whose body is the file and its signed `meta` part. 0 otherwise
 *        and for NULL. Any thread.
 */
WX_API int wx_endpoint_is_multipart(const wx_endpoint_t *ep);

/**
 * @name Sensitive fields (`x-is-sensitive`)
 * For the request pipeline (and a caller who decrypts answers): a spec marks sensitive
 * values with `x-is-sensitive` — on an object schema, the name or list of names of its
 * properties (found through `$ref`, `allOf`, `anyOf`, `oneOf`, `properties`, `items`,
 * `additionalProperties`); on an operation, the names of its parameters. Only string
 * values are reported: those are what WeChat Pay encrypts (RSA-OAEP with the platform key
 * in a request, with the merchant key in an answer).
 * @threadsafety Endpoints are immutable: any thread may walk any endpoint; the instance
 *               walked must not be used by another thread during the walk.
 * @{
 */

/** A sensitive value found in an instance. Every member is borrowed and valid only
 *  during the callback. */
typedef struct wx_sensitive_field {
    wx_location location;       /**< WX_LOC_BODY (request) or WX_LOC_RESPONSE */
    const char *path;           /**< "name", "contact_info.mobile_phone", "receivers[0].name" */
    struct json_object *parent; /**< the object holding the value */
    const char *key;            /**< the value's member name in @p parent */
    struct json_object *value;  /**< the value, a json-c string */
} wx_sensitive_field_t;

/**
 * Called once per sensitive value. It may replace the value in place
 * (`json_object_object_add(f->parent, f->key, json_object_new_string(cipher))`, which
 * frees the old value) but must not otherwise change @p f->parent. Return WX_OK to go on;
 * any other code stops the walk and is returned by it.
 */
typedef wx_err (*wx_sensitive_cb)(void *ud, const wx_sensitive_field_t *f);

/** @brief 1 when the endpoint marks any field of its request body or any parameter
 *         sensitive (so a request to it needs the platform key); 0 otherwise and for NULL. */
WX_API int wx_endpoint_has_sensitive(const wx_endpoint_t *ep);

/**
 * @brief Report every sensitive string value of a request body, each once, in instance
 *        order (marked members of an object first, then its nested objects and arrays).
 * @param body the request body (borrowed; NULL: nothing to report). Walk it after
 *             validation: the walk follows the instance where the schema describes it.
 * @return WX_OK; the callback's code when it stops the walk; WX_E_INVALID_ARG when @p ep
 *         or @p cb is NULL.
 */
WX_API WX_NODISCARD wx_err wx_endpoint_sensitive_paths(const wx_endpoint_t *ep,
                                                        struct json_object *body,
                                                        wx_sensitive_cb cb, void *ud);

/**
 * @brief The same for a response body, with the schema wx_endpoint_validate_response()
 *        would use for @p status. Values are reported with WX_LOC_RESPONSE.
 *        Note that a marked field may be AEAD ciphertext (the certificate download's
 *        `ciphertext`), not RSA: the caller decides by endpoint what to decrypt.
 */
WX_API WX_NODISCARD wx_err wx_endpoint_sensitive_response_paths(const wx_endpoint_t *ep,
                                                                 int status,
                                                                 struct json_object *body,
                                                                 wx_sensitive_cb cb, void *ud);

/**
 * @brief The i-th parameter name the operation marks sensitive (its own `x-is-sensitive`,
 *        a query, header or form parameter), borrowed from the spec set; NULL past the end
 *        or for a NULL endpoint.
 */
WX_API const char *wx_endpoint_sensitive_param(const wx_endpoint_t *ep, size_t i);
/** @} */

/**
 * @brief Why the endpoint's responses are not validated, or NULL when they are. A defect
 *        in a response (a broken schema, a dangling `$ref`, a bad status code) costs only
 *        that: wx_endpoint_validate_response() then accepts every answer, and requests are
 *        validated as usual. The text, "FILE: KEY PATH: what is wrong", is borrowed from the
 *        spec set; a caller that logs may say it once per endpoint. `wxpay spec lint`
 *        reports it as a warning.
 */
WX_API const char *wx_endpoint_response_problem(const wx_endpoint_t *ep);

/** @brief Number of violations in a list (0 for NULL). */
WX_API size_t wx_violations_count(const wx_violations_t *v);
/** @brief The i-th violation (borrowed), NULL past the end. */
WX_API const wx_violation_t *wx_violations_at(const wx_violations_t *v, size_t i);
/** @brief Free a violation list. Accepts NULL. */
WX_API void wx_violations_free(wx_violations_t *v);

/**
 * @brief Validate @p instance against a standalone JSON Schema (draft 4 keywords).
 * @param schema a json-c schema (borrowed); `$ref`s must be local (`#/...`).
 * @param out receives the violations (paths relative to the instance root; a violation
 *            of the root value itself has the path "(root)"); NULL when the schema is
 *            invalid.
 * @return WX_OK; WX_E_VALIDATION; WX_E_SPEC when the schema itself is invalid
 *         (err->where gives its key path); WX_E_NOMEM.
 */
WX_API WX_NODISCARD wx_err wx_schema_validate(struct json_object *schema,
                                               struct json_object *instance,
                                               wx_violations_t **out, wx_error_t *err);

#ifdef __cplusplus
}
#endif
#endif
