# decode_letterbox: a JPEG/PNG file -> decode + 640x640 letterbox -> RGB NCHW float tensor in
# one call (exact and DCT-reduced modes), with the box mapping back to the image.
scipix_example(decode_letterbox SOURCES decode_letterbox.c)
find_package(Python3 COMPONENTS Interpreter)
if(Python3_Interpreter_FOUND)
  # The photo the tests decode, written by Pillow (installed by the test command).
  add_test(NAME decode_letterbox_make_jpeg COMMAND ${Python3_EXECUTABLE}
    ${CMAKE_CURRENT_SOURCE_DIR}/make_photo.py ${CMAKE_CURRENT_BINARY_DIR}/photo.jpg 1920 1080)
  add_test(NAME decode_letterbox_make_truncated COMMAND ${Python3_EXECUTABLE}
    ${CMAKE_CURRENT_SOURCE_DIR}/make_photo.py ${CMAKE_CURRENT_BINARY_DIR}/cut.jpg 640 480 --truncate)
  set_tests_properties(decode_letterbox_make_jpeg decode_letterbox_make_truncated PROPERTIES
    FIXTURES_SETUP photo_jpeg)
  # 1920x1080 -> r = 1/3, 640x360, 140 rows of padding above and below; reduced mode decodes
  # at 1/2 (1920 >= 2 x 640, not 4 x), and both map the box to the same image rectangle.
  add_test(NAME decode_letterbox_jpeg COMMAND decode_letterbox
    ${CMAKE_CURRENT_BINARY_DIR}/photo.jpg ${CMAKE_CURRENT_BINARY_DIR}/photo.f32)
  set_tests_properties(decode_letterbox_jpeg PROPERTIES FIXTURES_REQUIRED photo_jpeg
    PASS_REGULAR_EXPRESSION "JPEG 1920x1080, 3 channel.*scale 0.333333, resized 640x360, pad left 0 top 140 right 0 bottom 140.*-> \\(480.0, 270.0, 1440.0, 810.0\\) in the image.*reduced: scale 4/8, decoded 960x540.*reduced: the same box -> \\(480.0, 270.0, 1440.0, 810.0\\).*wrote 1228800 floats")
  add_test(NAME decode_letterbox_static_truncated COMMAND decode_letterbox_static
    ${CMAKE_CURRENT_BINARY_DIR}/cut.jpg)
  set_tests_properties(decode_letterbox_static_truncated PROPERTIES FIXTURES_REQUIRED photo_jpeg
    PASS_REGULAR_EXPRESSION "exact decode \\+ letterbox: invalid file")
endif()
add_test(NAME decode_letterbox_not_an_image COMMAND decode_letterbox
  ${CMAKE_CURRENT_SOURCE_DIR}/decode_letterbox.c)
set_tests_properties(decode_letterbox_not_an_image PROPERTIES
  PASS_REGULAR_EXPRESSION "probe: unsupported format")
