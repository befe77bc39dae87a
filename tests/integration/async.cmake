# Many requests in flight on one thread: wait/perform-driven and epoll-driven.
wx_integration_test(NAME test_async_scale SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_async_scale.c
                    LABELS core TIMEOUT 600)
if(TARGET example_async_epoll)
  add_dependencies(test_async_scale example_async_epoll)
endif()
