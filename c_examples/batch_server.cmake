# batch_server: simulated inference server (producers -> batcher -> NCHW tensor -> stand-in
# model); prints throughput, mean batch size and latency percentiles.
scipix_example(batch_server SOURCES batch_server.c)
add_test(NAME batch_server COMMAND batch_server 4 2000 200)
set_tests_properties(batch_server PROPERTIES PASS_REGULAR_EXPRESSION "all checks passed")
add_test(NAME batch_server_static COMMAND batch_server_static 2 500 0)
set_tests_properties(batch_server_static PROPERTIES PASS_REGULAR_EXPRESSION "all checks passed")
