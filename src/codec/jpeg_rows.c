/*
 * Scanline JPEG decoding for scipix: libjpeg's jpeg_read_scanlines behind entry points
 * that never let libjpeg's error handling leave C.
 *
 * libjpeg reports fatal errors by calling error_exit, which must not return. Here it
 * longjmps to a setjmp taken at the top of the same scipix_jr_* entry point, so the jump
 * only crosses libjpeg's C frames and the entry point's own; every entry point returns 0
 * on success and -1 on error, with the message in the decoder (scipix_jr_message). No
 * callback into Rust is installed (memory source, this file's error manager and progress
 * monitor only). Messages are formatted into the decoder, never printed.
 *
 * The decode settings are those of TurboJPEG's tj3Decompress8 with default parameters,
 * which are also libjpeg's defaults that cv2.imdecode and Pillow use: accurate integer
 * IDCT (JDCT_ISLOW), fancy upsampling, scale_num/scale_denom reduced to lowest terms.
 * Warnings (corrupt or truncated data) stop the decode when stop_on_warning is set, as
 * TJPARAM_STOPONWARNING does; a scan limit bounds progressive JPEGs, as TJPARAM_SCANLIMIT.
 *
 * One decoder is used by one thread at a time.
 */

#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jpeglib.h"

typedef struct scipix_jr {
  struct jpeg_decompress_struct d;
  struct jpeg_error_mgr err;
  struct jpeg_progress_mgr progress;
  void (*default_emit)(j_common_ptr, int);
  jmp_buf jump;
  int created;
  int stop_on_warning;
  int warned;
  /* A fatal error came after a warning with stop_on_warning off: the decode has stopped,
   * and (as TurboJPEG reports such a decode) the image counts as truncated, not failed. */
  int dead;
  /* Rows of the current scipix_jr_read call written so far. */
  unsigned rows_done;
  int scan_limit;
  char msg[JMSG_LENGTH_MAX];
} scipix_jr;

static void jr_error_exit(j_common_ptr c) {
  scipix_jr *jr = (scipix_jr *)c->client_data;
  (*c->err->output_message)(c);
  longjmp(jr->jump, 1);
}

static void jr_output_message(j_common_ptr c) {
  scipix_jr *jr = (scipix_jr *)c->client_data;
  (*c->err->format_message)(c, jr->msg);
}

static void jr_emit_message(j_common_ptr c, int level) {
  scipix_jr *jr = (scipix_jr *)c->client_data;
  jr->default_emit(c, level);
  if (level < 0) {
    if (!jr->warned) (*c->err->format_message)(c, jr->msg);
    jr->warned = 1;
    if (jr->stop_on_warning) longjmp(jr->jump, 1);
  }
}

static void jr_progress(j_common_ptr c) {
  scipix_jr *jr = (scipix_jr *)c->client_data;
  if (((j_decompress_ptr)c)->input_scan_number > jr->scan_limit) {
    snprintf(jr->msg, sizeof jr->msg, "Progressive JPEG image has more than %d scans",
             jr->scan_limit);
    jr->warned = 0;
    longjmp(jr->jump, 1);
  }
}

static int jr_failed(scipix_jr *jr);

static int gcd(int a, int b) {
  while (b != 0) {
    int t = a % b;
    a = b;
    b = t;
  }
  return a;
}

scipix_jr *scipix_jr_new(void) {
  scipix_jr *volatile jr = (scipix_jr *)calloc(1, sizeof(scipix_jr));
  if (jr == NULL) return NULL;
  jr->d.err = jpeg_std_error(&jr->err);
  jr->err.error_exit = jr_error_exit;
  jr->err.output_message = jr_output_message;
  jr->default_emit = jr->err.emit_message;
  jr->err.emit_message = jr_emit_message;
  jr->d.client_data = jr;
  if (setjmp(jr->jump)) {
    free(jr);
    return NULL;
  }
  jpeg_create_decompress(&jr->d);
  jr->created = 1;
  return jr;
}

