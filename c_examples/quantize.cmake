# quantize: int8 weight quantization per tensor / per channel / per block with MSE, SQNR,
# compression ratio and round trips; quantize_bad_input: statuses and no writes on bad input.
scipix_example(quantize SOURCES quantize.c)
add_test(NAME quantize COMMAND quantize)
add_test(NAME quantize_static COMMAND quantize_static)
add_test(NAME quantize_forced_scalar COMMAND quantize)
set_tests_properties(quantize_forced_scalar PROPERTIES ENVIRONMENT "SCIPIX_MAX_ISA=scalar")
set_tests_properties(quantize quantize_static quantize_forced_scalar PROPERTIES
  PASS_REGULAR_EXPRESSION "all checks passed")
scipix_example(quantize_bad_input SOURCES quantize_bad_input.c)
add_test(NAME quantize_bad_input COMMAND quantize_bad_input)
