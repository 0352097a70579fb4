/* Quantizes a generated [64, 256] weight matrix to int8 per tensor, per output channel
 * (axis 0) and per block of 32, prints MSE, SQNR and compression ratio for each mode,
 * round-trips each through the raw-buffer API and checks the results. */
#include "check.h"
#include <math.h>
#include <stdint.h>
#include <string.h>

#define ROWS 64
#define COLS 256
#define N (ROWS * COLS)

static uint32_t rng_state = 12345u;
static float uniform(void) { /* xorshift32 in [-1, 1) */
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 17;
  rng_state ^= rng_state << 5;
  return (float)(rng_state >> 8) / 8388608.0f - 1.0f;
}

static float w[N], back[N], back2[N];
static int8_t q2[N];

static void report(const char *name, ScipixQGranularity gran, size_t want_params,
                   double min_sqnr) {
  const size_t shape[2] = {ROWS, COLS};
  ScipixQTensor *t = NULL;
  CHECK_STATUS(scipix_qtensor_quantize(w, shape, 2, SCIPIX_QDTYPE_INT8, SCIPIX_QMODE_SYMMETRIC,
                                       false, gran, 0, 32, &t),
               SCIPIX_OK);
  if (!t) return;

  const size_t *s = NULL;
  size_t rank = 0, nbytes = 0, nscales = 0, nzps = 0;
  const void *data = NULL;
  const float *scales = NULL;
  const int32_t *zps = NULL;
  ScipixQDtype dt = 99;
  CHECK_STATUS(scipix_qtensor_shape(t, &s, &rank), SCIPIX_OK);
  CHECK(rank == 2 && s[0] == ROWS && s[1] == COLS);
  CHECK_STATUS(scipix_qtensor_dtype(t, &dt), SCIPIX_OK);
  CHECK(dt == SCIPIX_QDTYPE_INT8);
  CHECK_STATUS(scipix_qtensor_data(t, &data, &nbytes), SCIPIX_OK);
  CHECK(nbytes == N && scipix_qtensor_nbytes(t) == N);
  CHECK_STATUS(scipix_qtensor_scales(t, &scales, &nscales), SCIPIX_OK);
  CHECK_STATUS(scipix_qtensor_zero_points(t, &zps, &nzps), SCIPIX_OK);
  CHECK(nscales == want_params && nzps == want_params);
  for (size_t i = 0; i < nzps; i++) CHECK(zps[i] == 0); /* symmetric int8 */

  CHECK_STATUS(scipix_qtensor_dequantize(t, back, N), SCIPIX_OK);
  double mse = -1, sqnr = -1;
  CHECK_STATUS(scipix_quantization_mse(w, back, N, &mse), SCIPIX_OK);
  CHECK_STATUS(scipix_sqnr_db(w, back, N, &sqnr), SCIPIX_OK);
  double ratio = scipix_qtensor_compression_ratio(t);
  printf("%-12s params %5zu  MSE %.3e  SQNR %6.2f dB  compression %.3fx\n", name, nscales, mse,
         sqnr, ratio);
  CHECK(sqnr > min_sqnr);
  CHECK(fabs(ratio - 4.0 * N / (N + 5.0 * (double)nscales)) < 1e-12);

  /* Round trip through the raw-buffer API with the handle's parameters: identical bytes
   * and identical floats. */
  ScipixStatus st = SCIPIX_OK;
  if (gran == SCIPIX_QGRAN_PER_TENSOR) {
    st = scipix_quantize_linear(w, N, scales[0], zps[0], SCIPIX_QDTYPE_INT8, q2, N);
    CHECK_STATUS(st, SCIPIX_OK);
    CHECK_STATUS(scipix_dequantize_linear(q2, N, scales[0], zps[0], SCIPIX_QDTYPE_INT8, back2, N),
                 SCIPIX_OK);
  } else if (gran == SCIPIX_QGRAN_PER_AXIS) {
    st = scipix_quantize_linear_axis(w, shape, 2, 0, scales, zps, nscales, SCIPIX_QDTYPE_INT8, q2,
                                     N);
    CHECK_STATUS(st, SCIPIX_OK);
    CHECK_STATUS(scipix_dequantize_linear_axis(q2, shape, 2, 0, scales, zps, nscales,
                                               SCIPIX_QDTYPE_INT8, back2, N),
                 SCIPIX_OK);
  } else {
    st = scipix_quantize_linear_blocked(w, shape, 2, 32, scales, zps, nscales, SCIPIX_QDTYPE_INT8,
                                        q2, N);
    CHECK_STATUS(st, SCIPIX_OK);
    CHECK_STATUS(scipix_dequantize_linear_blocked(q2, shape, 2, 32, scales, zps, nscales,
                                                  SCIPIX_QDTYPE_INT8, back2, N),
                 SCIPIX_OK);
  }
  CHECK(memcmp(q2, data, N) == 0);
  CHECK(memcmp(back, back2, sizeof back) == 0);
  /* Symmetric int8: every element within half a step of its own scale. */
  int worst_ok = 1;
  for (size_t i = 0; i < N; i++) {
    size_t p = gran == SCIPIX_QGRAN_PER_TENSOR ? 0
               : gran == SCIPIX_QGRAN_PER_AXIS ? i / COLS
                                               : i / 32;
    if (fabsf(w[i] - back[i]) > scales[p] * 0.5f + 1e-7f) worst_ok = 0;
  }
  CHECK(worst_ok);
  scipix_qtensor_free(t);
}

int main(void) {
  /* Rows with very different magnitudes: per-channel scales pay off. */
  for (size_t r = 0; r < ROWS; r++)
    for (size_t c = 0; c < COLS; c++) w[r * COLS + c] = uniform() * (0.01f + 0.05f * (float)r);

  report("per-tensor", SCIPIX_QGRAN_PER_TENSOR, 1, 25.0);
  report("per-channel", SCIPIX_QGRAN_PER_AXIS, ROWS, 40.0);
  report("block-32", SCIPIX_QGRAN_BLOCKED, N / 32, 40.0);

  /* Calibrate a per-tensor range over two batches, then quantize with it. */
  ScipixCalibrator *cal = NULL;
  CHECK_STATUS(scipix_calibrator_new(SCIPIX_CALIB_PERCENTILE, 0.0, SCIPIX_QDTYPE_UINT8,
                                     SCIPIX_QMODE_ASYMMETRIC, false, false, 0, &cal),
               SCIPIX_OK);
  const size_t half[2] = {ROWS / 2, COLS};
  CHECK_STATUS(scipix_calibrator_observe(cal, w, half, 2), SCIPIX_OK);
  CHECK_STATUS(scipix_calibrator_observe(cal, w + N / 2, half, 2), SCIPIX_OK);
  float scale = 0;
  int32_t zp = -1;
  CHECK(scipix_calibrator_channels(cal) == 1);
  CHECK_STATUS(scipix_calibrator_compute(cal, &scale, &zp, 1), SCIPIX_OK);
  CHECK(scale > 0 && zp >= 0 && zp <= 255);
  printf("percentile calibration: scale %.6g zero point %d\n", scale, (int)zp);
  scipix_calibrator_free(cal);
  CHECK_DONE();
}
