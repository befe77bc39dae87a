# WXPAY_PROFILE: `default` (everything: the tool, the sandbox, YAML, every spec in full) or
# `embedded`, a small static library for devices: mbedTLS, no YAML, no sandbox, no tool,
# the seed endpoint's spec in compact form, compiled for size. Each choice the profile
# makes is only a default: -DWXPAY_EMBED_SPECS="v3/pay;v3/refund" and the like still apply
# (give them in a fresh build folder, since the cache keeps earlier answers).
# Sets the _wx_default_* variables the options of CMakeLists.txt start from, and:
#   WX_EMBEDDED_C_FLAGS  the compile flags of the embedded profile's library objects
#   WX_EMBEDDED_SPECS    the specs the embedded profile compiles in by default
#   WX_EMBEDDED_MAX_TEXT the text (bytes, `size`) its static library may have at most
set(WXPAY_PROFILE "default" CACHE STRING "default, or embedded: a small static library for devices")
set_property(CACHE WXPAY_PROFILE PROPERTY STRINGS default embedded)

# For size: no unwind tables (C needs none to run; a debugger unwinds through -g's
# .debug_frame), a section per function so a device link can drop what it does not call.
set(WX_EMBEDDED_C_FLAGS -Os -fno-asynchronous-unwind-tables -fno-unwind-tables
    -ffunction-sections -fdata-sections)
set(WX_EMBEDDED_SPECS seed)
set(WX_EMBEDDED_MAX_TEXT 200000)

if(WXPAY_PROFILE STREQUAL "embedded")
  set(_wx_default_crypto mbedtls)
  set(_wx_default_on OFF)
  set(_wx_default_specs ${WX_EMBEDDED_SPECS})
  set(_wx_default_spec_form compact)
  if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
    set(CMAKE_BUILD_TYPE MinSizeRel CACHE STRING "" FORCE)
  endif()
elseif(WXPAY_PROFILE STREQUAL "default")
  set(_wx_default_crypto auto)
  set(_wx_default_on ON)
  set(_wx_default_specs all)
  set(_wx_default_spec_form full)
else()
  message(FATAL_ERROR "WXPAY_PROFILE must be default or embedded, not '${WXPAY_PROFILE}'")
endif()
