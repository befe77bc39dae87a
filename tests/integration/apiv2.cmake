# APIv2 (XML, the APIv2 key) against the sandbox: the library's chains, the till example
# and the tool.
if(WX_HAVE_MOCK)
  wx_integration_test(NAME test_apiv2_sandbox
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_apiv2_sandbox.c LABELS mock apiv2)
  target_link_libraries(test_apiv2_sandbox PRIVATE PkgConfig::CURL)
  wx_integration_test(NAME test_apiv2_bills
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_apiv2_bills.c LABELS mock apiv2)
  target_link_libraries(test_apiv2_bills PRIVATE PkgConfig::CURL ZLIB::ZLIB)
  if(TARGET example_till_micropay)
    add_dependencies(test_apiv2_sandbox example_till_micropay)
  endif()
endif()