void scipix_jr_free(scipix_jr *jr) {
  if (jr == NULL) return;
  if (jr->created && setjmp(jr->jump) == 0) jpeg_destroy_decompress(&jr->d);
  free(jr);
}

const char *scipix_jr_message(const scipix_jr *jr) { return jr->msg; }

int scipix_jr_warned(const scipix_jr *jr) { return jr->warned; }

/* format: 0 gray, 1 RGB, 2 BGR. Reads the header of buf[0..len), checks it is an 8-bit
 * JPEG of at most max_pixels pixels (0: no limit) that is not CMYK/YCCK, and starts the
 * decompression at scale_num/8; the output size goes to *w and *h. */
int scipix_jr_start(scipix_jr *jr, const unsigned char *buf, size_t len, int scale_num,
                    int format, int stop_on_warning, int scan_limit,
                    unsigned long long max_pixels, unsigned *w, unsigned *h) {
  static const J_COLOR_SPACE spaces[3] = {JCS_GRAYSCALE, JCS_EXT_RGB, JCS_EXT_BGR};
  const int g = gcd(scale_num, 8);
  if (format < 0 || format > 2 || scale_num < 1 || scale_num > 16 || len == 0 ||
      len > (size_t)(unsigned long)-1) {
    snprintf(jr->msg, sizeof jr->msg, "invalid decoder arguments");
    return -1;
  }
  jr->stop_on_warning = stop_on_warning;
  jr->scan_limit = scan_limit;
  jr->warned = 0;
  jr->dead = 0;
  jr->msg[0] = 0;
  if (setjmp(jr->jump)) {
    /* A multi-scan JPEG is read whole by jpeg_start_decompress; failing there after a
     * warning (and with the output size known) is a dead decode, as in scipix_jr_read. */
    if (jr_failed(jr) > 0 && jr->d.output_width > 0 && jr->d.output_height > 0) {
      *w = jr->d.output_width;
      *h = jr->d.output_height;
      return 1;
    }
    jr->dead = 0;
    return -1;
  }
  if (scan_limit > 0) {
    jr->progress.progress_monitor = jr_progress;
    jr->d.progress = &jr->progress;
  } else {
    jr->d.progress = NULL;
  }
  jpeg_mem_src(&jr->d, buf, (unsigned long)len);
  jpeg_read_header(&jr->d, TRUE);
  if (jr->d.data_precision != 8) {
    snprintf(jr->msg, sizeof jr->msg, "%d-bit JPEG samples are not supported",
             jr->d.data_precision);
    return -1;
  }
  if (jr->d.jpeg_color_space == JCS_CMYK || jr->d.jpeg_color_space == JCS_YCCK) {
    snprintf(jr->msg, sizeof jr->msg, "a CMYK/YCCK JPEG decodes only to CMYK");
    return -1;
  }
  if (max_pixels != 0 &&
      (unsigned long long)jr->d.image_width * jr->d.image_height > max_pixels) {
    snprintf(jr->msg, sizeof jr->msg, "Image is too large");
    return -1;
  }
  jr->d.out_color_space = spaces[format];
  jr->d.do_fancy_upsampling = TRUE;
  jr->d.dct_method = JDCT_ISLOW;
  jr->d.scale_num = (unsigned)(scale_num / g);
  jr->d.scale_denom = (unsigned)(8 / g);
  jpeg_start_decompress(&jr->d);
  *w = jr->d.output_width;
  *h = jr->d.output_height;
  return 0;
}

/* The size of one iMCU in output pixels (after scaling). */
void scipix_jr_imcu(const scipix_jr *jr, unsigned *w, unsigned *h) {
  *w = (unsigned)(jr->d.max_h_samp_factor * jr->d.min_DCT_scaled_size);
  *h = (unsigned)(jr->d.max_v_samp_factor * jr->d.min_DCT_scaled_size);
}

