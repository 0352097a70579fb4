/* Image-to-tensor and normalization from C: known values, and bad input that must return
 * an error status while leaving every output untouched. */
#include "check.h"
#include <math.h>
#include <string.h>

#define SENTINEL 12345.0f

static int untouched(const float *v, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (v[i] != SENTINEL) return 0;
  }
  return 1;
}

static void fill(float *v, size_t n) {
  for (size_t i = 0; i < n; i++) v[i] = SENTINEL;
}

int main(void) {
  /* 2x1 BGR image: pixels (b,g,r) = (10,20,30) and (40,50,60). */
  const unsigned char px[6] = {10, 20, 30, 40, 50, 60};
  ScipixImage img = {px, 2, 1, 6, SCIPIX_FORMAT_BGR8};
  ScipixTensorParams p;
  CHECK_STATUS(scipix_tensor_params_default(&p), SCIPIX_OK);
  CHECK(p.scale == 1.0f && p.divisor == 1.0f && p.std[2] == 1.0f && p.mean[0] == 0.0f);
  CHECK(!p.swap_rb && p.layout == SCIPIX_LAYOUT_NCHW);

  size_t need = 0;
  CHECK_STATUS(scipix_image_tensor_len(&img, &need), SCIPIX_OK);
  CHECK(need == 6);

  float out[8];
  fill(out, 8);
  CHECK_STATUS(scipix_image_to_tensor(&img, &p, out, 8), SCIPIX_OK);
  CHECK(out[0] == 10 && out[1] == 40 && out[2] == 20 && out[3] == 50 && out[4] == 30 && out[5] == 60);
  CHECK(out[6] == SENTINEL && out[7] == SENTINEL);

  /* torchvision-style: RGB order (swap from BGR), /255, mean/std, NHWC. */
  p.swap_rb = true;
  p.layout = SCIPIX_LAYOUT_NHWC;
  p.divisor = 255.0f;
  const float mean[3] = {0.485f, 0.456f, 0.406f}, stdv[3] = {0.229f, 0.224f, 0.225f};
  for (int c = 0; c < 3; c++) { p.mean[c] = mean[c]; p.std[c] = stdv[c]; }
  CHECK_STATUS(scipix_image_to_tensor(&img, &p, out, 6), SCIPIX_OK);
  volatile float r = 30.0f, d = 255.0f;
  float want = (r / d - mean[0]) / stdv[0];
  CHECK(out[0] == want);

  /* Bad input: nothing written. */
  ScipixTensorParams good = p;
  fill(out, 8);
  CHECK_STATUS(scipix_image_to_tensor(NULL, &p, out, 8), SCIPIX_ERR_NULL_POINTER);
  CHECK_STATUS(scipix_image_to_tensor(&img, NULL, out, 8), SCIPIX_ERR_NULL_POINTER);
  CHECK_STATUS(scipix_image_to_tensor(&img, &p, NULL, 8), SCIPIX_ERR_NULL_POINTER);
  CHECK_STATUS(scipix_image_to_tensor(&img, &p, out, 5), SCIPIX_ERR_BUFFER_TOO_SMALL);
  p.std[1] = 0.0f;
  CHECK_STATUS(scipix_image_to_tensor(&img, &p, out, 8), SCIPIX_ERR_INVALID_ARGUMENT);
  CHECK(strstr(scipix_last_error_message(), "std[1]") != NULL);
  p = good;
  p.divisor = 0.0f;
  CHECK_STATUS(scipix_image_to_tensor(&img, &p, out, 8), SCIPIX_ERR_INVALID_ARGUMENT);
  p = good;
  p.mean[2] = NAN;
  CHECK_STATUS(scipix_image_to_tensor(&img, &p, out, 8), SCIPIX_ERR_INVALID_ARGUMENT);
  p = good;
  p.scale = INFINITY;
  CHECK_STATUS(scipix_image_to_tensor(&img, &p, out, 8), SCIPIX_ERR_INVALID_ARGUMENT);
  p = good;
  p.layout = 7;
  CHECK_STATUS(scipix_image_to_tensor(&img, &p, out, 8), SCIPIX_ERR_UNSUPPORTED_FORMAT);
  p = good;
  ScipixImage bad = img;
  bad.format = 42;
  CHECK_STATUS(scipix_image_to_tensor(&bad, &p, out, 8), SCIPIX_ERR_UNSUPPORTED_FORMAT);
  bad = img;
  bad.stride = 5;
  CHECK_STATUS(scipix_image_to_tensor(&bad, &p, out, 8), SCIPIX_ERR_INVALID_ARGUMENT);
  bad = img;
  bad.width = (size_t)-1;
  CHECK_STATUS(scipix_image_to_tensor(&bad, &p, out, 8), SCIPIX_ERR_SIZE_OVERFLOW);
  CHECK(untouched(out, 8));

  /* Output overlapping the image bytes. */
  float alias[8] = {0};
  ScipixImage over = {(const unsigned char *)alias, 2, 1, 6, SCIPIX_FORMAT_RGB8};
  CHECK_STATUS(scipix_image_to_tensor(&over, &p, alias + 1, 6), SCIPIX_ERR_INVALID_ARGUMENT);

  /* Batch. */
  const unsigned char g4[4] = {1, 2, 3, 4};
  ScipixImage batch[3] = {img, img, {g4, 2, 2, 2, SCIPIX_FORMAT_GRAY8}};
  float bout[18];
  fill(bout, 18);
  CHECK_STATUS(scipix_images_to_tensor(batch, 0, &p, bout, 18), SCIPIX_ERR_INVALID_ARGUMENT);
  CHECK_STATUS(scipix_images_to_tensor(NULL, 2, &p, bout, 18), SCIPIX_ERR_NULL_POINTER);
  CHECK_STATUS(scipix_images_to_tensor(batch, 3, &p, bout, 18), SCIPIX_ERR_INVALID_ARGUMENT);
  CHECK_STATUS(scipix_images_to_tensor(batch, 2, &p, bout, 11), SCIPIX_ERR_BUFFER_TOO_SMALL);
  CHECK(untouched(bout, 18));
  CHECK_STATUS(scipix_images_to_tensor(batch, 2, &p, bout, 18), SCIPIX_OK);
  CHECK(bout[0] == want && bout[6] == want && bout[12] == SENTINEL);

  /* Normalization. */
  float x[5] = {1, 2, 3, 4, 5}, y[5];
  float m = SENTINEL, s = SENTINEL;
  fill(y, 5);
  CHECK_STATUS(scipix_normalize_f32(x, y, 0, 1e-8f, &m, &s), SCIPIX_ERR_INVALID_ARGUMENT);
  CHECK_STATUS(scipix_normalize_f32(NULL, y, 5, 1e-8f, &m, &s), SCIPIX_ERR_NULL_POINTER);
  CHECK_STATUS(scipix_normalize_f32(x, NULL, 5, 1e-8f, &m, &s), SCIPIX_ERR_NULL_POINTER);
  CHECK_STATUS(scipix_normalize_f32(x, y, 5, -1.0f, &m, &s), SCIPIX_ERR_INVALID_ARGUMENT);
  CHECK_STATUS(scipix_normalize_f32(x, x + 1, 4, 1e-8f, &m, &s), SCIPIX_ERR_INVALID_ARGUMENT);
  const float flat[5] = {2, 2, 2, 2, 2};
  CHECK_STATUS(scipix_normalize_f32(flat, y, 5, 0.0f, &m, &s), SCIPIX_ERR_INVALID_ARGUMENT);
  float withnan[5] = {1, 2, NAN, 4, 5};
  CHECK_STATUS(scipix_normalize_f32(withnan, y, 5, 1e-8f, &m, &s), SCIPIX_ERR_INVALID_ARGUMENT);
  CHECK(untouched(y, 5) && m == SENTINEL && s == SENTINEL);
  CHECK_STATUS(scipix_normalize_f32(x, y, 5, 0.0f, &m, &s), SCIPIX_OK);
  CHECK(m == 3.0f && fabsf(s - sqrtf(2.0f)) < 1e-6f);
  CHECK(y[2] == 0.0f && fabsf(y[4] - sqrtf(2.0f)) < 1e-6f);
  CHECK_STATUS(scipix_normalize_f32(x, x, 5, 0.0f, NULL, NULL), SCIPIX_OK); /* in place */
  CHECK(memcmp(x, y, sizeof x) == 0);

  double dm = -1, dv = -1;
  CHECK_STATUS(scipix_tensor_stats_f32(flat, 5, &dm, NULL), SCIPIX_ERR_NULL_POINTER);
  CHECK_STATUS(scipix_tensor_stats_f32(flat, 0, &dm, &dv), SCIPIX_ERR_INVALID_ARGUMENT);
  CHECK(dm == -1 && dv == -1);
  CHECK_STATUS(scipix_tensor_stats_f32(flat, 5, &dm, &dv), SCIPIX_OK);
  CHECK(dm == 2.0 && dv == 0.0);

  /* Per-channel. */
  const float hwc[6] = {1, 10, 2, 20, 3, 30};
  const float cm[2] = {2, 20}, cs[2] = {0.5f, 10};
  const float zero_std[2] = {1, 0};
  float co[6];
  fill(co, 6);
  CHECK_STATUS(scipix_normalize_channels_f32(hwc, co, 5, 2, SCIPIX_LAYOUT_NHWC, cm, cs), SCIPIX_ERR_INVALID_ARGUMENT);
  CHECK_STATUS(scipix_normalize_channels_f32(hwc, co, 6, 0, SCIPIX_LAYOUT_NHWC, cm, cs), SCIPIX_ERR_INVALID_ARGUMENT);
  CHECK_STATUS(scipix_normalize_channels_f32(hwc, co, 6, 2, SCIPIX_LAYOUT_NHWC, cm, zero_std), SCIPIX_ERR_INVALID_ARGUMENT);
  CHECK_STATUS(scipix_normalize_channels_f32(hwc, co, 6, 2, 9, cm, cs), SCIPIX_ERR_UNSUPPORTED_FORMAT);
  CHECK_STATUS(scipix_normalize_channels_f32(hwc, co, 6, 2, SCIPIX_LAYOUT_NHWC, NULL, cs), SCIPIX_ERR_NULL_POINTER);
  CHECK(untouched(co, 6));
  CHECK_STATUS(scipix_normalize_channels_f32(hwc, co, 6, 2, SCIPIX_LAYOUT_NHWC, cm, cs), SCIPIX_OK);
  CHECK(co[0] == -2 && co[1] == -1 && co[2] == 0 && co[3] == 0 && co[4] == 2 && co[5] == 1);
  CHECK_STATUS(scipix_normalize_channels_f32(hwc, co, 6, 2, SCIPIX_LAYOUT_NCHW, cm, cs), SCIPIX_OK);
  CHECK(co[0] == -2 && co[1] == 16 && co[2] == 0 && co[3] == 0 && co[4] == (3.0f - 20.0f) / 10.0f);

  CHECK_DONE();
}
