# batch_stress: 8 producers x 20,000 requests, 2 consumers with an echo model that fails some
# batches; every ticket must resolve exactly once and the stats must add up. Also runs
# shut down mid-way in DRAIN and CANCEL mode, and in callback-worker mode.
scipix_example(batch_stress SOURCES batch_stress.c)
add_test(NAME batch_stress COMMAND batch_stress 8 20000 2)
set_tests_properties(batch_stress PROPERTIES TIMEOUT 600)
add_test(NAME batch_stress_static COMMAND batch_stress_static 4 2000 2)

# The same under valgrind memcheck with small sizes: no leaks, no invalid accesses.
find_program(VALGRIND_EXECUTABLE valgrind)
if(VALGRIND_EXECUTABLE)
  add_test(NAME batch_stress_valgrind
           COMMAND ${VALGRIND_EXECUTABLE} --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect
                   $<TARGET_FILE:batch_stress> 4 1000 2)
  set_tests_properties(batch_stress_valgrind PROPERTIES TIMEOUT 900)
endif()
