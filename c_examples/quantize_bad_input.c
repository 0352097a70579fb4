/* Bad input to the quantization API: a status and a message, and nothing written. */
#include "check.h"
#include <math.h>
#include <stdint.h>
#include <string.h>

int main(void) {
  float x[6] = {0.1f, -0.2f, 0.3f, 1.0f, -1.0f, 0.0f};
  uint8_t out[6];
  float fout[6];
  const size_t shape[2] = {2, 3};
  const float scales[3] = {0.1f, 0.1f, 0.1f};
  const int32_t zps[3] = {0, 0, 0};
  memset(out, 0xEE, sizeof out);

  CHECK_STATUS(scipix_quantize_linear(NULL, 6, 0.1f, 0, SCIPIX_QDTYPE_INT8, out, 6),
               SCIPIX_ERR_NULL_POINTER);
  CHECK_STATUS(scipix_quantize_linear(x, 6, 0.1f, 0, SCIPIX_QDTYPE_INT8, NULL, 6),
               SCIPIX_ERR_NULL_POINTER);
  CHECK_STATUS(scipix_quantize_linear(x, 6, 0.0f, 0, SCIPIX_QDTYPE_INT8, out, 6),
               SCIPIX_ERR_INVALID_ARGUMENT);
  CHECK(strstr(scipix_last_error_message(), "scale") != NULL);
  CHECK_STATUS(scipix_quantize_linear(x, 6, -1.0f, 0, SCIPIX_QDTYPE_INT8, out, 6),
               SCIPIX_ERR_INVALID_ARGUMENT);
  CHECK_STATUS(scipix_quantize_linear(x, 6, INFINITY, 0, SCIPIX_QDTYPE_INT8, out, 6),
               SCIPIX_ERR_INVALID_ARGUMENT);
  CHECK_STATUS(scipix_quantize_linear(x, 6, NAN, 0, SCIPIX_QDTYPE_INT8, out, 6),
               SCIPIX_ERR_INVALID_ARGUMENT);
  CHECK_STATUS(scipix_quantize_linear(x, 6, 0.1f, 128, SCIPIX_QDTYPE_INT8, out, 6),
               SCIPIX_ERR_INVALID_ARGUMENT);
  CHECK(strstr(scipix_last_error_message(), "zero point") != NULL);
  CHECK_STATUS(scipix_quantize_linear(x, 6, 0.1f, -1, SCIPIX_QDTYPE_UINT8, out, 6),
               SCIPIX_ERR_INVALID_ARGUMENT);
  CHECK_STATUS(scipix_quantize_linear(x, 6, 0.1f, 0, 7, out, 6), SCIPIX_ERR_UNSUPPORTED_FORMAT);
  CHECK_STATUS(scipix_quantize_linear(x, 6, 0.1f, 0, SCIPIX_QDTYPE_INT8, out, 5),
               SCIPIX_ERR_BUFFER_TOO_SMALL);
  CHECK_STATUS(scipix_quantize_linear(x, 6, 0.1f, 0, SCIPIX_QDTYPE_INT8, (void *)x, 6),
               SCIPIX_ERR_INVALID_ARGUMENT); /* overlapping */

  /* Per axis. */
  CHECK_STATUS(scipix_quantize_linear_axis(x, shape, 2, 2, scales, zps, 3, SCIPIX_QDTYPE_INT8,
                                           out, 6),
               SCIPIX_ERR_INVALID_ARGUMENT);
  CHECK(strstr(scipix_last_error_message(), "axis") != NULL);
  CHECK_STATUS(scipix_quantize_linear_axis(x, shape, 2, 1, scales, zps, 2, SCIPIX_QDTYPE_INT8,
                                           out, 6),
               SCIPIX_ERR_INVALID_ARGUMENT); /* wrong length */
  CHECK_STATUS(scipix_quantize_linear_axis(x, shape, 2, 1, NULL, zps, 3, SCIPIX_QDTYPE_INT8, out,
                                           6),
               SCIPIX_ERR_NULL_POINTER);
  CHECK_STATUS(scipix_quantize_linear_axis(x, shape, 2, 1, scales, NULL, 3, SCIPIX_QDTYPE_INT8,
                                           out, 6),
               SCIPIX_ERR_NULL_POINTER);
  const float bad_scales[3] = {0.1f, 0.0f, 0.1f};
  CHECK_STATUS(scipix_quantize_linear_axis(x, shape, 2, 1, bad_scales, zps, 3,
                                           SCIPIX_QDTYPE_INT8, out, 6),
               SCIPIX_ERR_INVALID_ARGUMENT);
  CHECK(strstr(scipix_last_error_message(), "scale[1]") != NULL);
  const int32_t bad_zps[3] = {0, 300, 0};
  CHECK_STATUS(scipix_quantize_linear_axis(x, shape, 2, 1, scales, bad_zps, 3,
                                           SCIPIX_QDTYPE_UINT8, out, 6),
               SCIPIX_ERR_INVALID_ARGUMENT);
  const size_t huge[3] = {SIZE_MAX / 2, 3, 3};
  CHECK_STATUS(scipix_quantize_linear_axis(x, huge, 3, 1, scales, zps, 3, SCIPIX_QDTYPE_INT8, out,
                                           6),
               SCIPIX_ERR_SIZE_OVERFLOW);
  CHECK_STATUS(scipix_quantize_linear_axis(x, shape, 2, 1, scales, zps, 3, SCIPIX_QDTYPE_INT8,
                                           out, 5),
               SCIPIX_ERR_BUFFER_TOO_SMALL);
  CHECK_STATUS(scipix_quantize_linear_blocked(x, shape, 2, 0, scales, zps, 3, SCIPIX_QDTYPE_INT8,
                                              out, 6),
               SCIPIX_ERR_INVALID_ARGUMENT);
  CHECK_STATUS(scipix_quantize_linear_blocked(x, shape, 2, 2, scales, zps, 3, SCIPIX_QDTYPE_INT8,
                                              out, 6),
               SCIPIX_ERR_INVALID_ARGUMENT); /* needs 2 rows x 2 blocks = 4 */
  for (int i = 0; i < 6; i++) CHECK(out[i] == 0xEE);

  /* Dequantize and parameters. */
  memset(fout, 0, sizeof fout);
  CHECK_STATUS(scipix_dequantize_linear(out, 6, 0.1f, 0, SCIPIX_QDTYPE_INT8, fout, 3),
               SCIPIX_ERR_BUFFER_TOO_SMALL);
  CHECK_STATUS(scipix_dequantize_linear_axis(out, shape, 2, 0, scales, zps, 3, SCIPIX_QDTYPE_INT8,
                                             fout, 6),
               SCIPIX_ERR_INVALID_ARGUMENT);
  for (int i = 0; i < 6; i++) CHECK(fout[i] == 0.0f);
  float s = 7.0f;
  int32_t z = 7;
  CHECK_STATUS(scipix_quantize_params_from_range(1.0f, -1.0f, SCIPIX_QDTYPE_INT8,
                                                 SCIPIX_QMODE_SYMMETRIC, false, &s, &z),
               SCIPIX_ERR_INVALID_ARGUMENT);
  CHECK_STATUS(scipix_quantize_params_from_range(-1.0f, NAN, SCIPIX_QDTYPE_INT8,
                                                 SCIPIX_QMODE_SYMMETRIC, false, &s, &z),
               SCIPIX_ERR_INVALID_ARGUMENT);
  CHECK_STATUS(scipix_quantize_params_from_range(-1.0f, 1.0f, SCIPIX_QDTYPE_INT8, 5, false, &s,
                                                 &z),
               SCIPIX_ERR_INVALID_ARGUMENT);
  CHECK_STATUS(scipix_quantize_params_from_range(-1.0f, 1.0f, SCIPIX_QDTYPE_INT8,
                                                 SCIPIX_QMODE_SYMMETRIC, false, NULL, &z),
               SCIPIX_ERR_NULL_POINTER);
  CHECK(s == 7.0f && z == 7);
  float inf_data[2] = {1.0f, INFINITY};
  CHECK_STATUS(scipix_quantize_params_from_data(inf_data, 2, SCIPIX_QDTYPE_UINT8,
                                                SCIPIX_QMODE_ASYMMETRIC, false, &s, &z),
               SCIPIX_ERR_INVALID_ARGUMENT);
  CHECK(s == 7.0f && z == 7);

  /* Handles. */
  ScipixQTensor *t = (ScipixQTensor *)&s; /* must stay untouched */
  ScipixQTensor *const before = t;
  CHECK_STATUS(scipix_qtensor_quantize(x, shape, 2, SCIPIX_QDTYPE_INT8, SCIPIX_QMODE_SYMMETRIC,
                                       false, SCIPIX_QGRAN_PER_AXIS, 2, 0, &t),
               SCIPIX_ERR_INVALID_ARGUMENT);
  CHECK_STATUS(scipix_qtensor_quantize(x, shape, 2, SCIPIX_QDTYPE_INT8, SCIPIX_QMODE_SYMMETRIC,
                                       false, 9, 0, 0, &t),
               SCIPIX_ERR_INVALID_ARGUMENT);
  CHECK(t == before);
  CHECK_STATUS(scipix_qtensor_dequantize(NULL, fout, 6), SCIPIX_ERR_NULL_POINTER);
  CHECK(scipix_qtensor_nbytes(NULL) == 0);
  CHECK(scipix_qtensor_compression_ratio(NULL) == 0.0);
  scipix_qtensor_free(NULL);

  ScipixCalibrator *cal = NULL;
  CHECK_STATUS(scipix_calibrator_new(SCIPIX_CALIB_PERCENTILE, 101.0, SCIPIX_QDTYPE_INT8,
                                     SCIPIX_QMODE_SYMMETRIC, false, false, 0, &cal),
               SCIPIX_ERR_INVALID_ARGUMENT);
  CHECK(cal == NULL);
  CHECK_STATUS(scipix_calibrator_new(SCIPIX_CALIB_MINMAX, 0.0, SCIPIX_QDTYPE_INT8,
                                     SCIPIX_QMODE_SYMMETRIC, false, true, 1, &cal),
               SCIPIX_OK);
  float sc[3] = {0}, lo[3] = {0}, hi[3] = {0};
  int32_t zz[3] = {0};
  CHECK_STATUS(scipix_calibrator_compute(cal, sc, zz, 3), SCIPIX_ERR_INVALID_STATE);
  CHECK_STATUS(scipix_calibrator_observe(cal, x, shape, 1), SCIPIX_ERR_INVALID_ARGUMENT);
  CHECK_STATUS(scipix_calibrator_observe(cal, x, shape, 2), SCIPIX_OK);
  CHECK_STATUS(scipix_calibrator_compute(cal, sc, zz, 2), SCIPIX_ERR_INVALID_ARGUMENT);
  CHECK(sc[0] == 0.0f);
  CHECK_STATUS(scipix_calibrator_range(cal, lo, hi, 3), SCIPIX_OK);
  CHECK(lo[0] == 0.1f && hi[0] == 1.0f);
  scipix_calibrator_free(cal);
  scipix_calibrator_free(NULL);

  double m = 5.0;
  CHECK_STATUS(scipix_quantization_mse(x, NULL, 6, &m), SCIPIX_ERR_NULL_POINTER);
  CHECK_STATUS(scipix_sqnr_db(x, x, 6, NULL), SCIPIX_ERR_NULL_POINTER);
  CHECK(m == 5.0);
  CHECK_STATUS(scipix_sqnr_db(x, x, 6, &m), SCIPIX_OK);
  CHECK(isinf(m) && m > 0);
  CHECK_DONE();
}
