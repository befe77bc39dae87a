# The security toolkit against the sandbox over loopback: certificate download,
# bootstrap, faults, auto refresh, public-key mode; `wxpay certs` and `wxpay notify`
# run as a user runs them.
if(WX_HAVE_MOCK)
  wx_integration_test(NAME test_security_sandbox
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_security_sandbox.c ${CMAKE_CURRENT_LIST_DIR}/test_cli_run.c
    LABELS security mock cli)
endif()
