/* Quantizes a safetensors model to int8, per output channel.
 *
 * Usage: quantize_model in.safetensors out.safetensors
 *        quantize_model --int4-block B in.safetensors out.safetensors
 *        quantize_model --gguf q8_0|q4_0|q4_1|q5_0|q5_1 in.safetensors out.gguf
 *        quantize_model --self-test [dir]   (builds a small model, quantizes and checks it)
 *
 * --int4-block B: int4 in blocks of B along each row instead, laid out as ONNX's blocked
 * int4 (see quantize_model_int4 below).
 *
 * Every 2-D F32, F16 or BF16 tensor ("weight", shape [rows, cols]) is quantized per
 * output channel (axis 0, one scale per row) to symmetric int8 with scipix's
 * quantization module (scipix_quantize_params_axis + scipix_quantize_linear_axis,
 * ONNX QuantizeLinear semantics): [-absmax, absmax] of each row maps onto [-127, 127],
 * zero point 0, values rounded half to even. SQNR comes from scipix_sqnr_db on the
 * dequantized weights (scipix_dequantize_linear_axis).
 * Output naming convention (documented in docs/models.md):
 *   <name>             I8  [rows, cols]   quantized values
 *   <name>.scale       F32 [rows]         per-row scale
 *   <name>.zero_point  I8  [rows]         per-row zero point (always 0: symmetric)
 * Every other tensor is copied unchanged (zero copy from the mapped input). The input's
 * metadata is kept and "scipix.quantization*" entries describe the scheme. The output
 * is written atomically. A table prints each quantized tensor's SQNR (dB) of the
 * dequantized weights against the originals, and the bytes before/after. */
#include <scipix.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *what, ScipixStatus s) {
  fprintf(stderr, "%s failed: %s: %s\n", what, scipix_status_str(s), scipix_last_error_message());
  return 1;
}

/* Loads a 2-D float tensor as f32 (copying: mapped data need not be aligned). */
static int load_f32(const ScipixStTensorInfo *t, float *out) {
  size_t n = t->num_elements;
  if (t->dtype == SCIPIX_ST_F32) {
    memcpy(out, t->data, n * sizeof(float));
    return 0;
  }
  uint16_t *bits = malloc(n * sizeof(uint16_t) + 1);
  if (!bits) return 1;
  memcpy(bits, t->data, n * sizeof(uint16_t));
  ScipixStatus s = t->dtype == SCIPIX_ST_F16 ? scipix_f16_to_f32(bits, out, n)
                                             : scipix_bf16_to_f32(bits, out, n);
  free(bits);
  return s == SCIPIX_OK ? 0 : fail("half conversion", s);
}

/* Per-row (axis 0) symmetric int8 quantization with the quantization module:
 * parameters from each row's range, ONNX QuantizeLinear per axis, then the SQNR in dB
 * of the dequantized values against the originals. Returns 0 on success. */
static int quantize_rows(const float *w, size_t rows, size_t cols, int8_t *q, float *scale,
                         int8_t *zp8, double *sqnr) {
  size_t shape[2] = {rows, cols}, n = rows * cols;
  int32_t *zp = malloc(rows * sizeof(int32_t));
  float *deq = malloc(n * sizeof(float));
  ScipixStatus s = (zp && deq) ? SCIPIX_OK : SCIPIX_ERR_OUT_OF_MEMORY;
  if (s == SCIPIX_OK)
    s = scipix_quantize_params_axis(w, shape, 2, 0, SCIPIX_QDTYPE_INT8, SCIPIX_QMODE_SYMMETRIC,
                                    false, scale, zp, rows);
  if (s == SCIPIX_OK)
    s = scipix_quantize_linear_axis(w, shape, 2, 0, scale, zp, rows, SCIPIX_QDTYPE_INT8, q, n);
  if (s == SCIPIX_OK)
    s = scipix_dequantize_linear_axis(q, shape, 2, 0, scale, zp, rows, SCIPIX_QDTYPE_INT8, deq,
                                      n);
  if (s == SCIPIX_OK) s = scipix_sqnr_db(w, deq, n, sqnr);
  for (size_t r = 0; s == SCIPIX_OK && r < rows; r++) zp8[r] = (int8_t)zp[r];
  free(zp);
  free(deq);
  return s == SCIPIX_OK ? 0 : fail("quantization", s);
}

