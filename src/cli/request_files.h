/* The request mode's --upload and --download (request_files.c). */
#ifndef WX_CLI_REQUEST_FILES_H
#define WX_CLI_REQUEST_FILES_H

#include <wechatpay/wechatpay.h>

/* Fill @p u for a media upload of @p file (its base name in `meta`); the file must be
 * readable. CLI_EXIT_OK or the usage error it printed. */
int cli_upload_prepare(const char *file, wx_upload_t *u);

/* After a verified 2xx bill answer @p r: download the bill it announces into @p file with
 * its digest checked. CLI_EXIT_OK, CLI_EXIT_FAIL (no bill announced, a server error) or
 * CLI_EXIT_UNVERIFIED (a digest mismatch, a failed transfer), with the reason printed. */
int cli_download_bill(wx_client_t *c, const wx_response_t *r, const char *file);

/* 1 when @p path is an APIv2 path ("v2/...", "/v2/...", "v2....."). */
int cli_is_v2_path(const char *path);

/* An APIv2 bill: POST @p path with the fields of the JSON @p body (NULL: none given) and
 * stream the answer into @p file (gzip inflated). CLI_EXIT_OK, CLI_EXIT_FAIL (WeChat Pay
 * answered FAIL, e.g. no bill that day), CLI_EXIT_USAGE (nothing sent: no or bad fields,
 * no APIv2 key) or CLI_EXIT_UNVERIFIED (a failed transfer, a corrupt gzip), with the
 * reason printed; on failure no file is left behind. */
int cli_download_v2_bill(wx_client_t *c, const char *path, const char *body, size_t body_len,
                         const char *file);

#endif
