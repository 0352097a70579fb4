/* Checks the model and safetensors C API from C: statuses for bad paths and files,
 * NULL handling, zero-copy lookups, metadata, borrowed writer data, and that a
 * safetensors handle keeps the mapping alive after the model handle is freed.
 * Usage: model_api <scratch dir> */
#include "check.h"
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
  const char *dir = argc > 1 ? argv[1] : ".";
  char path[4096], bad[4096], empty[4096];
  snprintf(path, sizeof path, "%s/model_api.safetensors", dir);
  snprintf(bad, sizeof bad, "%s/model_api_bad.safetensors", dir);
  snprintf(empty, sizeof empty, "%s/model_api_empty.bin", dir);

  /* Write a small file. */
  ScipixSafetensorsWriter *w = NULL;
  CHECK_STATUS(scipix_safetensors_writer_new(&w), SCIPIX_OK);
  float weights[6] = {1.0f, -2.0f, 3.0f, 4.0f, 5.0f, 6.0f};
  size_t shape[2] = {2, 3};
  CHECK_STATUS(scipix_safetensors_writer_add_tensor_borrowed(
                   w, "w", SCIPIX_ST_F32, shape, 2, (const uint8_t *)weights, sizeof weights),
               SCIPIX_OK);
  CHECK_STATUS(scipix_safetensors_writer_add_tensor(w, "w", SCIPIX_ST_F32, shape, 2,
                                                    (const uint8_t *)weights, sizeof weights),
               SCIPIX_ERR_INVALID_ARGUMENT);
  CHECK(strstr(scipix_last_error_message(), "duplicate") != NULL);
  CHECK_STATUS(scipix_safetensors_writer_add_tensor(w, "short", SCIPIX_ST_F32, shape, 2,
                                                    (const uint8_t *)weights, 8),
               SCIPIX_ERR_INVALID_ARGUMENT);
  CHECK_STATUS(scipix_safetensors_writer_add_metadata(w, "format", "pt"), SCIPIX_OK);
  CHECK_STATUS(scipix_safetensors_writer_add_metadata(w, "format", "np"),
               SCIPIX_ERR_INVALID_ARGUMENT);
  CHECK_STATUS(scipix_safetensors_writer_write(w, path), SCIPIX_OK);
  CHECK_STATUS(scipix_safetensors_writer_write(NULL, path), SCIPIX_ERR_NULL_POINTER);
  scipix_safetensors_writer_free(w);

  /* Bad paths and files. */
  const ScipixModel *model = NULL;
  CHECK_STATUS(scipix_model_open("/nonexistent/model.safetensors", 0, &model),
               SCIPIX_ERR_NOT_FOUND);
  CHECK_STATUS(scipix_model_open(dir, 0, &model), SCIPIX_ERR_INVALID_ARGUMENT);
  FILE *f = fopen(empty, "wb");
  CHECK(f != NULL);
  if (f) fclose(f);
  CHECK_STATUS(scipix_model_open(empty, 0, &model), SCIPIX_ERR_INVALID_FILE);
  CHECK_STATUS(scipix_model_open(path, SCIPIX_MODEL_SEQUENTIAL | SCIPIX_MODEL_RANDOM, &model),
               SCIPIX_ERR_INVALID_ARGUMENT);
  CHECK_STATUS(scipix_model_open(NULL, 0, &model), SCIPIX_ERR_NULL_POINTER);
  CHECK(model == NULL);
  f = fopen(bad, "wb");
  CHECK(f != NULL);
  if (f) {
    const unsigned char junk[] = {4, 0, 0, 0, 0, 0, 0, 0, '{', '}', ' ', ' ', 0xff};
    fwrite(junk, 1, sizeof junk, f);
    fclose(f);
  }
  ScipixSafetensors *st = NULL;
  CHECK_STATUS(scipix_safetensors_open(bad, 0, &st), SCIPIX_ERR_INVALID_FILE);
  CHECK(strstr(scipix_last_error_message(), "belong to no tensor") != NULL);
  CHECK(st == NULL);

  /* Open through a model handle, then free the model first. */
  CHECK_STATUS(scipix_model_open(path, SCIPIX_MODEL_WILLNEED, &model), SCIPIX_OK);
  const uint8_t *bytes = NULL;
  size_t len = 0;
  CHECK_STATUS(scipix_model_bytes(model, &bytes, &len), SCIPIX_OK);
  CHECK(len > 8 && bytes != NULL);
  CHECK_STATUS(scipix_model_advise(model, SCIPIX_ADVICE_RANDOM), SCIPIX_OK);
  CHECK_STATUS(scipix_safetensors_from_model(model, &st), SCIPIX_OK);
  scipix_model_free(model);

  size_t count = 0;
  CHECK_STATUS(scipix_safetensors_tensor_count(st, &count), SCIPIX_OK);
  CHECK(count == 1);
  ScipixStTensorInfo t;
  CHECK_STATUS(scipix_safetensors_find(st, "w", &t), SCIPIX_OK);
  CHECK(t.dtype == SCIPIX_ST_F32 && t.rank == 2 && t.shape[0] == 2 && t.shape[1] == 3);
  CHECK(t.nbytes == sizeof weights && memcmp(t.data, weights, sizeof weights) == 0);
  CHECK(t.alignment >= 4 && t.bits_per_element == 32);
  CHECK(strcmp(scipix_st_dtype_name(t.dtype), "F32") == 0);
  CHECK_STATUS(scipix_safetensors_find(st, "missing", &t), SCIPIX_ERR_NOT_FOUND);
  const char *v = NULL;
  CHECK_STATUS(scipix_safetensors_metadata_get(st, "format", &v), SCIPIX_OK);
  CHECK(v && strcmp(v, "pt") == 0);

  const ScipixModel *again = NULL;
  CHECK_STATUS(scipix_safetensors_model(st, &again), SCIPIX_OK);
  CHECK_STATUS(scipix_model_advise_range(again, SCIPIX_ADVICE_WILLNEED, (size_t)t.file_offset,
                                         t.nbytes),
               SCIPIX_OK);
  scipix_model_free(again);
  scipix_safetensors_free(st);
  scipix_safetensors_free(NULL);
  scipix_model_free(NULL);

  uint16_t h[2] = {0x3c00, 0xc000};
  float out[2];
  CHECK_STATUS(scipix_f16_to_f32(h, out, 2), SCIPIX_OK);
  CHECK(out[0] == 1.0f && out[1] == -2.0f);
  remove(path);
  remove(bad);
  remove(empty);
  CHECK_DONE();
}
