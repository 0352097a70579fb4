# features: prints version, CPU features, ISA, opt level and threads.
scipix_example(features SOURCES features.c)
add_test(NAME features COMMAND features)
set_tests_properties(features PROPERTIES PASS_REGULAR_EXPRESSION "scipix [0-9]+\\.[0-9]+\\.[0-9]+")
add_test(NAME features_static COMMAND features_static)
add_test(NAME features_forced_scalar COMMAND features)
set_tests_properties(features_forced_scalar PROPERTIES
  ENVIRONMENT "SCIPIX_MAX_ISA=scalar"
  PASS_REGULAR_EXPRESSION "active isa: +scalar")

# api_guards: NULL pointers, bad enums and the panic boundary, checked from C.
scipix_example(api_guards SOURCES api_guards.c)
add_test(NAME api_guards COMMAND api_guards)

# header_cxx: the header compiles as C++17 and links from C++.
add_executable(header_cxx header_cxx.cpp)
target_compile_options(header_cxx PRIVATE -Wall -Wextra -Werror -pedantic)
target_link_libraries(header_cxx PRIVATE scipix_shared)
add_test(NAME header_cxx COMMAND header_cxx)
