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

#endif
