# cxx_api: the C++ API (include/scipix.hpp) against the C API it wraps: same results,
# failures thrown as scipix::Error with the C status and message, handles freed by their
# owners. Built with the project's C++ compiler against the shared and static library.
scipix_example(cxx_api SOURCES cxx_api.cpp)
foreach(variant cxx_api cxx_api_static)
  file(MAKE_DIRECTORY "${CMAKE_CURRENT_BINARY_DIR}/${variant}.d")
  add_test(NAME ${variant} COMMAND ${variant} "${CMAKE_CURRENT_BINARY_DIR}/${variant}.d")
  set_tests_properties(${variant} PROPERTIES PASS_REGULAR_EXPRESSION "C\\+\\+ API: all checks passed")
endforeach()

# The same test built by clang++ too (a CMake build has one C++ compiler, so this one is a
# plain command): the header must compile warnings-clean with both GCC and Clang.
# -DSCIPIX_REQUIRE_CLANGXX=ON (scripts/test.sh) makes a missing clang++ an error.
option(SCIPIX_REQUIRE_CLANGXX "Fail when clang++ is not found for the cxx_api_clang test" OFF)
find_program(SCIPIX_CLANGXX NAMES clang++)
if(NOT SCIPIX_CLANGXX AND SCIPIX_REQUIRE_CLANGXX)
  message(FATAL_ERROR "clang++ not found; the cxx_api_clang test needs it")
endif()
if(SCIPIX_CLANGXX AND NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  set(clang_exe "${CMAKE_CURRENT_BINARY_DIR}/cxx_api_clang")
  add_custom_command(OUTPUT "${clang_exe}"
    COMMAND "${SCIPIX_CLANGXX}" -std=c++17 ${SCIPIX_C_WARNINGS} -O2 "-I${SCIPIX_INCLUDE_DIR}"
            -o "${clang_exe}" "${CMAKE_CURRENT_SOURCE_DIR}/cxx_api.cpp"
            "${SCIPIX_LIB_DIR}/libscipix.so" "-Wl,-rpath,${SCIPIX_SONAME_DIR}"
    DEPENDS cxx_api.cpp "${SCIPIX_INCLUDE_DIR}/scipix.hpp" "${SCIPIX_INCLUDE_DIR}/scipix.h"
            "${SCIPIX_LIB_DIR}/libscipix.so"
    COMMENT "Building cxx_api with clang++"
    VERBATIM)
  add_custom_target(cxx_api_clang_build ALL DEPENDS "${clang_exe}")
  file(MAKE_DIRECTORY "${CMAKE_CURRENT_BINARY_DIR}/cxx_api_clang.d")
  add_test(NAME cxx_api_clang COMMAND "${clang_exe}" "${CMAKE_CURRENT_BINARY_DIR}/cxx_api_clang.d")
  set_tests_properties(cxx_api_clang PROPERTIES PASS_REGULAR_EXPRESSION "C\\+\\+ API: all checks passed")
endif()
