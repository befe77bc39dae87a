/* --tls: a throw-away CA and a server certificate for 127.0.0.1/localhost, made in
 * memory at start. Clients trust the CA through the PEM the mock writes next to the
 * keys; nothing here is ever reused between runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mock.h"
#include <wechatpay/sys/crypto.h>

static int random_serial(char out[41])
{
    unsigned char raw[20];
    if (wx_random_bytes(raw, sizeof raw) != WX_OK)
        return -1;
    raw[0] = (unsigned char)(0x10 | (raw[0] & 0x6f)); /* positive, no leading zero */
    for (size_t i = 0; i < sizeof raw; i++)
        snprintf(out + 2 * i, 3, "%02X", raw[i]);
    return 0;
}

static int make_key(char **pem, wx_privkey_t **key, char *why, size_t why_len)
{
    wx_error_t err = {0};
    if (wx_rsa_generate(2048, pem, &err) != WX_OK ||
        wx_privkey_load(*pem, strlen(*pem), NULL, key, &err) != WX_OK) {
        snprintf(why, why_len, "generating a TLS key: %s", err.message);
        return -1;
    }
    return 0;
}

int wx_mock_tls_generate(wx_mock_tls *tls, char *why, size_t why_len)
{
    memset(tls, 0, sizeof *tls);
    char *ca_key_pem = NULL;
    wx_privkey_t *ca_key = NULL, *server_key = NULL;
    wx_error_t err = {0};
    char ca_serial[41], server_serial[41];
    int rc = -1;

    if (random_serial(ca_serial) || random_serial(server_serial)) {
        snprintf(why, why_len, "random source failed");
        goto out;
    }
    if (make_key(&ca_key_pem, &ca_key, why, why_len) ||
        make_key(&tls->server_key_pem, &server_key, why, why_len))
        goto out;
    wx_cert_spec_t ca = {
        .subject_cn = "libwechatpay sandbox CA",
        .serial_hex = ca_serial,
        .is_ca = 1,
    };
    if (wx_cert_create(ca_key, &ca, &tls->ca_pem, &err) != WX_OK) {
        snprintf(why, why_len, "creating the sandbox CA: %s", err.message);
        goto out;
    }
    wx_cert_spec_t server = {
        .subject_cn = "localhost",
        .serial_hex = server_serial,
        .dns_name = "localhost",
        .ip_address = "127.0.0.1",
        .issuer_key = ca_key,
        .issuer_cert_pem = tls->ca_pem,
    };
    if (wx_cert_create(server_key, &server, &tls->server_cert_pem, &err) != WX_OK) {
        snprintf(why, why_len, "creating the server certificate: %s", err.message);
        goto out;
    }
    rc = 0;
out:
    if (ca_key_pem)
        wx_free_secret(ca_key_pem, strlen(ca_key_pem));
    wx_privkey_free(ca_key);
    wx_privkey_free(server_key);
    if (rc)
        wx_mock_tls_free(tls);
    return rc;
}

void wx_mock_tls_free(wx_mock_tls *tls)
{
    if (!tls)
        return;
    wx_free(tls->ca_pem);
    wx_free(tls->server_cert_pem);
    if (tls->server_key_pem)
        wx_free_secret(tls->server_key_pem, strlen(tls->server_key_pem));
    memset(tls, 0, sizeof *tls);
}
