# Crypto layer tests. Each test file runs against the backend this build compiled in
# (-DWXPAY_CRYPTO=mbedtls|openssl); configure a second build with the other value to
# run them on the other backend. test_crypto_cross runs both backends in one build.
set(_wxct_dir ${CMAKE_CURRENT_LIST_DIR})
set(_wxct_fixture ${_wxct_dir}/test_crypto_fixture.c)
foreach(_t keys rsa aead cert misc threads apiv2)
  wx_unit_test(NAME test_crypto_${_t}
               SOURCES ${_wxct_dir}/test_crypto_${_t}.c ${_wxct_fixture}
               LAYERS wx_util wx_crypto LABELS crypto TIMEOUT 900)
endforeach()

# crypto_tool: the public crypto API as a command, on this build's backend ...
add_executable(wx_crypto_tool ${_wxct_dir}/crypto_tool.c)
target_link_libraries(wx_crypto_tool PRIVATE wx_util wx_crypto)
target_compile_options(wx_crypto_tool PRIVATE ${WX_WARNINGS})

# ... and on the other backend. The crypto sources are compiled a second time against
# the other library into a separate executable, so the two backends never share a
# binary and need no symbol renaming; the util layer is backend-free and is reused.
option(WXPAY_CROSS_BACKEND_TEST "Build crypto_tool on the other crypto backend too" ON)
set(_wxct_other_tool "")
if(WXPAY_CROSS_BACKEND_TEST)
  set(_wxct_other_libs "")
  set(_wxct_other_inc "")
  if(WX_CRYPTO_BACKEND STREQUAL "mbedtls")
    set(_wxct_other openssl)
    find_package(OpenSSL 1.1.1 QUIET)
    if(OPENSSL_FOUND)
      set(_wxct_other_libs OpenSSL::Crypto)
    endif()
  else()
    set(_wxct_other mbedtls)
    find_path(WXCT_MBEDTLS_INCLUDE_DIR mbedtls/version.h)
    find_library(WXCT_MBEDCRYPTO_LIB mbedcrypto)
    find_library(WXCT_MBEDX509_LIB mbedx509)
    if(WXCT_MBEDTLS_INCLUDE_DIR AND WXCT_MBEDCRYPTO_LIB AND WXCT_MBEDX509_LIB)
      set(_wxct_other_libs ${WXCT_MBEDX509_LIB} ${WXCT_MBEDCRYPTO_LIB})
      set(_wxct_other_inc ${WXCT_MBEDTLS_INCLUDE_DIR})
    endif()
  endif()
  if(_wxct_other_libs)
    add_executable(wx_crypto_tool_${_wxct_other} ${_wxct_dir}/crypto_tool.c
                   ${CMAKE_SOURCE_DIR}/src/crypto/keys.c ${CMAKE_SOURCE_DIR}/src/crypto/common.c ${CMAKE_SOURCE_DIR}/src/crypto/aes_ecb.c
                   ${CMAKE_SOURCE_DIR}/src/crypto/${_wxct_other}.c $<TARGET_OBJECTS:wx_util>)
    target_link_libraries(wx_crypto_tool_${_wxct_other} PRIVATE wx_defaults ${_wxct_other_libs})
    target_include_directories(wx_crypto_tool_${_wxct_other} PRIVATE ${_wxct_other_inc})
    set(_wxct_other_tool $<TARGET_FILE:wx_crypto_tool_${_wxct_other}>)
  else()
    message(STATUS "crypto: ${_wxct_other} not found, test_crypto_cross will skip")
  endif()
endif()

wx_unit_test(NAME test_crypto_cross
             SOURCES ${_wxct_dir}/test_crypto_cross.c ${_wxct_fixture}
             LAYERS wx_util wx_crypto LABELS crypto TIMEOUT 900)
target_compile_definitions(test_crypto_cross PRIVATE
  WXCT_TOOL_SELF="$<TARGET_FILE:wx_crypto_tool>" WXCT_TOOL_OTHER="${_wxct_other_tool}")
add_dependencies(test_crypto_cross wx_crypto_tool)
if(_wxct_other_tool)
  add_dependencies(test_crypto_cross wx_crypto_tool_${_wxct_other})
endif()