static int is_quantizable(const ScipixStTensorInfo *t) {
  return t->rank == 2 && t->num_elements > 0 &&
         (t->dtype == SCIPIX_ST_F32 || t->dtype == SCIPIX_ST_F16 || t->dtype == SCIPIX_ST_BF16);
}

/* Per-tensor buffers kept until the writer has written the file. */
typedef struct {
  int8_t *q;
  float *scale;
  int8_t *zp;
} Owned;

static int quantize_model(const char *in_path, const char *out_path, double *min_sqnr) {
  ScipixSafetensors *st = NULL;
  ScipixSafetensorsWriter *w = NULL;
  ScipixStatus s = scipix_safetensors_open(in_path, SCIPIX_MODEL_SEQUENTIAL, &st);
  if (s != SCIPIX_OK) return fail("opening the input", s);
  size_t count = 0;
  scipix_safetensors_tensor_count(st, &count);
  if ((s = scipix_safetensors_writer_new(&w)) != SCIPIX_OK) {
    scipix_safetensors_free(st);
    return fail("creating the writer", s);
  }
  Owned *owned = calloc(count + 1, sizeof(Owned));
  char *list = calloc(1, 1);
  size_t list_len = 0;
  int rc = owned && list ? 0 : 1;
  size_t before_total = 0, after_total = 0, qbefore = 0, qafter = 0, nquant = 0;
  *min_sqnr = INFINITY;

  printf("%-48s %-12s %9s %12s %12s\n", "tensor", "shape", "SQNR dB", "bytes before", "bytes after");
  for (size_t i = 0; i < count && rc == 0; i++) {
    ScipixStTensorInfo t;
    scipix_safetensors_tensor_info(st, i, &t);
    before_total += t.nbytes;
    if (!is_quantizable(&t)) {
      /* Unchanged: borrow the mapped bytes (st outlives the writer's write). */
      s = scipix_safetensors_writer_add_tensor_borrowed(w, t.name, t.dtype, t.shape, t.rank,
                                                         t.data, t.nbytes);
      if (s != SCIPIX_OK) rc = fail(t.name, s);
      after_total += t.nbytes;
      continue;
    }
    size_t rows = t.shape[0], cols = t.shape[1], n = t.num_elements;
    float *f = malloc(n * sizeof(float));
    owned[i].q = malloc(n);
    owned[i].scale = malloc(rows * sizeof(float));
    owned[i].zp = calloc(rows, 1);
    double sqnr = 0.0;
    if (!f || !owned[i].q || !owned[i].scale || !owned[i].zp || load_f32(&t, f) != 0 ||
        quantize_rows(f, rows, cols, owned[i].q, owned[i].scale, owned[i].zp, &sqnr) != 0) {
      free(f);
      rc = 1;
      break;
    }
    free(f);
    if (sqnr < *min_sqnr) *min_sqnr = sqnr;

    size_t name_len = strlen(t.name);
    char *aux = malloc(name_len + 16);
    if (!aux) {
      rc = 1;
      break;
    }
    s = scipix_safetensors_writer_add_tensor_borrowed(w, t.name, SCIPIX_ST_I8, t.shape, 2,
                                                       (const uint8_t *)owned[i].q, n);
    if (s == SCIPIX_OK) {
      snprintf(aux, name_len + 16, "%s.scale", t.name);
      s = scipix_safetensors_writer_add_tensor_borrowed(w, aux, SCIPIX_ST_F32, &rows, 1,
                                                         (const uint8_t *)owned[i].scale,
                                                         rows * sizeof(float));
    }
    if (s == SCIPIX_OK) {
      snprintf(aux, name_len + 16, "%s.zero_point", t.name);
      s = scipix_safetensors_writer_add_tensor_borrowed(w, aux, SCIPIX_ST_I8, &rows, 1,
                                                         (const uint8_t *)owned[i].zp, rows);
    }
    free(aux);
    if (s != SCIPIX_OK) {
      rc = fail(t.name, s);
      break;
    }
    size_t after = n + rows * sizeof(float) + rows;
    qbefore += t.nbytes;
    qafter += after;
    after_total += after;
    nquant++;
    char shape[40];
    snprintf(shape, sizeof shape, "[%zu, %zu]", rows, cols);
    printf("%-48s %-12s %9.2f %12zu %12zu\n", t.name, shape, sqnr, t.nbytes, after);

    char *grown = realloc(list, list_len + name_len + 2);
    if (!grown) {
      rc = 1;
      break;
    }
    list = grown;
    if (list_len) list[list_len++] = ',';
    memcpy(list + list_len, t.name, name_len + 1);
    list_len += name_len;
  }

  if (rc == 0) {
    size_t mcount = 0;
    scipix_safetensors_metadata_count(st, &mcount);
    for (size_t i = 0; i < mcount && rc == 0; i++) {
      const char *k, *v;
      scipix_safetensors_metadata_entry(st, i, &k, &v);
      if (strncmp(k, "scipix.quantization", 19) == 0) continue;
      if ((s = scipix_safetensors_writer_add_metadata(w, k, v)) != SCIPIX_OK) rc = fail(k, s);
    }
    const char *meta[][2] = {
        {"scipix.quantization", "int8 symmetric per output channel (axis 0)"},
        {"scipix.quantization.scale_suffix", ".scale"},
        {"scipix.quantization.zero_point_suffix", ".zero_point"},
        {"scipix.quantization.formula", "w = scale[row] * (q - zero_point[row])"},
    };
    for (size_t i = 0; i < sizeof meta / sizeof meta[0] && rc == 0; i++)
      if ((s = scipix_safetensors_writer_add_metadata(w, meta[i][0], meta[i][1])) != SCIPIX_OK)
        rc = fail(meta[i][0], s);
    if (rc == 0 && (s = scipix_safetensors_writer_add_metadata(
                        w, "scipix.quantization.tensors", list)) != SCIPIX_OK)
      rc = fail("metadata", s);
  }
  if (rc == 0 && (s = scipix_safetensors_writer_write(w, out_path)) != SCIPIX_OK)
    rc = fail("writing the output", s);
  if (rc == 0) {
    printf("quantized %zu of %zu tensors: %zu -> %zu bytes (%.2fx); model data %zu -> %zu bytes "
           "(%.2fx); min SQNR %.2f dB\n",
           nquant, count, qbefore, qafter, qafter ? (double)qbefore / (double)qafter : 1.0,
           before_total, after_total,
           after_total ? (double)before_total / (double)after_total : 1.0, *min_sqnr);
  }

  scipix_safetensors_writer_free(w); /* after this, borrowed buffers may go */
  for (size_t i = 0; owned && i < count; i++) {
    free(owned[i].q);
    free(owned[i].scale);
    free(owned[i].zp);
  }
  free(owned);
  free(list);
  scipix_safetensors_free(st);
  return rc;
}

