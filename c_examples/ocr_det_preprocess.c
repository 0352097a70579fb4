/* PP-OCR text detector input from a JPEG or PNG file, bit for bit RapidOCR's.
 *
 * Usage: ocr_det_preprocess INPUT.jpg|INPUT.png OUTPUT.tensor [LIMIT [min|max]]
 *        ocr_det_preprocess --self-test
 *
 * Decodes the file to BGR as cv2.imread does (JPEG with the Exif orientation applied, PNG
 * with OpenCV's conversions), then applies the detector preprocessing of rapidocr-onnxruntime
 * (DetPreProcess, config limit_side_len 736, limit_type "min"):
 *   1. ratio: "min": LIMIT / shorter side when that side is below LIMIT, else 1;
 *             "max": LIMIT / longer side when that side is above LIMIT, else 1;
 *      each side: (int)(side * ratio), then rounded to a multiple of 32 with ties to even
 *      (Python's round);
 *   2. resize to that size with cv2.INTER_LINEAR (scipix: SCIPIX_RESIZE_CV_LINEAR; the same
 *      size is a copy) and scale by float(1/255) (x * 0.003921569f, as numpy multiplies);
 *   3. (v - 0.5) / 0.5 per value, HWC -> CHW, batch of one: a 1x3xHxW float32 tensor in
 *      B, G, R order (the channel order is kept, as RapidOCR keeps it).
 * Output file: "SPXT" magic, uint32 rank (4), rank uint32 dimensions, then the floats, all
 * little-endian (the machine's order on every platform this example is built for).
 * --self-test checks every byte value against the rule computed independently here. */
#include <math.h>
#include <scipix.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FILE_BYTES ((size_t)256 << 20)

static int fail(const char *what, ScipixStatus st) {
  fprintf(stderr, "%s: %s: %s\n", what, scipix_status_str(st), scipix_last_error_message());
  return 1;
}

/* Reads the whole file (at most MAX_FILE_BYTES); returns the bytes (caller frees) or NULL. */
static uint8_t *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    perror(path);
    return NULL;
  }
  uint8_t *buf = NULL;
  size_t cap = 0, n = 0;
  for (;;) {
    if (n == cap) {
      size_t grow = cap ? cap * 2 : (size_t)1 << 16;
      uint8_t *b = grow <= MAX_FILE_BYTES ? realloc(buf, grow) : NULL;
      if (!b) {
        fprintf(stderr, "%s: too large or out of memory\n", path);
        free(buf);
        buf = NULL;
        break;
      }
      buf = b;
      cap = grow;
    }
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (got == 0) break;
  }
  fclose(f);
  *len = n;
  return buf;
}

/* The detector's input size (RapidOCR's DetPreProcess.resize); 0 when a side rounds to 0. */
static void det_resize_shape(size_t h, size_t w, size_t limit, int limit_max, size_t *rh,
                             size_t *rw) {
  double ratio = 1.0;
  if (limit_max) {
    size_t longer = h > w ? h : w;
    if (longer > limit) ratio = (double)limit / (double)(h > w ? h : w);
  } else {
    size_t shorter = h < w ? h : w;
    if (shorter < limit) ratio = (double)limit / (double)(h < w ? h : w);
  }
  long th = (long)((double)h * ratio), tw = (long)((double)w * ratio);
  /* Python's round(): ties to even, which nearbyint gives in the default rounding mode. */
  *rh = (size_t)(nearbyint((double)th / 32.0) * 32.0);
  *rw = (size_t)(nearbyint((double)tw / 32.0) * 32.0);
}

/* BGR image -> 1x3xRHxRW detector tensor (out holds 3 * rh * rw floats). */
static int det_preprocess(const ScipixImage *img, size_t rh, size_t rw, float *out) {
  ScipixTensorParams p;
  scipix_tensor_params_default(&p);
  p.divisor = 1.0f;
  p.scale = (float)(1.0 / 255.0); /* numpy rounds the Python float to float32 first */
  p.layout = SCIPIX_LAYOUT_NCHW;
  size_t n = 3 * rh * rw;
  ScipixStatus st = (rh == img->height && rw == img->width)
                        ? scipix_image_to_tensor(img, &p, out, n)
                        : scipix_resize_to_tensor(img, SCIPIX_RESIZE_CV_LINEAR, rw, rh, &p, out, n, 0);
  if (st != SCIPIX_OK) return fail("resize to tensor", st);
  const float half = 0.5f;
  st = scipix_normalize_channels_f32(out, out, n, 1, SCIPIX_LAYOUT_NCHW, &half, &half);
  return st == SCIPIX_OK ? 0 : fail("normalize", st);
}

/* Decodes JPEG or PNG bytes to a BGR8 image (caller frees *pixels). */
static int decode_bgr(const uint8_t *data, size_t len, uint8_t **pixels, size_t *w, size_t *h) {
  ScipixImageInfo info;
  ScipixStatus st = scipix_probe(data, len, &info);
  if (st != SCIPIX_OK) return fail("probe", st);
  ScipixDecodeOptions jo;
  scipix_decode_options_default(&jo);
  jo.apply_exif_orientation = true; /* as cv2.imread */
  int jpeg = info.format == SCIPIX_CONTAINER_JPEG;
  if (jpeg) {
    st = scipix_jpeg_output_size(data, len, &jo, w, h);
    if (st != SCIPIX_OK) return fail("JPEG size", st);
  } else {
    *w = info.width;
    *h = info.height;
  }
  *pixels = malloc(*w * *h * 3);
  if (!*pixels) return fail("allocation", SCIPIX_ERR_OUT_OF_MEMORY);
  ScipixImageMut dst = {*pixels, *w, *h, *w * 3, SCIPIX_FORMAT_BGR8};
  st = jpeg ? scipix_decode_jpeg(data, len, &jo, &dst, NULL) : scipix_decode_png(data, len, NULL, &dst);
  if (st != SCIPIX_OK) {
    free(*pixels);
    *pixels = NULL;
    return fail("decode", st);
  }
  return 0;
}

