# letterbox: a frame (PPM, or a synthetic 1280x720 one) -> 640x640 letterbox -> RGB NCHW
# float tensor in one pass, with the box mapping back to the frame.
scipix_example(letterbox SOURCES letterbox.c)
# 1280x720 -> scale 0.5, 640x360, 140 rows of padding above and below.
add_test(NAME letterbox_synthetic COMMAND letterbox ${CMAKE_CURRENT_BINARY_DIR}/letterbox.f32)
set_tests_properties(letterbox_synthetic PROPERTIES PASS_REGULAR_EXPRESSION
  "scale 0.500000, resized 640x360, pad left 0 top 140 right 0 bottom 140.*tensor\\[0,0,0,0\\] = 0.447059.*-> \\(400.0, 200.0, 600.0, 400.0\\) in the frame.*wrote 1228800 floats")
add_test(NAME letterbox_make_ppm COMMAND pgm_check --make-ppm ${CMAKE_CURRENT_BINARY_DIR}/frame.ppm 333 217)
set_tests_properties(letterbox_make_ppm PROPERTIES FIXTURES_SETUP frame_ppm)
# 333x217 -> r = 640/333, 640x417, dh = 223 / 2 = 111.5 -> top 111, bottom 112.
add_test(NAME letterbox_ppm_static COMMAND letterbox_static ${CMAKE_CURRENT_BINARY_DIR}/frame.f32
  ${CMAKE_CURRENT_BINARY_DIR}/frame.ppm)
set_tests_properties(letterbox_ppm_static PROPERTIES FIXTURES_REQUIRED frame_ppm
  PASS_REGULAR_EXPRESSION "resized 640x417, pad left 0 top 111 right 0 bottom 112")
add_test(NAME letterbox_bad_input COMMAND letterbox ${CMAKE_CURRENT_BINARY_DIR}/x.f32
  ${CMAKE_CURRENT_SOURCE_DIR}/letterbox.c)
set_tests_properties(letterbox_bad_input PROPERTIES WILL_FAIL TRUE)
