# RFC 6570 URI templates (src/request/uritemplate*.c).
wx_unit_test(NAME test_uritemplate SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_uritemplate.c
             LAYERS wx_util wx_request LABELS request)