/* ---- --int4-block B: blocked int4, laid out as ONNX's ---- */

/* Every 2-D F32, F16 or BF16 tensor [rows, cols] becomes symmetric int4 in blocks of `block`
 * along its last axis, with scipix_quantize_int4 (ONNX QuantizeLinear opset 21, bit-exact
 * with ONNX Runtime): block b of row r has scale absmax / 7 (1 for an all-zero block), zero
 * point 0, values rounded half to even and saturated to [-8, 7]. The output is exactly what
 * ONNX's DequantizeLinear(x, scale, axis=1, block_size=block) reads (the last block of a
 * row may be shorter when block does not divide cols, as ONNX allows):
 *   <name>        U8  [rows, cols/2] (cols even) or [ceil(rows*cols/2)]: the int4 values
 *                 packed two per byte in row-major order, element 2i in the low nibble of
 *                 byte i, an odd count padding the last high nibble with 0
 *   <name>.scale  F32 [rows, ceil(cols/block)]
 * Other tensors are copied unchanged. Prints size and SQNR (dB, scipix_sqnr_db of the
 * dequantized weights, scipix_dequantize_int4) per tensor. Bad block sizes (0) and every
 * other failure come back as the library's status and message. */
static int quantize_model_int4(const char *in_path, const char *out_path, size_t block,
                               double *min_sqnr) {
  ScipixSafetensors *st = NULL;
  ScipixSafetensorsWriter *w = NULL;
  ScipixStatus s = scipix_safetensors_open(in_path, SCIPIX_MODEL_SEQUENTIAL, &st);
  if (s != SCIPIX_OK) return fail("opening the input", s);
  size_t count = 0;
  scipix_safetensors_tensor_count(st, &count);
  if ((s = scipix_safetensors_writer_new(&w)) != SCIPIX_OK) {
    scipix_safetensors_free(st);
    return fail("creating the writer", s);
  }
  Owned *owned = calloc(count + 1, sizeof(Owned));
  int rc = owned ? 0 : 1;
  size_t before_total = 0, after_total = 0, qbefore = 0, qafter = 0, nquant = 0;
  *min_sqnr = INFINITY;
  printf("int4, blocks of %zu along the last axis (ONNX blocked int4, symmetric)\n", block);
  printf("%-48s %-12s %9s %12s %12s\n", "tensor", "shape", "SQNR dB", "bytes before", "bytes after");
  for (size_t i = 0; i < count && rc == 0; i++) {
    ScipixStTensorInfo t;
    scipix_safetensors_tensor_info(st, i, &t);
    before_total += t.nbytes;
    if (!is_quantizable(&t)) {
      s = scipix_safetensors_writer_add_tensor_borrowed(w, t.name, t.dtype, t.shape, t.rank,
                                                         t.data, t.nbytes);
      if (s != SCIPIX_OK) rc = fail(t.name, s);
      after_total += t.nbytes;
      continue;
    }
    size_t rows = t.shape[0], cols = t.shape[1], n = t.num_elements;
    size_t nb = block ? (cols + block - 1) / block : 0, packed = (n + 1) / 2;
    size_t shape[2] = {rows, cols};
    float *f = malloc(n * sizeof(float)), *deq = malloc(n * sizeof(float));
    int32_t *zp = calloc(rows * nb + 1, sizeof(int32_t));
    owned[i].q = malloc(packed);
    owned[i].scale = malloc((rows * nb + 1) * sizeof(float));
    if (!f || !deq || !zp || !owned[i].q || !owned[i].scale || load_f32(&t, f) != 0) {
      free(f), free(deq), free(zp);
      rc = 1;
      break;
    }
    for (size_t r = 0; r < rows; r++)
      for (size_t b = 0; b < nb; b++) {
        float m = 0.0f;
        for (size_t c = b * block; c < cols && c < (b + 1) * block; c++)
          m = fmaxf(m, fabsf(f[r * cols + c]));
        float sc = m / 7.0f;
        owned[i].scale[r * nb + b] = sc >= 1.17549435e-38f ? sc : 1.0f;
      }
    double sqnr = 0.0;
    s = scipix_quantize_int4(f, shape, 2, SCIPIX_QGRAN_BLOCKED, block, owned[i].scale, zp,
                             rows * nb, SCIPIX_QDTYPE_INT4, owned[i].q, packed);
    if (s == SCIPIX_OK)
      s = scipix_dequantize_int4(owned[i].q, packed, shape, 2, SCIPIX_QGRAN_BLOCKED, block,
                                 owned[i].scale, zp, rows * nb, SCIPIX_QDTYPE_INT4, deq, n);
    if (s == SCIPIX_OK) s = scipix_sqnr_db(f, deq, n, &sqnr);
    free(f), free(deq), free(zp);
    if (s != SCIPIX_OK) {
      rc = fail(t.name, s);
      break;
    }
    if (sqnr < *min_sqnr) *min_sqnr = sqnr;
    size_t qshape[2] = {rows, cols / 2}, pshape[2] = {rows, nb};
    if (cols % 2)
      qshape[0] = packed;
    s = scipix_safetensors_writer_add_tensor_borrowed(w, t.name, SCIPIX_ST_U8, qshape,
                                                       cols % 2 ? 1 : 2, (const uint8_t *)owned[i].q, packed);
    size_t name_len = strlen(t.name);
    char *aux = malloc(name_len + 8);
    if (!aux) {
      rc = 1;
      break;
    }
    snprintf(aux, name_len + 8, "%s.scale", t.name);
    if (s == SCIPIX_OK)
      s = scipix_safetensors_writer_add_tensor_borrowed(
          w, aux, SCIPIX_ST_F32, pshape, 2, (const uint8_t *)owned[i].scale,
          rows * nb * sizeof(float));
    free(aux);
    if (s != SCIPIX_OK) {
      rc = fail(t.name, s);
      break;
    }
    size_t after = packed + rows * nb * sizeof(float);
    qbefore += t.nbytes;
    qafter += after;
    after_total += after;
    nquant++;
    char shp[40];
    snprintf(shp, sizeof shp, "[%zu, %zu]", rows, cols);
    printf("%-48s %-12s %9.2f %12zu %12zu\n", t.name, shp, sqnr, t.nbytes, after);
  }
  if (rc == 0) {
    size_t mcount = 0;
    scipix_safetensors_metadata_count(st, &mcount);
    for (size_t i = 0; i < mcount && rc == 0; i++) {
      const char *k, *v;
      scipix_safetensors_metadata_entry(st, i, &k, &v);
      if (strncmp(k, "scipix.quantization", 19) == 0) continue;
      if ((s = scipix_safetensors_writer_add_metadata(w, k, v)) != SCIPIX_OK) rc = fail(k, s);
    }
    char bs[32];
    snprintf(bs, sizeof bs, "%zu", block);
    const char *meta[][2] = {
        {"scipix.quantization", "int4 symmetric, blocked along the last axis (ONNX "
                                "DequantizeLinear axis=1, block_size), packed low nibble first"},
        {"scipix.quantization.block_size", bs},
        {"scipix.quantization.scale_suffix", ".scale"},
        {"scipix.quantization.formula", "w[r, c] = scale[r, c / block_size] * q[r, c]"},
    };
    for (size_t i = 0; i < sizeof meta / sizeof meta[0] && rc == 0; i++)
      if ((s = scipix_safetensors_writer_add_metadata(w, meta[i][0], meta[i][1])) != SCIPIX_OK)
        rc = fail(meta[i][0], s);
  }
  if (rc == 0 && (s = scipix_safetensors_writer_write(w, out_path)) != SCIPIX_OK)
    rc = fail("writing the output", s);
  if (rc == 0)
    printf("quantized %zu of %zu tensors: %zu -> %zu bytes (%.2fx); model data %zu -> %zu bytes "
           "(%.2fx); min SQNR %.2f dB\n",
           nquant, count, qbefore, qafter, qafter ? (double)qbefore / (double)qafter : 1.0,
           before_total, after_total,
           after_total ? (double)before_total / (double)after_total : 1.0, *min_sqnr);
  scipix_safetensors_writer_free(w);
  for (size_t i = 0; owned && i < count; i++) {
    free(owned[i].q);
    free(owned[i].scale);
  }
  free(owned);
  scipix_safetensors_free(st);
  return rc;
}

