# quantize_model: int8 per-channel quantization of a safetensors model (also a CLI:
# quantize_model in.safetensors out.safetensors). The test builds a small model,
# quantizes it, and checks names, dtypes, dequantized values and SQNR > 30 dB.
scipix_example(quantize_model SOURCES quantize_model.c)
add_test(NAME quantize_model_selftest COMMAND quantize_model --self-test ${CMAKE_CURRENT_BINARY_DIR})
set_tests_properties(quantize_model_selftest PROPERTIES PASS_REGULAR_EXPRESSION "self-test passed")
add_test(NAME quantize_model_selftest_static COMMAND quantize_model_static --self-test ${CMAKE_CURRENT_BINARY_DIR})
set_tests_properties(quantize_model_selftest_static PROPERTIES PASS_REGULAR_EXPRESSION "self-test passed")
add_test(NAME quantize_model_usage COMMAND quantize_model)
add_test(NAME quantize_model_int4_bad_block COMMAND quantize_model --int4-block x a b)
set_tests_properties(quantize_model_int4_bad_block PROPERTIES WILL_FAIL TRUE)
set_tests_properties(quantize_model_usage PROPERTIES WILL_FAIL TRUE)
add_test(NAME quantize_model_gguf_bad_format COMMAND quantize_model --gguf q3_0 in.safetensors out.gguf)
set_tests_properties(quantize_model_gguf_bad_format PROPERTIES WILL_FAIL TRUE)
