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
