# The spec tree shipped in spec/ (compiled into the wx_spec layer): every endpoint
# routes, its examples pass its own schemas, required fields are enforced, lint is clean.
wx_unit_test(NAME test_specs_shipped SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_specs_shipped.c
             LAYERS wx_util wx_spec LABELS spec)
