# The client core: chain, request assembly, signing, verification, async (in-memory).
set(_wx_all_layers wx_util wx_crypto wx_request wx_spec wx_core)
wx_unit_test(NAME test_chain SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_chain.c
             LAYERS ${_wx_all_layers} LABELS core)
wx_unit_test(NAME test_request SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_request.c
             LAYERS ${_wx_all_layers} LABELS core TIMEOUT 300)
wx_unit_test(NAME test_async SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_async.c
             LAYERS ${_wx_all_layers} LABELS core)
wx_unit_test(NAME test_download SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_download.c
             LAYERS ${_wx_all_layers} LABELS core)
wx_unit_test(NAME test_apiv2 SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_apiv2.c
             LAYERS ${_wx_all_layers} LABELS core apiv2)
wx_unit_test(NAME test_apiv2_client SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_apiv2_client.c
             LAYERS ${_wx_all_layers} LABELS core apiv2)
wx_unit_test(NAME test_keyring_lock SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_keyring_lock.c
             LAYERS ${_wx_all_layers} LABELS core)
wx_unit_test(NAME test_strict SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_strict.c
             LAYERS ${_wx_all_layers} LABELS core)
wx_unit_test(NAME test_util_map SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_util_map.c
             LAYERS wx_util LABELS core)
