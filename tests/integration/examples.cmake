# Every example program runs against the sandbox, as `make demo` and the README show them.
wx_integration_test(NAME test_examples SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_examples.c LABELS examples)
foreach(_ex industry_coupon_tokens query_transaction download_bill handle_notification async_epoll)
  if(TARGET example_${_ex})
    add_dependencies(test_examples example_${_ex})
  endif()
endforeach()
