# The spec layer (src/spec): schemas, loading, routing, validation, examples, lint.
wx_unit_test(NAME test_spec_schema SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_spec_schema.c
             LAYERS wx_util wx_spec LABELS spec)
# These read YAML trees of tests/data/spec and the community sample as well.
foreach(_t load sample router dialect)
  wx_unit_test(NAME test_spec_${_t} SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_spec_${_t}.c
               LAYERS wx_util wx_spec LABELS spec NEEDS yaml)
endforeach()
