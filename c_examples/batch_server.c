/* A small simulated inference server on the batcher: producer threads submit RGB image
 * requests, one consumer thread takes batches, converts each batch into one NCHW float
 * tensor with scipix_images_to_tensor (torchvision normalization), runs a stand-in model
 * (per-image mean of the tensor, plus a fixed per-batch cost) and completes the batch.
 * Producers check every answer and record latencies. Prints throughput, mean batch size and
 * latency percentiles.
 *
 *   batch_server [producers=4] [requests_per_producer=2000] [model_us_per_batch=200]
 */
#define _POSIX_C_SOURCE 200809L
#include "check.h"
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

enum { W = 64, H = 48, C = 3, IMG_BYTES = W * H * C, WINDOW = 16, MAX_BATCH = 32 };
static const float MEAN[3] = {0.485f, 0.456f, 0.406f};
static const float STD[3] = {0.229f, 0.224f, 0.225f};

static ScipixBatcher *batcher;
static int n_producers = 4, n_requests = 2000, model_us = 200;
static double *latencies; /* seconds, one per request */

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void fill_image(uint64_t req, unsigned char *img) {
  for (int i = 0; i < IMG_BYTES; i++) img[i] = (unsigned char)((req * 31 + (uint64_t)i * 7) >> 1);
}

/* What the model should answer for an image: the mean of its normalized tensor. */
static double expected_score(const unsigned char *img) {
  double sum = 0;
  for (int i = 0; i < W * H; i++)
    for (int c = 0; c < C; c++) sum += ((double)img[i * C + c] / 255.0 - MEAN[c]) / STD[c];
  return sum / (W * H * C);
}

static void *producer(void *arg) {
  int p = (int)(intptr_t)arg;
  unsigned char img[IMG_BYTES];
  uint64_t tickets[WINDOW], reqs[WINDOW];
  double t0[WINDOW];
  int k = 0;
  for (int i = 0; i < n_requests; i++) {
    uint64_t req = (uint64_t)p * (uint64_t)n_requests + (uint64_t)i;
    fill_image(req, img);
    ScipixStatus st;
    t0[k] = now_s();
    while ((st = scipix_batcher_submit(batcher, img, IMG_BYTES, -1, 0, &tickets[k])) == SCIPIX_ERR_QUEUE_FULL) {
    }
    CHECK_STATUS(st, SCIPIX_OK);
    reqs[k] = req;
    if (++k == WINDOW || i + 1 == n_requests) {
      for (int j = 0; j < k; j++) {
        ScipixResult *r = NULL;
        CHECK_STATUS(scipix_batcher_poll(batcher, tickets[j], SCIPIX_WAIT_FOREVER, &r), SCIPIX_OK);
        latencies[reqs[j]] = now_s() - t0[j];
        float score = 0;
        CHECK(scipix_result_len(r) == sizeof score);
        memcpy(&score, scipix_result_data(r), sizeof score);
        fill_image(reqs[j], img);
        CHECK(fabs(score - expected_score(img)) < 1e-4);
        scipix_result_free(r);
      }
      k = 0;
    }
  }
  return NULL;
}