static int write_tensor(const char *path, const uint32_t dims[4], const float *t, size_t n) {
  FILE *f = fopen(path, "wb");
  if (!f) {
    perror(path);
    return 1;
  }
  const uint32_t rank = 4;
  int ok = fwrite("SPXT", 1, 4, f) == 4 && fwrite(&rank, sizeof rank, 1, f) == 1 &&
           fwrite(dims, sizeof dims[0], 4, f) == 4 && fwrite(t, sizeof(float), n, f) == n;
  ok = fclose(f) == 0 && ok;
  if (!ok) fprintf(stderr, "%s: write failed\n", path);
  return ok ? 0 : 1;
}

/* Every byte value through the ratio-1 path, and the size rule's branches. */
static int self_test(void) {
  int failures = 0;
  size_t rh, rw;
  det_resize_shape(480, 640, 736, 0, &rh, &rw); /* 640 * 736 / 480 = 981 -> 992 */
  failures += !(rh == 736 && rw == 992);
  det_resize_shape(1080, 1920, 736, 0, &rh, &rw); /* ratio 1, rounded */
  failures += !(rh == 1088 && rw == 1920);
  det_resize_shape(48, 80, 80, 1, &rh, &rw); /* 1.5 -> 2 and 2.5 -> 2 */
  failures += !(rh == 64 && rw == 64);
  det_resize_shape(427, 640, 736, 0, &rh, &rw);
  failures += !(rh == 736 && rw == 1088);

  enum { S = 32 };
  uint8_t px[S * S * 3];
  for (size_t i = 0; i < sizeof px; i++) px[i] = (uint8_t)(i * 7 + i / 256);
  ScipixImage img = {px, S, S, S * 3, SCIPIX_FORMAT_BGR8};
  det_resize_shape(S, S, S, 1, &rh, &rw);
  float *t = malloc(3 * rh * rw * sizeof(float));
  if (!t || det_preprocess(&img, rh, rw, t) != 0) return 1;
  const float s = (float)(1.0 / 255.0);
  for (size_t c = 0; c < 3; c++)
    for (size_t i = 0; i < S * S; i++) {
      /* RapidOCR: float32 x * float32(1/255), then (v - 0.5) / 0.5 in double, to float32. */
      float v = (float)px[i * 3 + c] * s;
      float want = (float)(((double)v - 0.5) / 0.5);
      float got = t[c * S * S + i];
      if (memcmp(&got, &want, sizeof got) != 0) {
        if (failures < 5)
          fprintf(stderr, "value %u channel %zu: got %.9g, want %.9g\n", px[i * 3 + c], c,
                  (double)got, (double)want);
        failures++;
      }
    }
  /* The reciprocal matters: x / 255 differs from x * float(1/255) for some bytes. */
  int differs = 0;
  for (int x = 0; x < 256; x++) differs += (float)x / 255.0f != (float)x * s;
  failures += differs == 0;
  free(t);
  if (failures) {
    fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  printf("self-test passed: 3x%dx%d, every byte value equals RapidOCR's rule (%d of 256 differ "
         "from x / 255)\n",
         S, S, differs);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "--self-test") == 0) return self_test();
  if (argc < 3 || argc > 5) {
    fprintf(stderr, "usage: %s INPUT.jpg|png OUTPUT.tensor [LIMIT [min|max]] | --self-test\n",
            argv[0]);
    return 2;
  }
  size_t limit = 736;
  int limit_max = 0;
  if (argc >= 4) {
    char *end = NULL;
    unsigned long v = strtoul(argv[3], &end, 10);
    if (!end || *end || v == 0 || v > 65536) {
      fprintf(stderr, "LIMIT must be 1..65536\n");
      return 2;
    }
    limit = (size_t)v;
  }
  if (argc == 5) {
    if (strcmp(argv[4], "max") != 0 && strcmp(argv[4], "min") != 0) {
      fprintf(stderr, "limit type must be min or max\n");
      return 2;
    }
    limit_max = strcmp(argv[4], "max") == 0;
  }
  size_t len = 0;
  uint8_t *data = read_file(argv[1], &len);
  if (!data) return 1;
  uint8_t *px = NULL;
  size_t w = 0, h = 0;
  int rc = decode_bgr(data, len, &px, &w, &h);
  free(data);
  if (rc) return 1;
  size_t rh, rw;
  det_resize_shape(h, w, limit, limit_max, &rh, &rw);
  if (rh == 0 || rw == 0) {
    fprintf(stderr, "%zux%zu rounds to an empty input (RapidOCR skips detection)\n", w, h);
    free(px);
    return 1;
  }
  float *t = malloc(3 * rh * rw * sizeof(float));
  ScipixImage img = {px, w, h, w * 3, SCIPIX_FORMAT_BGR8};
  rc = !t || det_preprocess(&img, rh, rw, t) != 0;
  const uint32_t dims[4] = {1, 3, (uint32_t)rh, (uint32_t)rw};
  if (!rc) rc = write_tensor(argv[2], dims, t, 3 * rh * rw);
  if (!rc)
    printf("%zux%zu -> limit %zu (%s) -> tensor [1, 3, %zu, %zu], first values %.6f %.6f\n", w, h,
           limit, limit_max ? "max" : "min", rh, rw, (double)t[0], (double)t[1]);
  free(t);
  free(px);
  return rc;
}
