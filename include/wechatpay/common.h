/**
 * @file common.h
 * @brief Export macros, error codes and the error detail record shared by every
 *        part of libwechatpay.
 *
 * Every fallible function returns a ::wx_err by value. The human-readable detail
 * (message, the JSON path of an offending field, the HTTP status, the server's own
 * `code`/`message`) travels in a caller-provided ::wx_error_t or on the response,
 * never in a global.
 */
#ifndef WECHATPAY_COMMON_H
#define WECHATPAY_COMMON_H

#include <stddef.h>
#include <stdint.h>

/** How far a signed timestamp (an answer's, a notification's, a request's at the
 *  server) may be from the reader's clock, in seconds: WeChat Pay's own rule. */
#define WX_DEFAULT_MAX_SKEW_S 300

#ifdef __cplusplus
extern "C" {
#endif

#if defined(WX_STATIC)
#  define WX_API
#elif defined(_WIN32)
#  ifdef WX_BUILDING
#    define WX_API __declspec(dllexport)
#  else
#    define WX_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__)
#  define WX_API __attribute__((visibility("default")))
#else
#  define WX_API
#endif

#if defined(__GNUC__)
#  define WX_NODISCARD __attribute__((warn_unused_result))
#else
#  define WX_NODISCARD
#endif

/**
 * Error codes. Codes are only ever appended, never renumbered.
 */
typedef enum wx_err {
    WX_OK = 0,
    WX_E_NOMEM = 1,             /**< an allocation failed */
    WX_E_INVALID_ARG = 2,       /**< a NULL or out-of-range argument */
    WX_E_CHAIN = 3,             /**< a bad chain segment (reported by the verb) */
    WX_E_TEMPLATE = 4,          /**< an invalid URI template */
    WX_E_MISSING_VAR = 5,       /**< a path variable the template needs is absent */
    WX_E_VALIDATION = 6,        /**< the request violates its endpoint spec */
    WX_E_SPEC = 7,              /**< a spec file is unusable (syntax, $ref, schema) */
    WX_E_NOT_FOUND = 8,         /**< no such endpoint, header, key or file */
    WX_E_JSON = 9,              /**< malformed JSON input */
    WX_E_IO = 10,               /**< a file could not be read or written */
    WX_E_CONFIG = 11,           /**< a client configuration is incomplete or wrong */
    WX_E_KEY = 12,              /**< a key or certificate could not be used */
    WX_E_CRYPTO = 13,           /**< a crypto primitive failed */
    WX_E_SIGN = 14,             /**< the signer could not produce a signature */
    WX_E_TRANSPORT = 15,        /**< connection failed, reset or dropped */
    WX_E_TIMEOUT = 16,          /**< a time limit expired */
    WX_E_TOO_LARGE = 17,        /**< a response exceeded the configured maximum size */
    WX_E_VERIFY_HEADER = 18,    /**< a Wechatpay-* header is missing or malformed */
    WX_E_VERIFY_SERIAL = 19,    /**< the response names an unknown platform key */
    WX_E_VERIFY_TIME = 20,      /**< the response timestamp is more than 300 s off */
    WX_E_VERIFY_SIGNATURE = 21, /**< the response signature does not match its bytes */
    WX_E_HTTP = 22,             /**< the server answered 4xx/5xx (verified) */
    WX_E_DECRYPT = 23,          /**< AEAD tag mismatch or OAEP decode failure */
    WX_E_PENDING = 24,          /**< an async request has not completed yet */
    WX_E_INTERNAL = 25,         /**< a broken invariant inside the library */
    WX_E_UNSUPPORTED = 26,      /**< a feature this build does not include */
    WX_E_HEADER_VALUE = 27,     /**< a header name/value with a control byte (CR, LF, ...) */
    WX_E_CONNECT = 28,          /**< no connection could be made: nothing was sent */
    WX_E_DIGEST = 29,           /**< downloaded data does not match its announced digest */
    WX_E_XML = 30,              /**< malformed XML, or XML refused (DOCTYPE, entity, nesting) */
    WX_E_OUTCOME_UNKNOWN = 31,  /**< the connection died after the request was sent; it was
                                     not resent (not retry_safe): the server may have acted */
    WX_E_REPLAY = 32            /**< a notification already seen (the replay guard) */
} wx_err;

/** Where a violation or an error was found. */
typedef enum wx_location {
    WX_LOC_NONE = 0,
    WX_LOC_BODY,
    WX_LOC_PATH,
    WX_LOC_QUERY,
    WX_LOC_HEADER,
    WX_LOC_RESPONSE
} wx_location;

/**
 * The detail of a failure. Fixed-size, so filling it never allocates; strings are
 * NUL-terminated and truncated if longer than their field. Zero-initialise it or
 * pass NULL where a function accepts an optional `wx_error_t *`.
 */
typedef struct wx_error {
    wx_err code;                 /**< same value the function returned */
    char message[512];           /**< human-readable, never contains secrets */
    char where[256];             /**< file, key path or JSON path, "" if none */
    int http_status;             /**< HTTP status if a response was received, else 0 */
    char server_code[64];        /**< WeChat Pay's `code` from an error body, "" if none */
    char server_message[256];    /**< WeChat Pay's `message` from an error body */
} wx_error_t;

/**
 * @brief Short static text for an error code ("signature does not verify", ...).
 * @return a string with static storage; never NULL (unknown codes give "unknown error").
 * @threadsafety Safe from any thread.
 */
WX_API const char *wx_strerror(wx_err code);

/**
 * @brief Name of an error code as written in this header ("WX_E_VERIFY_TIME").
 * @return a static string; never NULL.
 */
WX_API const char *wx_err_name(wx_err code);

/**
 * @brief Allocator hooks used for every allocation the library makes itself
 *        (json-c and libcurl use their own).
 *
 * Set them once, before the first client is created; NULL members restore the
 * C library's functions. Intended for embedded targets and for tests that fail
 * the Nth allocation.
 * @threadsafety Not thread-safe: call before any other library function.
 */
typedef struct wx_allocator {
    void *(*malloc_fn)(size_t size);
    void *(*realloc_fn)(void *ptr, size_t size);
    void (*free_fn)(void *ptr);
} wx_allocator_t;

/**
 * @brief Install the allocator hooks described on wx_allocator_t.
 * @param allocator copied; NULL (or NULL members) restores malloc/realloc/free.
 * @threadsafety Not thread-safe: call before any other library function.
 */
WX_API void wx_set_allocator(const wx_allocator_t *allocator);

/**
 * @brief Free memory the library returned to the caller as a plain buffer
 *        (strings from wx_uri_expand(), wx_base64_encode(), ...). Accepts NULL.
 */
WX_API void wx_free(void *ptr);

/**
 * @name Growing structs
 * How the options and plugin structs an application fills in grow without breaking a
 * program built against older headers. Each begins with `unsigned version` and has a
 * `WX_..._VERSION` and a `WX_..._INIT` macro beside it. Members are only appended, and
 * each appended member raises the version (the header marks it "version N"). The library
 * reads a member only from a struct whose version says it has it, so an older program's
 * shorter struct is never read past its end. 0 means version 1: the zero value of every
 * options struct stays valid, but a program that sets a member added later must also
 * set the version (start from `WX_..._INIT`). A version newer than the library knows is
 * refused with WX_E_INVALID_ARG. Structs the library fills in and hands out
 * (wx_error_t, wx_http_request_t, wx_sign_input_t, ...) also only grow at the end and
 * carry no version; arrays of structs (wx_kv_t, wx_platform_key_t) never grow.
 */

/**
 * @name Conventions
 * Durations are `int64_t`, with the unit in the name (`timeout_ms`, `cert_refresh_margin_s`).
 * Arrays in options structs have no count beside them: they end with a NULL entry
 * (`spec_dirs`, `encrypt_fields`) or an all-NULL one (`wx_kv_t` lists, `platform`).
 */

/** A borrowed name/value pair; arrays of these end with a `{NULL, NULL}` entry. */
typedef struct wx_kv {
    const char *key;
    const char *value;
} wx_kv_t;

#ifdef __cplusplus
}
#endif
#endif