/* --gguf: every 2-D float tensor whose rows are whole 32-value blocks becomes GGML blocks
 * of `type` (scipix_ggml_quantize, bit-exact with gguf.quants); SQNR from
 * scipix_ggml_dequantize. Other tensors keep their bytes under the matching GGML type
 * (F32, F16, BF16, F64, I8..I64); metadata strings are kept as "safetensors.<key>". */
static int quantize_model_gguf(const char *in_path, const char *out_path, const char *fmt) {
  static const struct { const char *name; ScipixGgmlType type; } fmts[] = {
      {"q8_0", SCIPIX_GGML_Q8_0}, {"q4_0", SCIPIX_GGML_Q4_0}, {"q4_1", SCIPIX_GGML_Q4_1},
      {"q5_0", SCIPIX_GGML_Q5_0}, {"q5_1", SCIPIX_GGML_Q5_1}};
  static const struct { ScipixStDtype st; ScipixGgmlType g; } raw[] = {
      {SCIPIX_ST_F32, SCIPIX_GGML_F32}, {SCIPIX_ST_F16, SCIPIX_GGML_F16},
      {SCIPIX_ST_BF16, SCIPIX_GGML_BF16}, {SCIPIX_ST_F64, 28}, {SCIPIX_ST_I8, 24},
      {SCIPIX_ST_I16, 25}, {SCIPIX_ST_I32, 26}, {SCIPIX_ST_I64, 27}};
  ScipixGgmlType type = 0;
  int found = 0;
  for (size_t i = 0; i < sizeof fmts / sizeof fmts[0]; i++)
    if (strcmp(fmt, fmts[i].name) == 0) type = fmts[i].type, found = 1;
  if (!found) {
    fprintf(stderr, "unknown --gguf format %s (q8_0, q4_0, q4_1, q5_0, q5_1)\n", fmt);
    return 2;
  }
  ScipixSafetensors *st = NULL;
  ScipixGgufWriter *w = NULL;
  ScipixStatus s = scipix_safetensors_open(in_path, SCIPIX_MODEL_SEQUENTIAL, &st);
  if (s != SCIPIX_OK) return fail("opening the input", s);
  if ((s = scipix_gguf_writer_new(&w)) != SCIPIX_OK) {
    scipix_safetensors_free(st);
    return fail("creating the writer", s);
  }
  size_t count = 0, before = 0, after = 0, qbefore = 0, qafter = 0, nquant = 0;
  double min_sqnr = INFINITY;
  int rc = 0;
  scipix_safetensors_tensor_count(st, &count);
  printf("%-48s %-12s %9s %12s %12s\n", "tensor", "shape", "SQNR dB", "bytes before",
         "bytes after");
  for (size_t i = 0; i < count && rc == 0; i++) {
    ScipixStTensorInfo t;
    scipix_safetensors_tensor_info(st, i, &t);
    before += t.nbytes;
    if (!is_quantizable(&t) || t.shape[1] % 32 != 0) {
      ScipixGgmlType g = 0;
      int ok = 0;
      for (size_t k = 0; k < sizeof raw / sizeof raw[0]; k++)
        if (raw[k].st == t.dtype) g = raw[k].g, ok = 1;
      if (!ok) continue; /* no GGML type for this dtype */
      s = scipix_gguf_writer_add_tensor_borrowed(w, t.name, g, t.shape, t.rank, t.data,
                                                 t.nbytes);
      if (s != SCIPIX_OK) rc = fail(t.name, s);
      after += t.nbytes;
      continue;
    }
    size_t n = t.num_elements, qcap = 0, qbytes = 0, back = 0;
    if ((s = scipix_ggml_row_size(type, n, &qcap)) != SCIPIX_OK) {
      rc = fail(t.name, s);
      break;
    }
    float *f = malloc(n * sizeof(float)), *deq = malloc(n * sizeof(float));
    uint8_t *q = malloc(qcap);
    double sqnr = 0.0;
    if (!f || !deq || !q || load_f32(&t, f) != 0) {
      rc = 1;
    } else if ((s = scipix_ggml_quantize(type, f, n, t.shape[1], q, qcap, &qbytes)) !=
                   SCIPIX_OK ||
               (s = scipix_ggml_dequantize(type, q, qbytes, deq, n, &back)) != SCIPIX_OK ||
               (s = scipix_sqnr_db(f, deq, n, &sqnr)) != SCIPIX_OK ||
               (s = scipix_gguf_writer_add_tensor(w, t.name, type, t.shape, 2, q, qbytes)) !=
                   SCIPIX_OK) {
      rc = fail(t.name, s);
    }
    free(f);
    free(deq);
    free(q);
    if (rc) break;
    if (sqnr < min_sqnr) min_sqnr = sqnr;
    char shape[40];
    snprintf(shape, sizeof shape, "[%zu, %zu]", t.shape[0], t.shape[1]);
    printf("%-48s %-12s %9.2f %12zu %12zu\n", t.name, shape, sqnr, t.nbytes, qbytes);
    qbefore += t.nbytes;
    qafter += qbytes;
    after += qbytes;
    nquant++;
  }
  size_t mcount = 0;
  scipix_safetensors_metadata_count(st, &mcount);
  for (size_t i = 0; i < mcount && rc == 0; i++) {
    const char *k, *v;
    char key[512];
    scipix_safetensors_metadata_entry(st, i, &k, &v);
    snprintf(key, sizeof key, "safetensors.%s", k);
    if ((s = scipix_gguf_writer_add_string(w, key, v)) != SCIPIX_OK) rc = fail(key, s);
  }
  char scheme[64];
  snprintf(scheme, sizeof scheme, "GGML %s blocks of 32 values along each row", fmt);
  if (rc == 0 && ((s = scipix_gguf_writer_add_string(w, "general.architecture", "bert")) !=
                      SCIPIX_OK ||
                  (s = scipix_gguf_writer_add_u32(w, "general.quantization_version", 2)) !=
                      SCIPIX_OK ||
                  (s = scipix_gguf_writer_add_string(w, "scipix.quantization", scheme)) !=
                      SCIPIX_OK))
    rc = fail("metadata", s);
  if (rc == 0 && (s = scipix_gguf_writer_write(w, out_path)) != SCIPIX_OK)
    rc = fail("writing the output", s);
  if (rc == 0)
    printf("%s: quantized %zu of %zu tensors: %zu -> %zu bytes (%.2fx); model data %zu -> %zu "
           "bytes (%.2fx); min SQNR %.2f dB\n",
           fmt, nquant, count, qbefore, qafter, qafter ? (double)qbefore / (double)qafter : 1.0,
           before, after, after ? (double)before / (double)after : 1.0, min_sqnr);
  scipix_gguf_writer_free(w);
  scipix_safetensors_free(st);
  return rc;
}

