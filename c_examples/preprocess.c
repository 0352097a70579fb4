/* Document preprocessing with scipix: color -> gray -> Otsu binarization.
 *
 * Usage: preprocess OUTPUT.pgm [INPUT.ppm|INPUT.pgm]
 *
 * Reads a binary PPM (P6, RGB) or PGM (P5, gray) with maxval 255, or builds a synthetic
 * 1200x800 page of text-like strokes under uneven lighting when no input is given;
 * converts it to gray (OpenCV-exact), binarizes it with Otsu's threshold, writes the
 * binary image as a P5 PGM and prints the timings and the threshold. */
#include <scipix.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void) {
  struct timespec ts;
  timespec_get(&ts, TIME_UTC);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Skips whitespace and '#' comments in a PNM header. */
static int pnm_skip(FILE *f) {
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

static int pnm_uint(FILE *f, size_t *out) {
  unsigned long v;
  if (pnm_skip(f) != 0 || fscanf(f, "%lu", &v) != 1) return -1;
  *out = (size_t)v;
  return 0;
}

/* Reads a P5/P6 file with maxval 255. Returns the pixels (caller frees) or NULL. */
static uint8_t *read_pnm(const char *path, size_t *w, size_t *h, ScipixPixelFormat *fmt) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    perror(path);
    return NULL;
  }
  char magic[3] = {0};
  size_t maxval = 0;
  uint8_t *px = NULL;
  if (fread(magic, 1, 2, f) != 2 || magic[0] != 'P' || (magic[1] != '5' && magic[1] != '6') ||
      pnm_uint(f, w) || pnm_uint(f, h) || pnm_uint(f, &maxval) || maxval != 255 || *w == 0 ||
      *h == 0 || *w > 1u << 16 || *h > 1u << 16) {
    fprintf(stderr, "%s: not a binary PPM/PGM with maxval 255 and sides <= 65536\n", path);
    goto done;
  }
  fgetc(f); /* the single whitespace after maxval */
  *fmt = magic[1] == '6' ? SCIPIX_FORMAT_RGB8 : SCIPIX_FORMAT_GRAY8;
  size_t bytes = *w * *h * (magic[1] == '6' ? 3 : 1);
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

/* A page of dark "words" (vertical and horizontal strokes) on paper that darkens to the
 * right, with a little deterministic noise. */
static uint8_t *synthetic_page(size_t w, size_t h) {
  uint8_t *px = malloc(w * h * 3);
  if (!px) return NULL;
  uint32_t seed = 12345;
  for (size_t y = 0; y < h; y++) {
    for (size_t x = 0; x < w; x++) {
      seed = seed * 1664525u + 1013904223u;
      int noise = (int)(seed >> 28) - 8;
      int paper = 235 - (int)(40 * x / w) + noise;
      uint8_t *p = px + 3 * (y * w + x);
      p[0] = (uint8_t)paper;
      p[1] = (uint8_t)(paper - 3);
      p[2] = (uint8_t)(paper - 10);
    }
  }
  for (size_t line = 60; line + 40 < h; line += 50) {
    size_t x = 40;
    while (x + 60 < w) {
      seed = seed * 1664525u + 1013904223u;
      size_t letters = 2 + (seed >> 29);
      for (size_t l = 0; l < letters && x + 20 < w; l++, x += 16) {
        for (size_t y = line; y < line + 24; y++) { /* vertical stroke */
          for (size_t dx = 0; dx < 3; dx++) memset(px + 3 * (y * w + x + dx), 40, 3);
        }
        for (size_t y = line + 10; y < line + 13; y++) { /* horizontal stroke */
          for (size_t dx = 0; dx < 12; dx++) memset(px + 3 * (y * w + x + dx), 55, 3);
        }
      }
      x += 24; /* word gap */
    }
  }
  return px;
}

static int write_pgm(const char *path, const uint8_t *px, size_t w, size_t h) {
  FILE *f = fopen(path, "wb");
  if (!f) {
    perror(path);
    return -1;
  }
  fprintf(f, "P5\n%zu %zu\n255\n", w, h);
  size_t n = fwrite(px, 1, w * h, f);
  return (fclose(f) == 0 && n == w * h) ? 0 : -1;
}

static int failed(const char *what, ScipixStatus s) {
  fprintf(stderr, "%s failed: %s (%s)\n", what, scipix_status_str(s), scipix_last_error_message());
  return 1;
}

int main(int argc, char **argv) {
  if (argc < 2 || argc > 3) {
    fprintf(stderr, "usage: %s OUTPUT.pgm [INPUT.ppm|INPUT.pgm]\n", argv[0]);
    return 2;
  }
  size_t w = 1200, h = 800;
  ScipixPixelFormat fmt = SCIPIX_FORMAT_RGB8;
  double t0 = now_ms();
  uint8_t *input = argc == 3 ? read_pnm(argv[2], &w, &h, &fmt) : synthetic_page(w, h);
  if (!input) return 1;
  double t_load = now_ms() - t0;

  uint8_t *gray = malloc(w * h), *binary = malloc(w * h);
  if (!gray || !binary) {
    fprintf(stderr, "out of memory\n");
    return 1;
  }
  ScipixImage src = {input, w, h, w * (fmt == SCIPIX_FORMAT_RGB8 ? 3 : 1), fmt};
  ScipixImageMut gray_out = {gray, w, h, w, SCIPIX_FORMAT_GRAY8};
  ScipixImage gray_in = {gray, w, h, w, SCIPIX_FORMAT_GRAY8};
  ScipixImageMut bin_out = {binary, w, h, w, SCIPIX_FORMAT_GRAY8};

  t0 = now_ms();
  ScipixStatus s = scipix_gray(&src, &gray_out);
  if (s != SCIPIX_OK) return failed("scipix_gray", s);
  double t_gray = now_ms() - t0;

  uint8_t otsu = 0;
  t0 = now_ms();
  s = scipix_threshold_otsu(&gray_in, &bin_out, 255.0, SCIPIX_THRESH_BINARY, &otsu);
  if (s != SCIPIX_OK) return failed("scipix_threshold_otsu", s);
  double t_otsu = now_ms() - t0;

  /* TODO(tensor): build normalized NCHW tensor */

  if (write_pgm(argv[1], binary, w, h) != 0) {
    fprintf(stderr, "cannot write %s\n", argv[1]);
    return 1;
  }
  printf("input: %s (%zux%zu %s)\n", argc == 3 ? argv[2] : "synthetic page", w, h,
         fmt == SCIPIX_FORMAT_RGB8 ? "rgb8" : "gray8");
  printf("isa: %s, threads: %zu\n", scipix_isa_name(scipix_active_isa()), scipix_get_num_threads());
  printf("load %.3f ms, gray %.3f ms, otsu+binarize %.3f ms\n", t_load, t_gray, t_otsu);
  printf("otsu threshold: %u\n", (unsigned)otsu);
  printf("wrote %s\n", argv[1]);
  free(input);
  free(gray);
  free(binary);
  return 0;
}
