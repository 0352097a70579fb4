# tensor_guards: image-to-tensor and normalization values, and bad input leaving outputs untouched.
scipix_example(tensor_guards SOURCES tensor_guards.c)
add_test(NAME tensor_guards COMMAND tensor_guards)
add_test(NAME tensor_guards_static COMMAND tensor_guards_static)
add_test(NAME tensor_guards_scalar COMMAND tensor_guards)
set_tests_properties(tensor_guards_scalar PROPERTIES ENVIRONMENT "SCIPIX_MAX_ISA=scalar")