static void *consumer(void *arg) {
  (void)arg;
  ScipixTensorParams params;
  CHECK_STATUS(scipix_tensor_params_default(&params), SCIPIX_OK);
  params.divisor = 255.0f;
  for (int c = 0; c < 3; c++) {
    params.mean[c] = MEAN[c];
    params.std[c] = STD[c];
  }
  params.layout = SCIPIX_LAYOUT_NCHW;
  size_t per = (size_t)C * H * W;
  float *tensor = malloc(sizeof(float) * per * MAX_BATCH);
  ScipixImage imgs[MAX_BATCH];
  float scores[MAX_BATCH];
  const void *res[MAX_BATCH];
  size_t lens[MAX_BATCH];
  for (;;) {
    ScipixBatch *batch = NULL;
    ScipixStatus st = scipix_batcher_next_batch(batcher, SCIPIX_WAIT_FOREVER, &batch);
    if (st == SCIPIX_ERR_SHUT_DOWN) break;
    CHECK_STATUS(st, SCIPIX_OK);
    if (st != SCIPIX_OK) break;
    size_t n = scipix_batch_count(batch);
    for (size_t i = 0; i < n; i++) {
      const void *data;
      size_t len;
      CHECK_STATUS(scipix_batch_item(batch, i, &data, &len, NULL), SCIPIX_OK);
      CHECK(len == IMG_BYTES);
      imgs[i] = (ScipixImage){.data = data, .width = W, .height = H, .stride = W * C, .format = SCIPIX_FORMAT_RGB8};
    }
    /* One N x 3 x H x W tensor for the whole batch. */
    st = scipix_images_to_tensor(imgs, n, &params, tensor, per * MAX_BATCH);
    if (st != SCIPIX_OK) {
      scipix_batch_fail(batch, scipix_last_error_message());
      scipix_batch_free(batch);
      continue;
    }
    /* Stand-in model: a fixed cost per batch (like a GPU launch) plus the per-image mean. */
    struct timespec cost = {0, (long)model_us * 1000};
    nanosleep(&cost, NULL);
    for (size_t i = 0; i < n; i++) {
      double sum = 0;
      for (size_t j = 0; j < per; j++) sum += tensor[i * per + j];
      scores[i] = (float)(sum / (double)per);
      res[i] = &scores[i];
      lens[i] = sizeof scores[i];
    }
    CHECK_STATUS(scipix_batch_complete(batch, res, lens, n), SCIPIX_OK);
    scipix_batch_free(batch);
  }
  free(tensor);
  return NULL;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  if (argc > 1) n_producers = atoi(argv[1]);
  if (argc > 2) n_requests = atoi(argv[2]);
  if (argc > 3) model_us = atoi(argv[3]);
  if (n_producers < 1 || n_producers > 64 || n_requests < 1 || model_us < 0) {
    fprintf(stderr, "usage: %s [producers 1..64] [requests>=1] [model_us>=0]\n", argv[0]);
    return 2;
  }
  size_t total = (size_t)n_producers * (size_t)n_requests;
  latencies = calloc(total, sizeof *latencies);
  ScipixBatcherConfig cfg = scipix_batcher_config_default();
  cfg.max_batch_size = MAX_BATCH;
  cfg.preferred_batch_size = 16;
  cfg.max_wait_ms = 5;
  CHECK_STATUS(scipix_batcher_new(&cfg, &batcher), SCIPIX_OK);

  double t0 = now_s();
  pthread_t cons, prod[64];
  pthread_create(&cons, NULL, consumer, NULL);
  for (int p = 0; p < n_producers; p++) pthread_create(&prod[p], NULL, producer, (void *)(intptr_t)p);
  for (int p = 0; p < n_producers; p++) pthread_join(prod[p], NULL);
  double secs = now_s() - t0;
  CHECK_STATUS(scipix_batcher_shutdown(batcher, SCIPIX_SHUTDOWN_DRAIN), SCIPIX_OK);
  pthread_join(cons, NULL);

  ScipixBatcherStats s;
  CHECK_STATUS(scipix_batcher_stats(batcher, &s), SCIPIX_OK);
  CHECK(s.completed == total && s.failed == 0);
  qsort(latencies, total, sizeof *latencies, cmp_double);
  printf("batch_server: %d producers x %d requests of %dx%d RGB, model %d us/batch\n", n_producers, n_requests, W, H,
         model_us);
  printf("  throughput %.0f req/s, %llu batches, mean batch size %.1f\n", (double)total / secs,
         (unsigned long long)s.batches, s.mean_batch_size);
  printf("  latency ms: p50 %.2f  p90 %.2f  p99 %.2f  max %.2f\n", latencies[total / 2] * 1e3,
         latencies[(size_t)(total * 0.9)] * 1e3, latencies[(size_t)(total * 0.99)] * 1e3, latencies[total - 1] * 1e3);
  printf("  queue wait p50 %.2f ms p99 %.2f ms, processing p50 %.2f ms p99 %.2f ms\n", s.queue_wait_p50_ms,
         s.queue_wait_p99_ms, s.processing_p50_ms, s.processing_p99_ms);
  scipix_batcher_free(batcher);
  free(latencies);
  CHECK_DONE();
}
