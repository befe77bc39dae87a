/* --tls: which connections presented the merchant's certificate. The server asks every
 * TLS client for a certificate (MHD_OPTION_HTTPS_MEM_TRUST) without requiring one; an
 * APIv2 call marked x-api-cert-required is refused (apiv2.c) unless the certificate the
 * peer presented is the merchant's, byte for byte. */
#include <gnutls/gnutls.h>
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>

#include "mock.h"

int wx_mock_client_cert_init(wx_mock_client_cert *cc, const char *pem)
{
    memset(cc, 0, sizeof *cc);
    gnutls_datum_t in = {(unsigned char *)pem, (unsigned)strlen(pem)}, der = {NULL, 0};
    if (gnutls_pem_base64_decode2("CERTIFICATE", &in, &der) != GNUTLS_E_SUCCESS)
        return -1;
    cc->der = malloc(der.size);
    if (cc->der) {
        memcpy(cc->der, der.data, der.size);
        cc->len = der.size;
    }
    gnutls_free(der.data);
    return cc->der ? 0 : -1;
}

void wx_mock_client_cert_free(wx_mock_client_cert *cc)
{
    free(cc->der);
    memset(cc, 0, sizeof *cc);
}

int wx_mock_client_cert_presented(const wx_mock_client_cert *cc, struct MHD_Connection *conn)
{
    if (!cc->der)
        return 0;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    if (!ci || !ci->tls_session)
        return 0;
    unsigned n = 0;
    const gnutls_datum_t *peers = gnutls_certificate_get_peers(ci->tls_session, &n);
    return peers && n > 0 && peers[0].size == cc->len && !memcmp(peers[0].data, cc->der, cc->len);
}
