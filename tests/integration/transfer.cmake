# Uploads (multipart media) and streamed bill downloads against the sandbox.
wx_integration_test(NAME test_transfer_sandbox SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_transfer_sandbox.c
                    LABELS core)