/* ---- self test: a small synthetic model, quantized and checked ---- */

static uint32_t rng_state = 12345u;
static float frand(void) { /* uniform in [-1, 1) */
  rng_state = rng_state * 1664525u + 1013904223u;
  return (float)(rng_state >> 8) / 8388608.0f - 1.0f;
}

static uint16_t f32_to_bf16(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  return (uint16_t)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

static int self_test(const char *dir) {
  char in[4096], out[4096];
  snprintf(in, sizeof in, "%s/quantize_selftest_in.safetensors", dir);
  snprintf(out, sizeof out, "%s/quantize_selftest_out.safetensors", dir);
  enum { R = 16, C = 40 };
  static float w32[R * C];
  static uint16_t wbf[R * C];
  static float bias[C];
  int64_t ids[4] = {0, 1, 2, 3};
  for (int i = 0; i < R * C; i++) w32[i] = frand() * (1.0f + (float)(i / C));
  for (int i = 0; i < R * C; i++) wbf[i] = f32_to_bf16(frand());
  for (int i = 0; i < C; i++) bias[i] = frand();
  memset(w32 + 3 * C, 0, C * sizeof(float)); /* an all-zero row */

  ScipixSafetensorsWriter *w = NULL;
  size_t shape2[2] = {R, C}, shape1[1] = {C}, shape_ids[1] = {4};
  int rc = 0;
  rc |= scipix_safetensors_writer_new(&w) != SCIPIX_OK;
  rc |= scipix_safetensors_writer_add_tensor(w, "fc.weight", SCIPIX_ST_F32, shape2, 2,
                                             (const uint8_t *)w32, sizeof w32) != SCIPIX_OK;
  rc |= scipix_safetensors_writer_add_tensor(w, "proj.weight", SCIPIX_ST_BF16, shape2, 2,
                                             (const uint8_t *)wbf, sizeof wbf) != SCIPIX_OK;
  rc |= scipix_safetensors_writer_add_tensor(w, "fc.bias", SCIPIX_ST_F32, shape1, 1,
                                             (const uint8_t *)bias, sizeof bias) != SCIPIX_OK;
  rc |= scipix_safetensors_writer_add_tensor(w, "ids", SCIPIX_ST_I64, shape_ids, 1,
                                             (const uint8_t *)ids, sizeof ids) != SCIPIX_OK;
  rc |= scipix_safetensors_writer_add_metadata(w, "format", "pt") != SCIPIX_OK;
  rc |= scipix_safetensors_writer_write(w, in) != SCIPIX_OK;
  scipix_safetensors_writer_free(w);
  if (rc) return fail("writing the self-test model", SCIPIX_ERR_IO);

  double min_sqnr = 0;
  if (quantize_model(in, out, &min_sqnr) != 0) return 1;
  int bad = 0;
  if (!(min_sqnr > 30.0)) {
    fprintf(stderr, "min SQNR %.2f dB is not above 30 dB\n", min_sqnr);
    bad++;
  }
  ScipixSafetensors *st = NULL;
  if (scipix_safetensors_open(out, 0, &st) != SCIPIX_OK) return fail("reopening", SCIPIX_ERR_IO);
  size_t count = 0;
  scipix_safetensors_tensor_count(st, &count);
  if (count != 8) {
    fprintf(stderr, "expected 8 tensors, got %zu\n", count);
    bad++;
  }
  ScipixStTensorInfo q, sc, zp, b;
  bad += scipix_safetensors_find(st, "fc.weight", &q) != SCIPIX_OK || q.dtype != SCIPIX_ST_I8 ||
         q.rank != 2 || q.shape[0] != R || q.shape[1] != C;
  bad += scipix_safetensors_find(st, "fc.weight.scale", &sc) != SCIPIX_OK ||
         sc.dtype != SCIPIX_ST_F32 || sc.rank != 1 || sc.shape[0] != R;
  bad += scipix_safetensors_find(st, "fc.weight.zero_point", &zp) != SCIPIX_OK ||
         zp.dtype != SCIPIX_ST_I8 || zp.nbytes != R;
  bad += scipix_safetensors_find(st, "fc.bias", &b) != SCIPIX_OK || b.dtype != SCIPIX_ST_F32 ||
         memcmp(b.data, bias, sizeof bias) != 0;
  if (!bad) {
    /* Dequantize fc.weight and compare with the source within half a step per row. */
    for (size_t r = 0; r < R; r++) {
      float s;
      memcpy(&s, sc.data + r * 4, 4);
      for (size_t c = 0; c < C; c++) {
        float deq = s * (float)(int8_t)q.data[r * C + c];
        if (fabsf(deq - w32[r * C + c]) > 0.5f * s * 1.0001f) bad++;
      }
    }
    if (((const int8_t *)q.data)[3 * C] != 0) bad++;
  }
  const char *v = NULL;
  bad += scipix_safetensors_metadata_get(st, "format", &v) != SCIPIX_OK || strcmp(v, "pt") != 0;
  bad += scipix_safetensors_metadata_get(st, "scipix.quantization.tensors", &v) != SCIPIX_OK ||
         strcmp(v, "fc.weight,proj.weight") != 0;
  scipix_safetensors_free(st);
  remove(in);
  remove(out);
  if (bad) {
    fprintf(stderr, "self-test: %d check(s) failed\n", bad);
    return 1;
  }
  printf("self-test passed\n");
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 2 && strcmp(argv[1], "--self-test") == 0)
    return self_test(argc >= 3 ? argv[2] : ".");
  if (argc == 5 && strcmp(argv[1], "--int4-block") == 0) {
    char *end = NULL;
    errno = 0;
    unsigned long long b = strtoull(argv[2], &end, 10);
    if (errno || !end || *end || argv[2][0] == '-' || b > SIZE_MAX) {
      fprintf(stderr, "--int4-block: '%s' is not a block size\n", argv[2]);
      return 2;
    }
    double min_sqnr = 0;
    return quantize_model_int4(argv[3], argv[4], (size_t)b, &min_sqnr);
  }
  if (argc == 5 && strcmp(argv[1], "--gguf") == 0)
    return quantize_model_gguf(argv[3], argv[4], argv[2]);
  if (argc != 3) {
    fprintf(stderr,
            "usage: %s in.safetensors out.safetensors\n       %s --int4-block B in.safetensors "
            "out.safetensors\n       %s --gguf q8_0|q4_0|q4_1|q5_0|q5_1 in.safetensors out.gguf\n"
            "       %s --self-test [dir]\n",
            argv[0], argv[0], argv[0], argv[0]);
    return 2;
  }
  double min_sqnr = 0;
  return quantize_model(argv[1], argv[2], &min_sqnr);
}
