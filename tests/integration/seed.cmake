# The seed endpoint against the sandbox over loopback: six call styles, every fault mode.
wx_integration_test(NAME test_seed_sandbox SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_seed_sandbox.c
                    LABELS core)
# Freeing a client of a shared pool while other threads drive requests (client.h).
wx_integration_test(NAME test_shared_free SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_shared_free.c
                    LABELS core)
