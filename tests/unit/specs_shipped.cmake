# The spec tree shipped in spec/ (compiled into the wx_spec layer): every endpoint
# routes, its examples pass its own schemas, required fields are enforced, lint is clean.
# In compact form (WXPAY_EMBED_SPEC_FORM) the tree has no examples to check.
wx_unit_test(NAME test_specs_shipped SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_specs_shipped.c
             LAYERS wx_util wx_spec LABELS spec NEEDS all_specs)
if(TARGET test_specs_shipped)
  target_compile_definitions(test_specs_shipped PRIVATE
    WXT_SPECS_COMPACT=$<STREQUAL:${WXPAY_EMBED_SPEC_FORM},compact>)
endif()
