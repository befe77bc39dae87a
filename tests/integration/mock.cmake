# The sandbox server (`wxpay mock`) and `wxpay keys gen`.

# The Authorization parser alone, plus a replay of the fuzz seed corpus.
wx_unit_test(NAME test_mock_auth
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_mock_auth.c
          ${CMAKE_SOURCE_DIR}/src/mock/auth_header.c
          ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_auth_header.c
  LABELS mock)
target_compile_definitions(test_mock_auth PRIVATE
  WX_AUTH_CORPUS="${CMAKE_SOURCE_DIR}/tests/fuzz/corpus/auth_header")

if(WX_HAVE_MOCK)
  wx_integration_test(NAME test_mock_validation
                      SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_mock_validation.c LABELS mock)
  wx_integration_test(NAME test_mock SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_mock.c
                      ${CMAKE_CURRENT_LIST_DIR}/test_mock_client.c LABELS mock)
  target_link_libraries(test_mock PRIVATE PkgConfig::CURL PkgConfig::JSONC)
  # Data-driven: each tests/data/mock/*.json states a request and the answer expected.
  wx_integration_test(NAME test_mock_cases SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_mock_cases.c
                      ${CMAKE_CURRENT_LIST_DIR}/test_mock_client.c LABELS mock)
  target_link_libraries(test_mock_cases PRIVATE PkgConfig::CURL PkgConfig::JSONC)
  target_compile_definitions(test_mock_cases PRIVATE
    WX_MOCK_CASES="${CMAKE_SOURCE_DIR}/tests/data/mock")
  wx_integration_test(NAME test_mock_keys SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_mock_keys.c
                      LABELS mock)
  target_link_libraries(test_mock_keys PRIVATE PkgConfig::JSONC)
endif()

# The libFuzzer target fuzz_auth_header is built and run by `make fuzz` (tests/fuzz/).
