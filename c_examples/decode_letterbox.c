/* Detector input from a JPEG or PNG file: decode, letterbox to 640x640 and convert to an
 * RGB float tensor in one call, then map a detection box back to the image.
 *
 * Usage: decode_letterbox INPUT.jpg|INPUT.png [OUTPUT.f32]
 *
 * Runs the exact mode (equal to cv2.imdecode + Ultralytics LetterBox +
 * cv2.dnn.blobFromImage(img, 1/255, swapRB=True)) with the Exif orientation applied as
 * cv2.imdecode does, then the reduced mode (DCT-domain 1/2, 1/4 or 1/8 decode first) and
 * prints how far its tensor is from the exact one. Writes the exact 1x3x640x640 NCHW
 * float32 tensor (raw little-endian floats) to OUTPUT.f32 when given. */
#include <math.h>
#include <scipix.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define SIDE 640
#define MAX_FILE_BYTES ((size_t)256 << 20)

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
      size_t grow = cap ? cap * 2 : 1 << 16;
      if (grow > MAX_FILE_BYTES) {
        fprintf(stderr, "%s: larger than %zu bytes\n", path, MAX_FILE_BYTES);
        free(buf);
        buf = NULL;
        break;
      }
      uint8_t *b = realloc(buf, grow);
      if (!b) {
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

static int fail(const char *what, ScipixStatus st) {
  fprintf(stderr, "%s: %s: %s\n", what, scipix_status_str(st), scipix_last_error_message());
  return 1;
}

/* Maps a point of the letterbox tensor back to the full-size image (see ScipixBytesInfo). */
static void to_source(const ScipixBytesInfo *i, double x, double y, double *sx, double *sy) {
  double k = 8.0 / (double)i->scale_num;
  *sx = (x - (double)i->letterbox.left) / i->letterbox.scale_x * k;
  *sy = (y - (double)i->letterbox.top) / i->letterbox.scale_y * k;
}

int main(int argc, char **argv) {
  if (argc < 2 || argc > 3) {
    fprintf(stderr, "usage: %s INPUT.jpg|INPUT.png [OUTPUT.f32]\n", argv[0]);
    return 2;
  }
  size_t len = 0;
  uint8_t *data = read_file(argv[1], &len);
  if (!data) return 1;
  int rc = 1;
  float *exact = NULL, *reduced = NULL;

  ScipixImageInfo hdr;
  ScipixStatus st = scipix_probe(data, len, &hdr);
  if (st != SCIPIX_OK) {
    rc = fail("probe", st);
    goto done;
  }
  printf("%s %ux%u, %u channel(s), %s, Exif orientation %u\n",
         hdr.format == SCIPIX_CONTAINER_JPEG ? "JPEG" : "PNG", hdr.width, hdr.height,
         hdr.channels, hdr.progressive_or_interlaced ? "progressive/interlaced" : "sequential",
         hdr.exif_orientation);

  ScipixLetterboxParams lb;
  scipix_letterbox_params_default(&lb); /* 640x640, pad 114, centred (Ultralytics' defaults) */
  ScipixBytesOptions opts;
  scipix_bytes_options_default(&opts);
  opts.apply_exif_orientation = true; /* as cv2.imdecode */

  size_t n = (size_t)3 * SIDE * SIDE;
  exact = malloc(n * sizeof(float));
  reduced = malloc(n * sizeof(float));
  if (!exact || !reduced) goto done;

  ScipixBytesInfo info;
  st = scipix_bytes_letterbox_to_tensor(data, len, &lb, SCIPIX_LAYOUT_NCHW, &opts, exact, n, 0,
                                        &info);
  if (st != SCIPIX_OK) {
    rc = fail("exact decode + letterbox", st);
    goto done;
  }
  printf("exact: decoded %zux%zu -> tensor NCHW [1, 3, %d, %d]\n", info.decoded_width,
         info.decoded_height, SIDE, SIDE);
  printf("scale %.6f, resized %zux%zu, pad left %zu top %zu right %zu bottom %zu\n",
         info.letterbox.scale_x, info.letterbox.resized_width, info.letterbox.resized_height,
         info.letterbox.left, info.letterbox.top, info.letterbox.right, info.letterbox.bottom);

  /* A detection in model coordinates (x1, y1, x2, y2) maps back to the image. */
  double box[4] = {160.0, 230.0, 480.0, 410.0}, x1, y1, x2, y2;
  to_source(&info, box[0], box[1], &x1, &y1);
  to_source(&info, box[2], box[3], &x2, &y2);
  printf("box (%.1f, %.1f, %.1f, %.1f) in the tensor -> (%.1f, %.1f, %.1f, %.1f) in the image\n",
         box[0], box[1], box[2], box[3], x1, y1, x2, y2);

  ScipixBytesInfo rinfo;
  opts.mode = SCIPIX_DECODE_REDUCED;
  st = scipix_bytes_letterbox_to_tensor(data, len, &lb, SCIPIX_LAYOUT_NCHW, &opts, reduced, n, 0,
                                        &rinfo);
  if (st != SCIPIX_OK) {
    rc = fail("reduced decode + letterbox", st);
    goto done;
  }
  double max_diff = 0.0, sq = 0.0;
  for (size_t i = 0; i < n; i++) {
    double d = fabs((double)exact[i] - (double)reduced[i]);
    if (d > max_diff) max_diff = d;
    sq += d * d;
  }
  double mse = sq / (double)n;
  printf("reduced: scale %u/8, decoded %zux%zu; against exact: largest difference %.0f/255, "
         "PSNR %.1f dB\n",
         rinfo.scale_num, rinfo.decoded_width, rinfo.decoded_height, max_diff * 255.0,
         mse > 0 ? 10.0 * log10(1.0 / mse) : INFINITY);
  to_source(&rinfo, box[0], box[1], &x1, &y1);
  to_source(&rinfo, box[2], box[3], &x2, &y2);
  printf("reduced: the same box -> (%.1f, %.1f, %.1f, %.1f) in the image\n", x1, y1, x2, y2);

  rc = 0;
  if (argc == 3) {
    FILE *out = fopen(argv[2], "wb");
    if (!out || fwrite(exact, sizeof(float), n, out) != n) {
      perror(argv[2]);
      rc = 1;
    }
    if (out) fclose(out);
    if (rc == 0) printf("wrote %zu floats to %s\n", n, argv[2]);
  }
done:
  free(reduced);
  free(exact);
  free(data);
  return rc;
}
