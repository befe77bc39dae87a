# Imported targets MbedTLS::mbedcrypto and MbedTLS::mbedx509, the names mbedTLS 3's own
# CMake package gives them, found with find_path/find_library: Debian 12's mbedTLS 2.28
# ships neither a CMake package nor a pkg-config file. Included by the build and, installed
# beside it, by wechatpay-config.cmake, so the exported static target names the library
# and not an absolute path from the build machine.
# Sets MbedTLS_FOUND and MBEDTLS_INCLUDE_DIR.
if(TARGET MbedTLS::mbedcrypto AND TARGET MbedTLS::mbedx509)
  set(MbedTLS_FOUND TRUE)
  return()
endif()

find_path(MBEDTLS_INCLUDE_DIR mbedtls/version.h)
find_library(MBEDCRYPTO_LIB mbedcrypto)
find_library(MBEDX509_LIB mbedx509)
mark_as_advanced(MBEDTLS_INCLUDE_DIR MBEDCRYPTO_LIB MBEDX509_LIB)

if(MBEDTLS_INCLUDE_DIR AND MBEDCRYPTO_LIB AND MBEDX509_LIB)
  set(MbedTLS_FOUND TRUE)
  add_library(MbedTLS::mbedcrypto UNKNOWN IMPORTED)
  set_target_properties(MbedTLS::mbedcrypto PROPERTIES
    IMPORTED_LOCATION "${MBEDCRYPTO_LIB}"
    INTERFACE_INCLUDE_DIRECTORIES "${MBEDTLS_INCLUDE_DIR}")
  add_library(MbedTLS::mbedx509 UNKNOWN IMPORTED)
  set_target_properties(MbedTLS::mbedx509 PROPERTIES
    IMPORTED_LOCATION "${MBEDX509_LIB}"
    INTERFACE_INCLUDE_DIRECTORIES "${MBEDTLS_INCLUDE_DIR}"
    INTERFACE_LINK_LIBRARIES MbedTLS::mbedcrypto)
else()
  set(MbedTLS_FOUND FALSE)
endif()
