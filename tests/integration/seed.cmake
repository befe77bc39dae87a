# The seed endpoint against the sandbox over loopback: six call styles, every fault mode.
wx_integration_test(NAME test_seed_sandbox SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_seed_sandbox.c
                    LABELS core)
