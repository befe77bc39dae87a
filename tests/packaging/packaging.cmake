# Packaging: what `cmake --install` leaves behind works for a user outside the tree.
find_program(WX_SH sh REQUIRED)

# The installed tree is used by programs built here, which need the library's
# sanitizer runtime when the library has one.
set(_wx_pkg_flags "")
if(WXPAY_SANITIZE)
  set(_wx_pkg_flags "-fsanitize=${WXPAY_SANITIZE} -fno-omit-frame-pointer")
endif()

# The consumers run against the installed sandbox, so this needs wxpay with its mock.
if(WX_HAVE_MOCK)
  add_test(NAME packaging_install_consumer
           COMMAND ${WX_SH} ${CMAKE_CURRENT_LIST_DIR}/install_consumer.sh ${CMAKE_BINARY_DIR}
                   ${CMAKE_SOURCE_DIR} ${CMAKE_INSTALL_LIBDIR} ${CMAKE_C_COMPILER} "${_wx_pkg_flags}")
  set_tests_properties(packaging_install_consumer PROPERTIES LABELS "packaging" TIMEOUT 600
                       ENVIRONMENT "WXPAY_SPEC_PATH=")
else()
  message(STATUS "packaging_install_consumer needs wxpay with its sandbox (libmicrohttpd): not registered")
endif()

# Header checks: clang for -Wdocumentation and a C++ compiler, each when there is one.
find_program(WX_CLANG NAMES clang clang-14)
find_program(WX_CXX NAMES c++ g++ clang++)
foreach(_v WX_CLANG WX_CXX)
  if(${_v})
    set(_wx_${_v} ${${_v}})
  else()
    set(_wx_${_v} -)
  endif()
endforeach()
add_test(NAME packaging_public_headers
         COMMAND ${WX_SH} ${CMAKE_CURRENT_LIST_DIR}/public_headers.sh ${CMAKE_SOURCE_DIR}
                 ${CMAKE_C_COMPILER} ${_wx_WX_CLANG} ${_wx_WX_CXX})
set_tests_properties(packaging_public_headers PROPERTIES LABELS "packaging" TIMEOUT 300)

# The shared library exports exactly what the headers of include/wechatpay/ (and sys/)
# declare, each with WX_API. gcc reads the declarations (-aux-info), whatever compiler
# builds the library.
find_program(WX_GCC NAMES gcc gcc-12 REQUIRED)
add_test(NAME packaging_exported_symbols
         COMMAND ${WX_SH} ${CMAKE_CURRENT_LIST_DIR}/exported_symbols.sh $<TARGET_FILE:wechatpay>
                 ${CMAKE_SOURCE_DIR}/include ${WX_GCC})
set_tests_properties(packaging_exported_symbols PROPERTIES LABELS "packaging" TIMEOUT 120)
