# Fuzz targets (tests/fuzz/fuzz_<name>.c, listed in tests/fuzz/targets.txt), built two ways:
# - in every build, fuzz_replay_<name>: the target with a plain main() (replay_main.c)
#   run by ctest over its seed corpus and over tests/fuzz/regressions/<name>/, so crashes
#   that fuzzing once found stay fixed in `make test`, the ASan build and under valgrind;
# - with -DWXPAY_FUZZ=ON and clang, fuzz_<name>: the libFuzzer binary that
#   scripts/fuzz.sh (`make fuzz`) runs for a bounded time.
set(_wxfz ${CMAKE_CURRENT_LIST_DIR})
file(STRINGS ${_wxfz}/targets.txt _wxfz_lines REGEX "^[a-z]")
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${_wxfz}/targets.txt)

# The library, its internal headers (the targets reach a few internal functions), and
# the project's warnings without the one a target's entry point trips.
function(wx_fuzz_flags t)
  target_link_libraries(${t} PRIVATE wechatpay_static)
  target_include_directories(${t} PRIVATE ${CMAKE_SOURCE_DIR}/src)
  target_compile_definitions(${t} PRIVATE _POSIX_C_SOURCE=200809L _DEFAULT_SOURCE
    WX_HAVE_YAML=${WX_HAVE_YAML} WX_GOLDEN_DIR="${CMAKE_SOURCE_DIR}/tests/golden/keys")
  target_compile_options(${t} PRIVATE ${WX_WARNINGS} -Wno-missing-prototypes)
endfunction()

function(wx_fuzz_define name corpus extra)
  set(_src ${_wxfz}/fuzz_${name}.c ${_wxfz}/fuzz_support.c)
  foreach(_e IN LISTS extra)
    list(APPEND _src ${CMAKE_SOURCE_DIR}/${_e})
  endforeach()

  add_executable(fuzz_replay_${name} ${_src} ${_wxfz}/replay_main.c)
  wx_fuzz_flags(fuzz_replay_${name})
  add_test(NAME fuzz_replay_${name}
           COMMAND fuzz_replay_${name} ${_wxfz}/corpus/${corpus} ${_wxfz}/regressions/${name})
  set_tests_properties(fuzz_replay_${name} PROPERTIES LABELS "unit;fuzz" TIMEOUT 300
                       ENVIRONMENT "WXPAY_SPEC_PATH=")

  if(WXPAY_FUZZ AND CMAKE_C_COMPILER_ID MATCHES "Clang")
    # Another list may define the libFuzzer binary of a target already (mock.cmake
    # builds fuzz_auth_header): that one is used.
    if(NOT TARGET fuzz_${name})
      add_executable(fuzz_${name} ${_src})
      wx_fuzz_flags(fuzz_${name})
      target_compile_options(fuzz_${name} PRIVATE -fsanitize=fuzzer,address,undefined)
      target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer,address,undefined)
    endif()
  endif()
endfunction()

function(wx_fuzz_define_all)
  foreach(_l IN LISTS _wxfz_lines)
    string(REGEX REPLACE "[ \t]+" ";" _f "${_l}")
    list(GET _f 0 _name)
    list(GET _f 1 _corpus)
    set(_extra "")
    list(LENGTH _f _n)
    if(_n GREATER 2)
      list(SUBLIST _f 2 -1 _extra)
    endif()
    wx_fuzz_define(${_name} ${_corpus} "${_extra}")
  endforeach()
  if(WXPAY_FUZZ AND NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(WARNING "WXPAY_FUZZ needs clang (CC=clang): libFuzzer binaries not built")
  endif()
endfunction()

# After every list in tests/ has been read, so a target defined elsewhere is seen.
if(CMAKE_VERSION VERSION_GREATER_EQUAL 3.19)
  cmake_language(DEFER CALL wx_fuzz_define_all)
else()
  wx_fuzz_define_all()
endif()
