# Crypto layer tests. Each file runs against the backend this build compiled in
# (-DWXPAY_CRYPTO=mbedtls|openssl); test_crypto_cross also runs the other backend.
set(_wxct_fixture ${CMAKE_CURRENT_LIST_DIR}/test_crypto_fixture.c)
foreach(_t keys rsa aead cert)
  wx_unit_test(NAME test_crypto_${_t}
               SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_crypto_${_t}.c ${_wxct_fixture}
               LAYERS wx_util wx_crypto LABELS crypto TIMEOUT 600)
endforeach()
