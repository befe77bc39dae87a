# The spec layer (src/spec): schemas, loading, routing, validation, examples, lint.
foreach(_t schema load sample router dialect)
  wx_unit_test(NAME test_spec_${_t} SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_spec_${_t}.c
               LAYERS wx_util wx_spec LABELS spec)
endforeach()
