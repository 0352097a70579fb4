# preprocess: color -> gray -> Otsu binarization of a PPM/PGM page (or a synthetic one).
scipix_example(preprocess SOURCES preprocess.c)
add_executable(pgm_check pgm_check.c)
target_compile_options(pgm_check PRIVATE ${SCIPIX_C_WARNINGS})

add_test(NAME preprocess_synthetic COMMAND preprocess ${CMAKE_CURRENT_BINARY_DIR}/page_bin.pgm)
set_tests_properties(preprocess_synthetic PROPERTIES
  FIXTURES_SETUP page_bin PASS_REGULAR_EXPRESSION "otsu threshold: [0-9]+")
add_test(NAME preprocess_synthetic_output COMMAND pgm_check ${CMAKE_CURRENT_BINARY_DIR}/page_bin.pgm 1200 800)
set_tests_properties(preprocess_synthetic_output PROPERTIES FIXTURES_REQUIRED page_bin)

add_test(NAME preprocess_make_ppm COMMAND pgm_check --make-ppm ${CMAKE_CURRENT_BINARY_DIR}/page.ppm 333 217)
set_tests_properties(preprocess_make_ppm PROPERTIES FIXTURES_SETUP page_ppm)
add_test(NAME preprocess_ppm_static COMMAND preprocess_static ${CMAKE_CURRENT_BINARY_DIR}/page_ppm_bin.pgm
  ${CMAKE_CURRENT_BINARY_DIR}/page.ppm)
set_tests_properties(preprocess_ppm_static PROPERTIES
  FIXTURES_REQUIRED page_ppm FIXTURES_SETUP page_ppm_bin PASS_REGULAR_EXPRESSION "333x217 rgb8")
add_test(NAME preprocess_ppm_output COMMAND pgm_check ${CMAKE_CURRENT_BINARY_DIR}/page_ppm_bin.pgm 333 217)
set_tests_properties(preprocess_ppm_output PROPERTIES FIXTURES_REQUIRED page_ppm_bin)
add_test(NAME preprocess_bad_input COMMAND preprocess ${CMAKE_CURRENT_BINARY_DIR}/x.pgm ${CMAKE_CURRENT_SOURCE_DIR}/preprocess.c)
set_tests_properties(preprocess_bad_input PROPERTIES WILL_FAIL TRUE)

# image_ops_guards: bad arguments to the gray/threshold C API leave outputs untouched.
scipix_example(image_ops_guards SOURCES image_ops_guards.c)
add_test(NAME image_ops_guards COMMAND image_ops_guards)
