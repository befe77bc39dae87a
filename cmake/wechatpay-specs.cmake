# The compiled-in spec tree: the spec files chosen by WXPAY_EMBED_SPECS become strings in a
# generated builtin_specs.c, minified, through tools/spec_pack.c (a build-machine tool).
# Sets WX_BUILTIN_SPECS_C and defines wx_pack_specs() for other selections.
set(WXPAY_EMBED_SPECS "${_wx_default_specs}" CACHE STRING
    "Spec folders compiled into the library: all, none, seed (the seed endpoint's folder) or a list of folders or files under spec/, e.g. \"v3/pay;v3/refund\"")
set(WXPAY_EMBED_SPEC_FORM "${_wx_default_spec_form}" CACHE STRING
    "full: the spec files whole; compact: without descriptions, titles and examples (the library never reads them)")
set_property(CACHE WXPAY_EMBED_SPEC_FORM PROPERTY STRINGS full compact)
if(NOT WXPAY_EMBED_SPEC_FORM MATCHES "^(full|compact)$")
  message(FATAL_ERROR "WXPAY_EMBED_SPEC_FORM must be full or compact, not '${WXPAY_EMBED_SPEC_FORM}'")
endif()
set(WXPAY_SPEC_PACK "" CACHE FILEPATH
    "A build-machine wx_spec_pack (tools/spec_pack.c) for cross builds; empty: built here")
if(WXPAY_SPEC_PACK)
  set(WX_SPEC_PACK ${WXPAY_SPEC_PACK})
elseif(CMAKE_CROSSCOMPILING)
  message(FATAL_ERROR "a cross build runs tools/spec_pack.c on the build machine: build it "
          "there (cc tools/spec_pack.c $(pkg-config --cflags --libs json-c)) and pass "
          "-DWXPAY_SPEC_PACK=/path/to/it")
else()
  add_executable(wx_spec_pack tools/spec_pack.c)
  target_compile_definitions(wx_spec_pack PRIVATE _POSIX_C_SOURCE=200809L _DEFAULT_SOURCE)
  target_link_libraries(wx_spec_pack PRIVATE PkgConfig::JSONC)
  # The file, not the target name: a test emulator (valgrind) is not put in front of it.
  set(WX_SPEC_PACK $<TARGET_FILE:wx_spec_pack> wx_spec_pack)
endif()
file(GLOB_RECURSE WX_SPEC_FILES CONFIGURE_DEPENDS
     ${CMAKE_SOURCE_DIR}/spec/*.json ${CMAKE_SOURCE_DIR}/spec/*.yaml ${CMAKE_SOURCE_DIR}/spec/*.yml)

# wx_pack_specs(OUT FORM ENTRIES...): a generated builtin_specs.c with the chosen files.
# "seed" is the folder of the seed endpoint (POST /v3/industry-coupon/tokens).
function(wx_pack_specs out form)
  set(_entries ${ARGN})
  list(TRANSFORM _entries REPLACE "^seed$" "v3/industry-coupon")
  list(GET WX_SPEC_PACK 0 _pack)
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${_pack} ${form} ${out} ${CMAKE_SOURCE_DIR}/spec ${_entries}
    DEPENDS ${WX_SPEC_FILES} ${WX_SPEC_PACK}
    COMMENT "Embedding spec/ (${_entries}, ${form}) into the library"
    VERBATIM)
endfunction()
if(WXPAY_EMBED_SPECS STREQUAL "")
  message(FATAL_ERROR "WXPAY_EMBED_SPECS is empty: say all, none, seed or a list of folders")
endif()
file(MAKE_DIRECTORY ${CMAKE_BINARY_DIR}/generated)
set(WX_BUILTIN_SPECS_C ${CMAKE_BINARY_DIR}/generated/builtin_specs.c)
wx_pack_specs(${WX_BUILTIN_SPECS_C} ${WXPAY_EMBED_SPEC_FORM} ${WXPAY_EMBED_SPECS})
