# The library of the embedded profile, for its size check (tests/packaging/packaging.cmake,
# `make size`). In an embedded build it is the library itself. In a default build with
# tests, the same sources are compiled a second time as -DWXPAY_PROFILE=embedded would
# compile them (mbedTLS, no YAML, the profile's specs in compact form, its flags), into
# embedded/libwechatpay.a; not under sanitizers or a test emulator, which change the size
# and gain nothing here. The limit is for the profile's own choice of specs: an embedded
# build with others (make test-embedded compiles in all of them) prints its figures
# without it. Sets WX_EMBEDDED_ARCHIVE (empty: no check in this build).
set(WX_EMBEDDED_ARCHIVE "")
if(WXPAY_PROFILE STREQUAL "embedded")
  set(_wx_e_limit ${WX_EMBEDDED_MAX_TEXT})
  if(WXPAY_EMBED_SPECS STREQUAL WX_EMBEDDED_SPECS AND WXPAY_EMBED_SPEC_FORM STREQUAL "compact")
    set(WX_EMBEDDED_ARCHIVE $<TARGET_FILE:wechatpay_static>)
  else()
    set(_wx_e_limit "")
    message(STATUS "embedded profile with specs '${WXPAY_EMBED_SPECS}' (${WXPAY_EMBED_SPEC_FORM}): "
                   "the ${WX_EMBEDDED_MAX_TEXT}-byte text limit is for '${WX_EMBEDDED_SPECS}' (compact), not checked")
  endif()
  add_custom_target(size
    COMMAND ${CMAKE_SOURCE_DIR}/scripts/text-size.sh $<TARGET_FILE:wechatpay_static> ${_wx_e_limit}
    DEPENDS wechatpay_static VERBATIM)
elseif(WXPAY_BUILD_TESTS AND NOT WXPAY_SANITIZE AND NOT CMAKE_CROSSCOMPILING_EMULATOR)
  include(${CMAKE_SOURCE_DIR}/cmake/wechatpay-mbedtls.cmake)
  if(MbedTLS_FOUND)
    set(_wx_e_specs ${CMAKE_BINARY_DIR}/generated/embedded/builtin_specs.c)
    file(MAKE_DIRECTORY ${CMAKE_BINARY_DIR}/generated/embedded)
    wx_pack_specs(${_wx_e_specs} compact ${WX_EMBEDDED_SPECS})
    wx_defaults_target(wx_defaults_embedded mbedtls 0)
    target_compile_definitions(wx_defaults_embedded INTERFACE NDEBUG) # as MinSizeRel
    wx_library_layers(SUFFIX _embedded DEFAULTS wx_defaults_embedded BACKEND mbedtls
                      SPECS_C ${_wx_e_specs} OPTIONS ${WX_EMBEDDED_C_FLAGS})
    add_library(wechatpay_embedded STATIC ${WX_LAYER_OBJECTS_embedded})
    set_target_properties(wechatpay_embedded PROPERTIES OUTPUT_NAME wechatpay
                          ARCHIVE_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/embedded)
    set(WX_EMBEDDED_ARCHIVE $<TARGET_FILE:wechatpay_embedded>)
  else()
    message(STATUS "mbedTLS not found (Debian: libmbedtls-dev): no embedded-profile size check")
  endif()
endif()

# `cmake --build . --target size` (`make size` runs it in an embedded build): the figures,
# with the limit checked.
if(TARGET wechatpay_embedded)
  add_custom_target(size
    COMMAND ${CMAKE_SOURCE_DIR}/scripts/text-size.sh ${WX_EMBEDDED_ARCHIVE} ${WX_EMBEDDED_MAX_TEXT}
    DEPENDS wechatpay_embedded VERBATIM)
endif()
