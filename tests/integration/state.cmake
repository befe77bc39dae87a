# The sandbox's payment lifecycle: its SQLite store, the lifecycle over HTTP, callbacks,
# persistence across a kill -9, and a bounded load test (label `load`: CI's valgrind
# stage skips it).
if(TARGET wxpay AND WX_HAVE_MOCK)
  wx_unit_test(NAME test_mock_store
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_mock_store.c ${CMAKE_SOURCE_DIR}/src/mock/store.c
            ${CMAKE_SOURCE_DIR}/src/mock/ids.c ${CMAKE_SOURCE_DIR}/src/mock/mock_str.c
    LAYERS wechatpay_static LABELS mock state)
  target_include_directories(test_mock_store PRIVATE ${CMAKE_SOURCE_DIR}/src/mock)
  target_link_libraries(test_mock_store PRIVATE PkgConfig::SQLITE3 PkgConfig::JSONC)
endif()

if(TARGET wxpay AND WX_HAVE_MOCK)
  # The lifecycle through the library, with a loopback notify_url (callback_sink.c).
  add_library(wx_lifecycle_util STATIC ${CMAKE_CURRENT_LIST_DIR}/lifecycle_util.c
              ${CMAKE_CURRENT_LIST_DIR}/callback_sink.c)
  target_link_libraries(wx_lifecycle_util PUBLIC wechatpay_static wx_testutil PkgConfig::MHD
                        PkgConfig::CURL PkgConfig::JSONC)
  target_include_directories(wx_lifecycle_util PUBLIC ${CMAKE_CURRENT_LIST_DIR})
  target_compile_options(wx_lifecycle_util PRIVATE ${WX_WARNINGS})
  wx_integration_test(NAME test_mock_lifecycle
                      SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_mock_lifecycle.c LABELS mock state)
  target_link_libraries(test_mock_lifecycle PRIVATE wx_lifecycle_util)
  # --state across kill -9: nothing lost, pending callbacks delivered after the restart.
  wx_integration_test(NAME test_mock_restart
                      SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_mock_restart.c LABELS mock state)
  target_link_libraries(test_mock_restart PRIVATE wx_lifecycle_util)
  # 16 clients for 10 s (WXPAY_LOAD_SECONDS) on --state: label `load`, which the valgrind
  # stage leaves out.
  wx_integration_test(NAME test_mock_load SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_mock_load.c
                      LABELS mock state load TIMEOUT 600)
  target_link_libraries(test_mock_load PRIVATE wx_lifecycle_util)
  # examples/merchant_flow: a merchant backend with its own notify_url, against the sandbox.
  if(WXPAY_BUILD_EXAMPLES AND MHD_FOUND)
    wx_integration_test(NAME test_merchant_flow
                        SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_merchant_flow.c LABELS examples state)
    target_link_libraries(test_merchant_flow PRIVATE wx_lifecycle_util)
    add_dependencies(test_merchant_flow example_merchant_flow)
  endif()
  # wxpay notify make -> wxpay notify and wx_notify_verify.
  wx_integration_test(NAME test_notify_make SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_notify_make.c
                      LABELS cli state)
  target_link_libraries(test_notify_make PRIVATE PkgConfig::JSONC)
endif()
