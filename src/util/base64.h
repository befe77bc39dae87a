/* Allocation-free base64 for hot paths (signing, verifying). */
#ifndef WX_UTIL_BASE64_H
#define WX_UTIL_BASE64_H

#include <stddef.h>

size_t wx_base64_encoded_len(size_t len);
/* out needs wx_base64_encoded_len(len) + 1 bytes; NUL-terminates. */
void wx_base64_encode_to(const unsigned char *in, size_t len, char *out);
/* out needs len / 4 * 3 bytes. Returns the decoded length or -1 on bad input. */
long wx_base64_decode_to(const char *in, size_t len, unsigned char *out);

#endif
