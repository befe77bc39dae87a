# The testing recipe of the README: examples/request_unit_test (a merchant's own unit test
# with the in-memory transport) and `wxpay validate` in a shell test.
find_program(WX_SH sh REQUIRED)
if(WXPAY_BUILD_EXAMPLES)
  add_test(NAME test_request_recipe
           COMMAND ${WX_SH} ${CMAKE_CURRENT_LIST_DIR}/request_recipe.sh $<TARGET_FILE:wxpay>
                   $<TARGET_FILE:example_request_unit_test> ${CMAKE_SOURCE_DIR}/spec
                   ${CMAKE_BINARY_DIR}/test-tmp)
  set_tests_properties(test_request_recipe PROPERTIES LABELS "examples;cli" TIMEOUT 300
                       ENVIRONMENT "WXPAY_SPEC_PATH=")
endif()