/* jpeg_crop_scanline: *x and *w are widened to whole iMCU columns (0); on a dead decode
 * nothing is cropped and 1 is returned. */
int scipix_jr_crop(scipix_jr *jr, unsigned *x, unsigned *w) {
  JDIMENSION cx = *x, cw = *w;
  if (jr->dead) return 1; /* nothing is cropped: rows come whole (and zero) */
  if (setjmp(jr->jump)) return jr_failed(jr);
  jpeg_crop_scanline(&jr->d, &cx, &cw);
  *x = cx;
  *w = cw;
  return 0;
}

static int jr_skip(scipix_jr *jr, unsigned n) {
  while (n > 0) {
    JDIMENSION done = jpeg_skip_scanlines(&jr->d, n);
    if (done == 0) {
      snprintf(jr->msg, sizeof jr->msg, "JPEG decoder skipped no row");
      return -1;
    }
    n -= done;
  }
  return 0;
}

static int jr_read(scipix_jr *jr, unsigned char *dst, size_t pitch, unsigned n) {
  JSAMPROW rows[16];
  while (jr->rows_done < n) {
    unsigned k = n - jr->rows_done < 16 ? n - jr->rows_done : 16, i;
    JDIMENSION done;
    for (i = 0; i < k; i++) rows[i] = dst + (size_t)(jr->rows_done + i) * pitch;
    done = jpeg_read_scanlines(&jr->d, rows, k);
    if (done == 0) {
      snprintf(jr->msg, sizeof jr->msg, "JPEG decoder returned no row");
      return -1;
    }
    jr->rows_done += done;
  }
  return 0;
}

/* After a fatal error: -1, unless warnings came first and stop_on_warning is off, in which
 * case the decode is marked dead and 1 is returned (truncated, like TurboJPEG, which then
 * reports a warning too). */
static int jr_failed(scipix_jr *jr) {
  if (jr->stop_on_warning || !jr->warned) return -1;
  jr->dead = 1;
  return 1;
}

/* Zeroes rows from..n of dst (the rows a dead decode cannot give). */
static void jr_zero_rows(const scipix_jr *jr, unsigned char *dst, size_t pitch, unsigned from,
                         unsigned n) {
  size_t bytes = (size_t)jr->d.output_width * (size_t)jr->d.out_color_components;
  for (; from < n; from++) memset(dst + (size_t)from * pitch, 0, bytes);
}

/* jpeg_skip_scanlines of n rows; 1 when the decode is dead (see jr_failed). */
int scipix_jr_skip(scipix_jr *jr, unsigned n) {
  if (jr->dead) return 1;
  if (setjmp(jr->jump)) return jr_failed(jr);
  return jr_skip(jr, n);
}

/* The next n rows into dst, rows pitch bytes apart (each output_width * components
 * bytes, the width after jpeg_crop_scanline). When the decode is or becomes dead, the rows
 * it cannot give are zeroed and 1 is returned. */
int scipix_jr_read(scipix_jr *jr, unsigned char *dst, size_t pitch, unsigned n) {
  int rc;
  jr->rows_done = 0;
  if (!jr->dead) {
    if (setjmp(jr->jump)) {
      rc = jr_failed(jr);
      if (rc < 0) return rc;
    } else {
      rc = jr_read(jr, dst, pitch, n);
      if (rc <= 0) return rc;
    }
  }
  jr_zero_rows(jr, dst, pitch, jr->rows_done, n);
  return 1;
}

/* Finishes the decode (reads up to EOI) once every row has been read; rows still left
 * are skipped without being decoded (libjpeg-turbo's skip to the bottom). */
int scipix_jr_finish(scipix_jr *jr) {
  if (jr->dead) return 1;
  if (setjmp(jr->jump)) return jr_failed(jr);
  if (jr->d.output_scanline < jr->d.output_height &&
      jr_skip(jr, jr->d.output_height - jr->d.output_scanline) != 0)
    return -1;
  jpeg_finish_decompress(&jr->d);
  return 0;
}
