# The code examples of the public headers and of README.md compile warning-free with gcc
# and clang (both are in the Makefile's DEB_PACKAGES).
find_program(WX_SH sh REQUIRED)
find_program(WX_DOC_GCC NAMES gcc gcc-12 REQUIRED)
find_program(WX_DOC_CLANG NAMES clang clang-14 REQUIRED)
add_test(NAME docs_examples_compile
         COMMAND ${WX_SH} ${CMAKE_CURRENT_LIST_DIR}/doc_examples.sh ${CMAKE_SOURCE_DIR}
                 ${WX_DOC_GCC} ${WX_DOC_CLANG})
set_tests_properties(docs_examples_compile PROPERTIES LABELS "docs;packaging" TIMEOUT 300)
