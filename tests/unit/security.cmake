# The APIv3 security toolkit on top of the client core: callback notifications,
# platform certificates (download, rotation, auto refresh), sensitive fields and
# pay-sign, on the in-memory transport, against golden vectors and the openssl CLI.
set(_wx_sec_layers wx_util wx_crypto wx_request wx_spec wx_core)
foreach(_t notify notify_guard certificates sensitive paysign)
  # allocation-failure walks rebuild a client per point: minutes under valgrind
  wx_unit_test(NAME test_${_t} SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_${_t}.c
               LAYERS ${_wx_sec_layers} LABELS security TIMEOUT 300)
endforeach()
