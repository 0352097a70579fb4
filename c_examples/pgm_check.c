/* Test helper for the preprocess example.
 *   pgm_check FILE.pgm WIDTH HEIGHT   checks a P5 header of that size whose pixels are all
 *                                     0 or 255, with both values present.
 *   pgm_check --make-ppm FILE W H     writes a P6 test page (dark bars on a light gradient). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int make_ppm(const char *path, size_t w, size_t h) {
  FILE *f = fopen(path, "wb");
  if (!f) return 1;
  fprintf(f, "P6\n# scipix test page\n%zu %zu\n255\n", w, h);
  for (size_t y = 0; y < h; y++) {
    for (size_t x = 0; x < w; x++) {
      int ink = (x / 7) % 4 == 0 && (y / 11) % 3 != 0;
      unsigned char px[3];
      px[0] = (unsigned char)(ink ? 30 : 200 + (x * 40) / w);
      px[1] = (unsigned char)(ink ? 35 : 195 + (y * 50) / h);
      px[2] = (unsigned char)(ink ? 50 : 210);
      fwrite(px, 1, 3, f);
    }
  }
  return fclose(f) != 0;
}

int main(int argc, char **argv) {
  if (argc != 5 && argc != 4) {
    fprintf(stderr, "usage: pgm_check FILE W H | pgm_check --make-ppm FILE W H\n");
    return 2;
  }
  if (argc == 5 && strcmp(argv[1], "--make-ppm") == 0) {
    return make_ppm(argv[2], strtoul(argv[3], NULL, 10), strtoul(argv[4], NULL, 10));
  }
  size_t want_w = strtoul(argv[2], NULL, 10), want_h = strtoul(argv[3], NULL, 10);
  FILE *f = fopen(argv[1], "rb");
  if (!f) {
    perror(argv[1]);
    return 1;
  }
  size_t w = 0, h = 0, maxval = 0;
  if (fscanf(f, "P5 %zu %zu %zu", &w, &h, &maxval) != 3 || fgetc(f) != '\n') {
    fprintf(stderr, "bad PGM header\n");
    return 1;
  }
  if (w != want_w || h != want_h || maxval != 255) {
    fprintf(stderr, "got %zux%zu maxval %zu, want %zux%zu maxval 255\n", w, h, maxval, want_w,
            want_h);
    return 1;
  }
  size_t counts[256] = {0}, n = 0;
  int c;
  while ((c = fgetc(f)) != EOF) {
    counts[c]++;
    n++;
  }
  fclose(f);
  if (n != w * h) {
    fprintf(stderr, "pixel data has %zu bytes, want %zu\n", n, w * h);
    return 1;
  }
  if (counts[0] + counts[255] != n || counts[0] == 0 || counts[255] == 0) {
    fprintf(stderr, "not two-valued: %zu zeros, %zu 255s of %zu\n", counts[0], counts[255], n);
    return 1;
  }
  printf("ok: %zux%zu, %zu black, %zu white\n", w, h, counts[0], counts[255]);
  return 0;
}
