# ocr_det_preprocess: a JPEG/PNG file -> PP-OCR text detector input (limit-side resize to
# multiples of 32, INTER_LINEAR, (x * float(1/255) - 0.5) / 0.5, NCHW), RapidOCR's bit for bit.
scipix_example(ocr_det_preprocess SOURCES ocr_det_preprocess.c)
add_test(NAME ocr_det_preprocess_self_test COMMAND ocr_det_preprocess --self-test)
set_tests_properties(ocr_det_preprocess_self_test PROPERTIES
  PASS_REGULAR_EXPRESSION "self-test passed: 3x32x32, every byte value equals RapidOCR's rule \\(126 of 256 differ")
set(OCR_DATA "${SCIPIX_ROOT}/tests/data/ocr")
# Each case: image, limit, type, expected shape; then the tensor is compared with RapidOCR's
# DetPreProcess on cv2.imread of the same file (c_examples/ocr_det_check.py).
foreach(case "rocket.jpg;736;min;736, 1088" "rocket.jpg;960;max;416, 640" "text.png;736;min;736, 1920")
  list(GET case 0 img)
  list(GET case 1 limit)
  list(GET case 2 kind)
  list(GET case 3 shape)
  string(REPLACE "." "_" id "${img}_${limit}_${kind}")
  add_test(NAME ocr_det_preprocess_${id} COMMAND ocr_det_preprocess_static
    ${OCR_DATA}/${img} ${CMAKE_CURRENT_BINARY_DIR}/ocr_${id}.tensor ${limit} ${kind})
  set_tests_properties(ocr_det_preprocess_${id} PROPERTIES FIXTURES_SETUP ocr_${id}
    PASS_REGULAR_EXPRESSION "tensor \\[1, 3, ${shape}\\]")
  find_package(Python3 COMPONENTS Interpreter)
  if(Python3_Interpreter_FOUND)
    add_test(NAME ocr_det_preprocess_${id}_equals_rapidocr COMMAND ${Python3_EXECUTABLE}
      ${CMAKE_CURRENT_SOURCE_DIR}/ocr_det_check.py ${OCR_DATA}/${img}
      ${CMAKE_CURRENT_BINARY_DIR}/ocr_${id}.tensor ${limit} ${kind})
    set_tests_properties(ocr_det_preprocess_${id}_equals_rapidocr PROPERTIES
      FIXTURES_REQUIRED ocr_${id} PASS_REGULAR_EXPRESSION "equal to RapidOCR bit for bit")
  endif()
endforeach()
add_test(NAME ocr_det_preprocess_not_an_image COMMAND ocr_det_preprocess
  ${CMAKE_CURRENT_SOURCE_DIR}/ocr_det_preprocess.c ${CMAKE_CURRENT_BINARY_DIR}/x.tensor)
set_tests_properties(ocr_det_preprocess_not_an_image PROPERTIES
  PASS_REGULAR_EXPRESSION "probe: unsupported format")
