/* Detector input with scipix: letterbox a frame to 640x640 and convert it to an RGB float
 * tensor in one pass, then map a detection box back to the frame.
 *
 * Usage: letterbox OUTPUT.f32 [INPUT.ppm]
 *
 * Reads a binary PPM (P6, maxval 255), or builds a synthetic 1280x720 frame when no input
 * is given; writes the 1x3x640x640 NCHW float32 tensor (raw little-endian floats, as
 * cv2.dnn.blobFromImage(letterboxed, 1/255, swapRB) gives it) to OUTPUT.f32 and prints the
 * letterbox geometry and the mapping of a box from the 640x640 input back to the frame. */
#include <scipix.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static int skip_ws(FILE *f) {
  int c = fgetc(f);
  while (c == '#' || c == ' ' || c == '\t' || c == '\n' || c == '\r') {
    if (c == '#') {
      while (c != '\n' && c != EOF) c = fgetc(f);
    }
    c = fgetc(f);
  }
  if (c == EOF) return -1;
  ungetc(c, f);
  return 0;
}

static int read_uint(FILE *f, size_t *out) {
  unsigned long v;
  if (skip_ws(f) != 0 || fscanf(f, "%lu", &v) != 1) return -1;
  *out = (size_t)v;
  return 0;
}

/* Reads a P6 file with maxval 255; returns the RGB pixels (caller frees) or NULL. */
static uint8_t *read_ppm(const char *path, size_t *w, size_t *h) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    perror(path);
    return NULL;
  }
  char magic[2] = {0};
  size_t maxval = 0;
  uint8_t *px = NULL;
  if (fread(magic, 1, 2, f) != 2 || magic[0] != 'P' || magic[1] != '6' || read_uint(f, w) ||
      read_uint(f, h) || read_uint(f, &maxval) || maxval != 255 || *w == 0 || *h == 0 ||
      *w > 1u << 16 || *h > 1u << 16) {
    fprintf(stderr, "%s: not a binary PPM with maxval 255 and sides <= 65536\n", path);
    goto done;
  }
  fgetc(f);
  size_t bytes = *w * *h * 3;
  px = malloc(bytes);
  if (px && fread(px, 1, bytes, f) != bytes) {
    fprintf(stderr, "%s: truncated pixel data\n", path);
    free(px);
    px = NULL;
  }
done:
  fclose(f);
  return px;
}

/* A frame with a bright square on a gradient: something to find after the round trip. */
static uint8_t *synthetic_frame(size_t w, size_t h) {
  uint8_t *px = malloc(w * h * 3);
  if (!px) return NULL;
  for (size_t y = 0; y < h; y++) {
    for (size_t x = 0; x < w; x++) {
      uint8_t *p = px + (y * w + x) * 3;
      int in_box = x >= 400 && x < 600 && y >= 200 && y < 400;
      p[0] = in_box ? 250 : (uint8_t)(x * 255 / w);
      p[1] = in_box ? 240 : (uint8_t)(y * 255 / h);
      p[2] = in_box ? 10 : 128;
    }
  }
  return px;
}

int main(int argc, char **argv) {
  if (argc < 2 || argc > 3) {
    fprintf(stderr, "usage: %s OUTPUT.f32 [INPUT.ppm]\n", argv[0]);
    return 2;
  }
  size_t w = 1280, h = 720;
  uint8_t *px = argc == 3 ? read_ppm(argv[2], &w, &h) : synthetic_frame(w, h);
  if (!px) return 1;

  ScipixImage frame = {px, w, h, w * 3, SCIPIX_FORMAT_RGB8};
  ScipixLetterboxParams lb;
  scipix_letterbox_params_default(&lb); /* 640x640, pad 114, centred (Ultralytics' defaults) */

  ScipixLetterboxInfo info;
  ScipixStatus st = scipix_letterbox_info(w, h, &lb, &info);
  if (st != SCIPIX_OK) {
    fprintf(stderr, "letterbox geometry: %s: %s\n", scipix_status_str(st), scipix_last_error_message());
    free(px);
    return 1;
  }
  size_t n = 3 * info.out_width * info.out_height;
  float *tensor = malloc(n * sizeof(float));
  if (!tensor) {
    free(px);
    return 1;
  }
  st = scipix_letterbox_to_tensor(&frame, &lb, SCIPIX_LAYOUT_NCHW, tensor, n, 0, &info);
  if (st != SCIPIX_OK) {
    fprintf(stderr, "letterbox to tensor: %s: %s\n", scipix_status_str(st), scipix_last_error_message());
    free(tensor);
    free(px);
    return 1;
  }
  printf("frame %zux%zu -> tensor NCHW [1, 3, %zu, %zu]\n", w, h, info.out_height, info.out_width);
  printf("scale %.6f, resized %zux%zu, pad left %zu top %zu right %zu bottom %zu\n", info.scale_x,
         info.resized_width, info.resized_height, info.left, info.top, info.right, info.bottom);
  /* The pad value 114 becomes 114/255 in every channel. */
  printf("tensor[0,0,0,0] = %.6f (pad), centre R = %.6f\n", tensor[0],
         tensor[(info.out_height / 2) * info.out_width + info.out_width / 2]);

  /* A detection in model coordinates (x1, y1, x2, y2) maps back to the frame. */
  double box[4] = {200.0, 240.0, 300.0, 340.0};
  double x1 = (box[0] - (double)info.left) / info.scale_x, y1 = (box[1] - (double)info.top) / info.scale_y;
  double x2 = (box[2] - (double)info.left) / info.scale_x, y2 = (box[3] - (double)info.top) / info.scale_y;
  printf("box (%.1f, %.1f, %.1f, %.1f) in the input -> (%.1f, %.1f, %.1f, %.1f) in the frame\n",
         box[0], box[1], box[2], box[3], x1, y1, x2, y2);

  FILE *out = fopen(argv[1], "wb");
  int rc = 0;
  if (!out || fwrite(tensor, sizeof(float), n, out) != n) {
    perror(argv[1]);
    rc = 1;
  }
  if (out) fclose(out);
  if (rc == 0) printf("wrote %zu floats to %s\n", n, argv[1]);
  free(tensor);
  free(px);
  return rc;
}
