# model_api: the mmap model and safetensors C API from C (statuses, ownership, lookups).
scipix_example(model_api SOURCES model_api.c)
add_test(NAME model_api COMMAND model_api ${CMAKE_CURRENT_BINARY_DIR})
add_test(NAME model_api_static COMMAND model_api_static ${CMAKE_CURRENT_BINARY_DIR})
