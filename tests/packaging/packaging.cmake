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

# A program built against an older layout of the options (a copy of it in the test
# source) runs on this library: common.h, "Growing structs". Linked to the shared library.
add_executable(test_struct_growth ${CMAKE_CURRENT_LIST_DIR}/test_struct_growth.c)
target_link_libraries(test_struct_growth PRIVATE wechatpay wx_testutil)
target_compile_options(test_struct_growth PRIVATE ${WX_WARNINGS} -Wno-missing-prototypes)
add_test(NAME test_struct_growth COMMAND test_struct_growth)
set_tests_properties(test_struct_growth PROPERTIES LABELS "packaging;unit" TIMEOUT 120
                     ENVIRONMENT "WXPAY_SPEC_PATH=")

# The embedded profile's static library keeps its text (`size`) within the profile's limit
# (cmake/wechatpay-profile.cmake, issue 15); `make size` prints the same figures.
if(WX_EMBEDDED_ARCHIVE)
  add_test(NAME packaging_embedded_size
           COMMAND ${WX_SH} ${CMAKE_SOURCE_DIR}/scripts/text-size.sh ${WX_EMBEDDED_ARCHIVE}
                   ${WX_EMBEDDED_MAX_TEXT})
  set_tests_properties(packaging_embedded_size PROPERTIES LABELS "packaging" TIMEOUT 60)
endif()

# Heap per client and per request in flight (the README's embedding figures), with bounds.
# no_memcheck: its process-heap figures come from glibc's mallinfo2, which valgrind's own
# allocator replaces, so the valgrind stage skips it (ASan runs it).
add_executable(test_embedded_memory ${CMAKE_CURRENT_LIST_DIR}/test_embedded_memory.c)
target_link_libraries(test_embedded_memory PRIVATE wechatpay_static wx_testutil)
target_compile_options(test_embedded_memory PRIVATE ${WX_WARNINGS} -Wno-missing-prototypes)
add_test(NAME test_embedded_memory COMMAND test_embedded_memory)
set_tests_properties(test_embedded_memory PROPERTIES LABELS "packaging;unit;no_memcheck" TIMEOUT 120
                     ENVIRONMENT "WXPAY_SPEC_PATH=")

# The spec packer behind -DWXPAY_EMBED_SPECS and -DWXPAY_EMBED_SPEC_FORM.
if(TARGET wx_spec_pack)
  add_test(NAME packaging_spec_pack
           COMMAND ${WX_SH} ${CMAKE_CURRENT_LIST_DIR}/spec_pack.sh $<TARGET_FILE:wx_spec_pack>
                   ${CMAKE_SOURCE_DIR}/spec ${CMAKE_BINARY_DIR}/test-tmp/spec_pack)
  set_tests_properties(packaging_spec_pack PROPERTIES LABELS "packaging" TIMEOUT 120)
endif()
