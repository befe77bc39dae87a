# Reliability and security proof: fault matrix (sandbox faults and a raw misbehaving
# server), forged responses, secrets and injection, TLS defaults, and the soak test.
set(_rel ${CMAKE_CURRENT_LIST_DIR})
set(_bad ${CMAKE_SOURCE_DIR}/tests/support/bad_server.c)

# In-memory: the forgery table and the secrets/injection checks need no server.
wx_unit_test(NAME test_forgery SOURCES ${_rel}/test_forgery.c
             LAYERS wx_util wx_crypto wx_request wx_spec wx_core LABELS reliability)
wx_unit_test(NAME test_secrets SOURCES ${_rel}/test_secrets.c
             LAYERS wx_util wx_crypto wx_request wx_spec wx_core LABELS reliability)

if(WX_HAVE_MOCK)
  wx_integration_test(NAME test_fault_matrix SOURCES ${_rel}/test_fault_matrix.c ${_bad}
                      LABELS reliability)
  # TLS: refused by default, trusted with ca_file, and the tool's output free of keys.
  wx_integration_test(NAME test_tls_and_output SOURCES ${_rel}/test_tls_and_output.c
                      LABELS reliability)
  # 20,000 requests in CI (WXPAY_SOAK_REQUESTS=20000, `make test-soak`); a short run
  # of the same checks otherwise.
  wx_integration_test(NAME test_soak SOURCES ${_rel}/test_soak.c LABELS soak TIMEOUT 1800)
endif()

# Attacks on what is sent (issue 16): no silent resend of a POST, no encoded slash,
# fragment or header injection on the wire, honest errors for oversized headers/URLs.
if(TARGET wxpay)
  wx_integration_test(NAME test_attacks SOURCES ${_rel}/test_attacks.c ${_bad} LABELS reliability)
endif()

# Keys taken on trust (issue 16): small, expired, not-yet-valid, mis-named, garbage,
# doubled, device, FIFO and oversized key files refused by name; the sandbox's log.
if(TARGET wxpay)
  wx_integration_test(NAME test_key_attacks SOURCES ${_rel}/test_key_attacks.c LABELS reliability)
endif()
if(TARGET wxpay AND WX_HAVE_MOCK)
  wx_integration_test(NAME test_sandbox_attacks SOURCES ${_rel}/test_sandbox_attacks.c
                      LABELS reliability)
endif()
