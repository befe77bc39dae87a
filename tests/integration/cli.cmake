# The wxpay command-line tool, run as a user would run it (wxt_run): exit codes,
# stdout and stderr of every subcommand except `mock` and `keys` (mock.cmake).
set(_cli ${CMAKE_CURRENT_LIST_DIR})
wx_integration_test(NAME test_cli_local
  SOURCES ${_cli}/test_cli_local.c ${_cli}/test_cli_run.c LABELS cli)
wx_integration_test(NAME test_cli_crypto
  SOURCES ${_cli}/test_cli_crypto.c ${_cli}/test_cli_run.c LABELS cli)
if(WX_HAVE_MOCK)
  wx_integration_test(NAME test_cli_request
    SOURCES ${_cli}/test_cli_request.c ${_cli}/test_cli_run.c LABELS cli mock)
endif()
wx_integration_test(NAME test_cli_apiv2
  SOURCES ${_cli}/test_cli_apiv2.c ${_cli}/test_cli_run.c LABELS cli apiv2)
