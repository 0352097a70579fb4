/* Bad arguments to the grayscale/threshold C API: each call fails with the documented
 * status and leaves every output byte untouched. Also a small positive check. */
#include "check.h"
#include <math.h>
#include <stdint.h>
#include <string.h>

#define W 8
#define H 4

static uint8_t rgb[H][W * 3];
static uint8_t gray[H * W];
static uint8_t dst[H * W];
static uint8_t dst_copy[H * W];
static float fsrc[H * W];
static float fdst[H * W];

static int dst_untouched(void) { return memcmp(dst, dst_copy, sizeof dst) == 0; }

int main(void) {
  for (size_t i = 0; i < sizeof rgb; i++) ((uint8_t *)rgb)[i] = (uint8_t)(i * 37);
  for (size_t i = 0; i < sizeof gray; i++) gray[i] = (uint8_t)(i * 11);
  memset(dst, 0x5A, sizeof dst);
  memcpy(dst_copy, dst, sizeof dst);

  ScipixImage src = {&rgb[0][0], W, H, W * 3, SCIPIX_FORMAT_RGB8};
  ScipixImage g = {gray, W, H, W, SCIPIX_FORMAT_GRAY8};
  ScipixImageMut d = {dst, W, H, W, SCIPIX_FORMAT_GRAY8};

  /* NULL descriptors and data. */
  CHECK_STATUS(scipix_gray(NULL, &d), SCIPIX_ERR_NULL_POINTER);
  CHECK_STATUS(scipix_gray(&src, NULL), SCIPIX_ERR_NULL_POINTER);
  ScipixImage null_data = src;
  null_data.data = NULL;
  CHECK_STATUS(scipix_gray(&null_data, &d), SCIPIX_ERR_NULL_POINTER);
  CHECK_STATUS(scipix_threshold(&g, NULL, 1, 255, SCIPIX_THRESH_BINARY), SCIPIX_ERR_NULL_POINTER);
  uint8_t t = 77;
  CHECK_STATUS(scipix_otsu_threshold(&g, NULL), SCIPIX_ERR_NULL_POINTER);
  CHECK_STATUS(scipix_otsu_threshold(NULL, &t), SCIPIX_ERR_NULL_POINTER);
  CHECK(t == 77);

  /* Sizes: overflow, zero, stride below a row, mismatch. */
  ScipixImage huge = src;
  huge.width = SIZE_MAX / 2;
  CHECK_STATUS(scipix_gray(&huge, &d), SCIPIX_ERR_SIZE_OVERFLOW);
  ScipixImage tall = src;
  tall.height = SIZE_MAX / 4;
  CHECK_STATUS(scipix_gray(&tall, &d), SCIPIX_ERR_SIZE_OVERFLOW);
  ScipixImage zero = src;
  zero.width = 0;
  CHECK_STATUS(scipix_gray(&zero, &d), SCIPIX_ERR_INVALID_ARGUMENT);
  ScipixImage short_stride = src;
  short_stride.stride = W * 3 - 1;
  CHECK_STATUS(scipix_gray(&short_stride, &d), SCIPIX_ERR_INVALID_ARGUMENT);
  ScipixImageMut small = d;
  small.width = W - 1;
  CHECK_STATUS(scipix_gray(&src, &small), SCIPIX_ERR_INVALID_ARGUMENT);
  CHECK_STATUS(scipix_threshold(&g, &small, 1, 255, SCIPIX_THRESH_BINARY), SCIPIX_ERR_INVALID_ARGUMENT);

  /* Formats: unknown, destination not gray, threshold source not gray. */
  ScipixImage bad_fmt = src;
  bad_fmt.format = 42;
  CHECK_STATUS(scipix_gray(&bad_fmt, &d), SCIPIX_ERR_UNSUPPORTED_FORMAT);
  ScipixImageMut rgb_dst = {&rgb[0][0], W, H, W * 3, SCIPIX_FORMAT_RGB8};
  CHECK_STATUS(scipix_gray(&g, &rgb_dst), SCIPIX_ERR_UNSUPPORTED_FORMAT);
  CHECK_STATUS(scipix_threshold(&src, &d, 1, 255, SCIPIX_THRESH_BINARY), SCIPIX_ERR_UNSUPPORTED_FORMAT);
  CHECK_STATUS(scipix_threshold_inplace(&rgb_dst, 1, 255, SCIPIX_THRESH_BINARY), SCIPIX_ERR_UNSUPPORTED_FORMAT);

  /* Enums and adaptive parameters. */
  CHECK_STATUS(scipix_threshold(&g, &d, 1, 255, 5), SCIPIX_ERR_INVALID_ARGUMENT);
  CHECK_STATUS(scipix_gray_f32(&src, fdst, W, 7), SCIPIX_ERR_INVALID_ARGUMENT);
  CHECK_STATUS(scipix_adaptive_threshold_mean(&g, &d, 255, SCIPIX_THRESH_BINARY, 4, 2), SCIPIX_ERR_INVALID_ARGUMENT);
  CHECK_STATUS(scipix_adaptive_threshold_mean(&g, &d, 255, SCIPIX_THRESH_BINARY, 1, 2), SCIPIX_ERR_INVALID_ARGUMENT);
  CHECK_STATUS(scipix_adaptive_threshold_mean(&g, &d, 255, SCIPIX_THRESH_TRUNC, 3, 2), SCIPIX_ERR_INVALID_ARGUMENT);
  CHECK_STATUS(scipix_adaptive_threshold_mean(&g, &d, 255, SCIPIX_THRESH_BINARY, 3, HUGE_VAL), SCIPIX_ERR_INVALID_ARGUMENT);
  CHECK_STATUS(scipix_threshold_otsu(&g, &d, 255, 9, &t), SCIPIX_ERR_INVALID_ARGUMENT);
  CHECK(t == 77);

  /* Overlap: a destination inside the source buffer. */
  ScipixImageMut inside = {gray + 4, 4, 2, W, SCIPIX_FORMAT_GRAY8};
  ScipixImage g_sub = {gray, 4, 2, W, SCIPIX_FORMAT_GRAY8};
  uint8_t gray_copy[sizeof gray];
  memcpy(gray_copy, gray, sizeof gray);
  CHECK_STATUS(scipix_threshold(&g_sub, &inside, 1, 255, SCIPIX_THRESH_BINARY), SCIPIX_ERR_INVALID_ARGUMENT);
  CHECK_STATUS(scipix_adaptive_threshold_mean(&g_sub, &inside, 255, SCIPIX_THRESH_BINARY, 3, 0), SCIPIX_ERR_INVALID_ARGUMENT);
  CHECK(memcmp(gray, gray_copy, sizeof gray) == 0);

  /* f32: stride below width, partial overlap, NULL. */
  for (size_t i = 0; i < H * W; i++) fsrc[i] = (float)i - 10.0f;
  memset(fdst, 0, sizeof fdst);
  CHECK_STATUS(scipix_threshold_f32(fsrc, W - 1, fdst, W, W, H, 0, 1, SCIPIX_THRESH_BINARY), SCIPIX_ERR_INVALID_ARGUMENT);
  CHECK_STATUS(scipix_threshold_f32(fsrc, W, fsrc + 1, W, W, H, 0, 1, SCIPIX_THRESH_BINARY), SCIPIX_ERR_INVALID_ARGUMENT);
  CHECK_STATUS(scipix_threshold_f32(NULL, W, fdst, W, W, H, 0, 1, SCIPIX_THRESH_BINARY), SCIPIX_ERR_NULL_POINTER);
  CHECK_STATUS(scipix_threshold_f32(fsrc, SIZE_MAX, fdst, W, W, H, 0, 1, SCIPIX_THRESH_BINARY), SCIPIX_ERR_SIZE_OVERFLOW);
  CHECK(fsrc[1] == -9.0f && fdst[0] == 0.0f);
  CHECK(dst_untouched());

  /* And the good path: gray, Otsu, f32 threshold in place. */
  CHECK_STATUS(scipix_gray(&src, &d), SCIPIX_OK);
  /* First pixel: R=0, G=37, B=74 -> (19235*37 + 3735*74 + 16384) >> 15 = 30. */
  CHECK(dst[0] == 30);
  CHECK_STATUS(scipix_threshold_otsu(&g, &d, 255, SCIPIX_THRESH_BINARY, &t), SCIPIX_OK);
  for (size_t i = 0; i < H * W; i++) CHECK(dst[i] == (gray[i] > t ? 255 : 0));
  CHECK_STATUS(scipix_threshold_f32(fsrc, W, fsrc, W, W, H, 0, 1, SCIPIX_THRESH_TOZERO), SCIPIX_OK);
  CHECK(fsrc[0] == 0.0f && fsrc[11] == 1.0f && fsrc[31] == 21.0f);
  CHECK_DONE();
}
