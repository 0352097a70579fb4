/* Stress test of the batcher from C: producer threads submit random-size requests with
 * random deadlines and priorities, consumer threads run an echo model that sometimes fails
 * a batch, and the outcome of every ticket is checked: exactly once, with the right
 * payload or the right error, and the stats add up. Phases: a full run, a run shut down
 * in the middle with DRAIN, one with CANCEL, and one in callback (worker) mode.
 *
 *   batch_stress [producers=8] [requests_per_producer=20000] [consumers=2]
 */
#define _POSIX_C_SOURCE 200809L
#include "check.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

enum { FATE_NONE = 0, FATE_OK = 1, FATE_FAILED = 2 };
enum { PHASE_FULL, PHASE_DRAIN, PHASE_CANCEL, PHASE_WORKERS };
static const char *phase_names[] = {"full run", "shutdown DRAIN mid-run", "shutdown CANCEL mid-run",
                                    "callback workers"};

static int n_producers = 8, n_requests = 20000, n_consumers = 2;

/* Per-phase shared state. Ticket numbers start at 1 and have no gaps (refused submits take
 * no number), so arrays indexed by ticket are enough. */
static ScipixBatcher *batcher;
static size_t total;                   /* producers * requests */
static _Atomic uint64_t *ticket_owner; /* ticket -> producer * requests + i + 1 */
static _Atomic int *fate;              /* ticket -> FATE_* chosen by the model */
static _Atomic int *resolved;          /* request -> times its outcome was taken */
static int *had_deadline;              /* request -> 1 if submitted with a deadline */
static _Atomic uint64_t n_accepted, n_rejected, n_ok, n_failed, n_timeout, n_cancelled;
static _Atomic int stop_submitting;
static int phase;

static uint64_t rng_next(uint64_t *s) {
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}

static size_t payload_len(uint64_t req) {
  uint64_t s = req * 0x9E3779B97F4A7C15ull + 1;
  return 8 + (size_t)(rng_next(&s) % 249);
}

static void make_payload(uint64_t req, unsigned char *buf, size_t len) {
  memcpy(buf, &req, 8);
  for (size_t j = 8; j < len; j++) buf[j] = (unsigned char)(req * 7 + j * 13);
}

static int payload_ok(uint64_t req, const unsigned char *buf, size_t len) {
  unsigned char want[256];
  if (len != payload_len(req)) return 0;
  make_payload(req, want, len);
  return memcmp(want, buf, len) == 0;
}

static void sleep_us(long us) {
  struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
  nanosleep(&ts, NULL);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Takes the outcome of `ticket` (request `req`) and checks it. Returns 0 if still pending. */
static int take_outcome(uint64_t ticket, uint64_t req, uint32_t wait_ms) {
  ScipixResult *r = NULL;
  ScipixStatus st = scipix_batcher_poll(batcher, ticket, wait_ms, &r);
  if (st == SCIPIX_PENDING) return 0;
  atomic_fetch_add(&resolved[req], 1);
  int f = atomic_load(&fate[ticket]);
  switch (st) {
    case SCIPIX_OK:
      CHECK(f == FATE_OK);
      CHECK(payload_ok(req, scipix_result_data(r), scipix_result_len(r)));
      scipix_result_free(r);
      atomic_fetch_add(&n_ok, 1);
      break;
    case SCIPIX_ERR_PROCESSING_FAILED:
      CHECK(f == FATE_FAILED);
      CHECK(strstr(scipix_last_error_message(), "echo model failed") != NULL);
      atomic_fetch_add(&n_failed, 1);
      break;
    case SCIPIX_ERR_TIMEOUT:
      CHECK(f == FATE_NONE && had_deadline[req]);
      atomic_fetch_add(&n_timeout, 1);
      break;
    case SCIPIX_ERR_CANCELLED:
      CHECK(f == FATE_NONE && phase == PHASE_CANCEL);
      atomic_fetch_add(&n_cancelled, 1);
      break;
    default:
      CHECK_STATUS(st, SCIPIX_OK);
      break;
  }
  /* Taken once: a second poll says not found. */
  if ((ticket & 63) == 0) CHECK_STATUS(scipix_batcher_try_poll(batcher, ticket, &r), SCIPIX_ERR_NOT_FOUND);
  return 1;
}

/* Even producers poll their own tickets in windows; odd ones leave them to the drainer. */
static void *producer(void *arg) {
  int p = (int)(intptr_t)arg;
  uint64_t seed = 0x1234567ull + (uint64_t)p * 977;
  enum { WINDOW = 32 };
  uint64_t win_ticket[WINDOW], win_req[WINDOW];
  int in_window = 0;
  unsigned char buf[256];
  for (int i = 0; i < n_requests && !atomic_load(&stop_submitting); i++) {
    uint64_t req = (uint64_t)p * (uint64_t)n_requests + (uint64_t)i;
    size_t len = payload_len(req);
    make_payload(req, buf, len);
    uint64_t r = rng_next(&seed);
    int64_t deadline = (r % 4 == 0) ? (int64_t)((r >> 8) % 5) : -1;
    int32_t prio = (int32_t)((r >> 16) % 4);
    had_deadline[req] = deadline >= 0;
    uint64_t ticket = 0;
    ScipixStatus st;
    for (;;) {
      st = scipix_batcher_submit(batcher, buf, len, deadline, prio, &ticket);
      if (st != SCIPIX_ERR_QUEUE_FULL) break;
      atomic_fetch_add(&n_rejected, 1);
      sleep_us(50);
    }
    if (st == SCIPIX_ERR_SHUT_DOWN) break;
    CHECK_STATUS(st, SCIPIX_OK);
    if (st != SCIPIX_OK) break;
    CHECK(ticket >= 1 && ticket <= total);
    atomic_fetch_add(&n_accepted, 1);
    atomic_store(&ticket_owner[ticket], req + 1);
    if (p % 2 == 0) {
      win_ticket[in_window] = ticket;
      win_req[in_window] = req;
      if (++in_window == WINDOW) {
        for (int k = 0; k < in_window; k++) take_outcome(win_ticket[k], win_req[k], SCIPIX_WAIT_FOREVER);
        in_window = 0;
      }
    }
  }
  for (int k = 0; k < in_window; k++) take_outcome(win_ticket[k], win_req[k], SCIPIX_WAIT_FOREVER);
  return NULL;
}

/* Echo model: results are the inputs; about one batch in 16 fails. */
static int run_model(ScipixBatch *batch, uint64_t *seed) {
  size_t n = scipix_batch_count(batch);
  const void *ptrs[64];
  size_t lens[64];
  uint64_t tickets[64];
  CHECK(n >= 1 && n <= 32);
  for (size_t i = 0; i < n; i++) CHECK_STATUS(scipix_batch_item(batch, i, &ptrs[i], &lens[i], &tickets[i]), SCIPIX_OK);
  int fail = rng_next(seed) % 16 == 0;
  for (size_t i = 0; i < n; i++) {
    int prev = atomic_exchange(&fate[tickets[i]], fail ? FATE_FAILED : FATE_OK);
    CHECK(prev == FATE_NONE); /* batched at most once */
  }
  if (fail) return scipix_batch_fail(batch, "echo model failed");
  return scipix_batch_complete(batch, ptrs, lens, n);
}

static void *consumer(void *arg) {
  uint64_t seed = 0xabcdefull + (uint64_t)(intptr_t)arg;
  for (;;) {
    ScipixBatch *batch = NULL;
    ScipixStatus st = scipix_batcher_next_batch(batcher, 100, &batch);
    if (st == SCIPIX_PENDING) continue;
    if (st == SCIPIX_ERR_SHUT_DOWN) break;
    CHECK_STATUS(st, SCIPIX_OK);
    if (st != SCIPIX_OK) break;
    CHECK_STATUS(run_model(batch, &seed), SCIPIX_OK);
    /* Completing twice or with the wrong count is refused. */
    if ((seed & 255) == 0) CHECK_STATUS(scipix_batch_fail(batch, "again"), SCIPIX_ERR_INVALID_STATE);
    scipix_batch_free(batch);
  }
  return NULL;
}

static int32_t worker_callback(ScipixBatch *batch, void *user) {
  _Atomic uint64_t *seed = user;
  uint64_t s = atomic_fetch_add(seed, 0x9E3779B97F4A7C15ull) | 1;
  return run_model(batch, &s);
}

/* Takes the outcomes of odd producers' tickets from the completion queue. */
static void *drainer(void *arg) {
  (void)arg;
  for (;;) {
    uint64_t ticket = 0;
    ScipixStatus st = scipix_batcher_next_completed(batcher, 100, &ticket);
    if (st == SCIPIX_PENDING) continue;
    if (st == SCIPIX_ERR_SHUT_DOWN) break;
    CHECK_STATUS(st, SCIPIX_OK);
    if (st != SCIPIX_OK) break;
    uint64_t owner;
    while ((owner = atomic_load(&ticket_owner[ticket])) == 0) sleep_us(10);
    uint64_t req = owner - 1;
    if ((req / (uint64_t)n_requests) % 2 == 1) CHECK(take_outcome(ticket, req, 0) == 1);
  }
  return NULL;
}

static int run_phase(int which) {
  phase = which;
  total = (size_t)n_producers * (size_t)n_requests;
  ticket_owner = calloc(total + 1, sizeof *ticket_owner);
  fate = calloc(total + 1, sizeof *fate);
  resolved = calloc(total, sizeof *resolved);
  had_deadline = calloc(total, sizeof *had_deadline);
  atomic_store(&n_accepted, 0);
  atomic_store(&n_rejected, 0);
  atomic_store(&n_ok, 0);
  atomic_store(&n_failed, 0);
  atomic_store(&n_timeout, 0);
  atomic_store(&n_cancelled, 0);
  atomic_store(&stop_submitting, 0);

  ScipixBatcherConfig cfg = scipix_batcher_config_default();
  cfg.max_wait_ms = 2;
  CHECK_STATUS(scipix_batcher_new(&cfg, &batcher), SCIPIX_OK);
  _Atomic uint64_t worker_seed = 42;
  double t0 = now_s();
  pthread_t prod[64], cons[64], drain;
  for (int p = 0; p < n_producers; p++) pthread_create(&prod[p], NULL, producer, (void *)(intptr_t)p);
  if (which == PHASE_WORKERS) {
    CHECK_STATUS(scipix_batcher_start_workers(batcher, (size_t)n_consumers, worker_callback, (void *)&worker_seed),
                 SCIPIX_OK);
  } else {
    for (int c = 0; c < n_consumers; c++) pthread_create(&cons[c], NULL, consumer, (void *)(intptr_t)c);
  }
  pthread_create(&drain, NULL, drainer, NULL);

  if (which == PHASE_DRAIN || which == PHASE_CANCEL) {
    while (atomic_load(&n_accepted) < total / 2) sleep_us(200);
    CHECK_STATUS(scipix_batcher_shutdown(batcher, which == PHASE_DRAIN ? SCIPIX_SHUTDOWN_DRAIN : SCIPIX_SHUTDOWN_CANCEL),
                 SCIPIX_OK);
    atomic_store(&stop_submitting, 1);
  }
  for (int p = 0; p < n_producers; p++) pthread_join(prod[p], NULL);
  if (which == PHASE_FULL || which == PHASE_WORKERS)
    CHECK_STATUS(scipix_batcher_shutdown(batcher, SCIPIX_SHUTDOWN_DRAIN), SCIPIX_OK);
  if (which != PHASE_WORKERS)
    for (int c = 0; c < n_consumers; c++) pthread_join(cons[c], NULL);
  pthread_join(drain, NULL);
  double secs = now_s() - t0;

  ScipixBatcherStats s;
  CHECK_STATUS(scipix_batcher_stats(batcher, &s), SCIPIX_OK);
  uint64_t accepted = atomic_load(&n_accepted);
  CHECK(s.submitted == accepted);
  CHECK(s.rejected == atomic_load(&n_rejected));
  CHECK(s.queue_depth == 0 && s.in_flight == 0);
  CHECK(s.completed == atomic_load(&n_ok));
  CHECK(s.failed == atomic_load(&n_failed));
  CHECK(s.timed_out == atomic_load(&n_timeout));
  CHECK(s.cancelled == atomic_load(&n_cancelled));
  CHECK(s.completed + s.failed + s.timed_out + s.cancelled == s.submitted);
  if (which != PHASE_CANCEL) CHECK(s.cancelled == 0);
  if (which == PHASE_FULL || which == PHASE_WORKERS) CHECK(accepted == total);
  size_t need = 0;
  uint64_t hist[64];
  CHECK_STATUS(scipix_batcher_batch_size_histogram(batcher, hist, 64, &need), SCIPIX_OK);
  uint64_t nb = 0, items = 0;
  for (size_t k = 0; k < need; k++) {
    nb += hist[k];
    items += hist[k] * k;
  }
  CHECK(nb == s.batches);
  CHECK(items == s.completed + s.failed);
  /* Every accepted request resolved exactly once, every other one never. */
  uint64_t seen = 0;
  for (uint64_t t = 1; t <= accepted; t++) {
    uint64_t owner = atomic_load(&ticket_owner[t]);
    CHECK(owner != 0);
    if (owner == 0) continue;
    CHECK(atomic_load(&resolved[owner - 1]) == 1);
    seen++;
  }
  uint64_t ones = 0;
  for (size_t r = 0; r < total; r++) ones += atomic_load(&resolved[r]) == 1;
  CHECK(ones == seen && seen == accepted);
  printf("%-26s %7llu accepted %6llu rejected-full | ok %7llu failed %6llu timeout %5llu cancelled %6llu | "
         "%5.2f s %9.0f req/s | %llu batches, mean %.1f | queue wait p50 %.2f p99 %.2f ms | proc p50 %.3f p99 %.3f ms\n",
         phase_names[which], (unsigned long long)accepted, (unsigned long long)s.rejected,
         (unsigned long long)s.completed, (unsigned long long)s.failed, (unsigned long long)s.timed_out,
         (unsigned long long)s.cancelled, secs, (double)accepted / secs, (unsigned long long)s.batches,
         s.mean_batch_size, s.queue_wait_p50_ms, s.queue_wait_p99_ms, s.processing_p50_ms, s.processing_p99_ms);

  scipix_batcher_free(batcher);
  batcher = NULL;
  free((void *)ticket_owner);
  free((void *)fate);
  free((void *)resolved);
  free(had_deadline);
  return 0;
}

/* Bad input from C: statuses and messages, never crashes. */
static void bad_input(void) {
  ScipixBatcherConfig cfg = scipix_batcher_config_default();
  ScipixBatcher *b = NULL;
  cfg.max_batch_size = 0;
  CHECK_STATUS(scipix_batcher_new(&cfg, &b), SCIPIX_ERR_INVALID_ARGUMENT);
  CHECK(strstr(scipix_last_error_message(), "max_batch_size") != NULL);
  cfg = scipix_batcher_config_default();
  cfg.preferred_batch_size = cfg.max_batch_size + 1;
  CHECK_STATUS(scipix_batcher_new(&cfg, &b), SCIPIX_ERR_INVALID_ARGUMENT);
  cfg = scipix_batcher_config_default();
  cfg.max_queue_size = 0;
  CHECK_STATUS(scipix_batcher_new(&cfg, &b), SCIPIX_ERR_INVALID_ARGUMENT);
  CHECK(b == NULL);
  uint64_t t = 0;
  CHECK_STATUS(scipix_batcher_submit(NULL, "x", 1, -1, 0, &t), SCIPIX_ERR_NULL_POINTER);
  CHECK_STATUS(scipix_batcher_new(NULL, &b), SCIPIX_OK);
  ScipixResult *r = NULL;
  CHECK_STATUS(scipix_batcher_try_poll(b, 12345, &r), SCIPIX_ERR_NOT_FOUND);
  CHECK_STATUS(scipix_batcher_submit(b, "x", 1, -1, 0, &t), SCIPIX_OK);
  CHECK_STATUS(scipix_batcher_try_poll(b, t, &r), SCIPIX_PENDING);
  CHECK_STATUS(scipix_batcher_submit(b, "x", 1, -1, 99, &t), SCIPIX_ERR_INVALID_ARGUMENT);
  CHECK_STATUS(scipix_batcher_shutdown(b, 5), SCIPIX_ERR_INVALID_ARGUMENT);
  ScipixBatch *batch = NULL;
  CHECK_STATUS(scipix_batcher_next_batch(b, SCIPIX_WAIT_FOREVER, &batch), SCIPIX_OK);
  const void *res[1] = {"y"};
  size_t lens[1] = {1};
  CHECK_STATUS(scipix_batch_complete(batch, res, lens, 2), SCIPIX_ERR_INVALID_ARGUMENT);
  CHECK_STATUS(scipix_batch_complete(batch, res, lens, 1), SCIPIX_OK);
  CHECK_STATUS(scipix_batch_complete(batch, res, lens, 1), SCIPIX_ERR_INVALID_STATE);
  scipix_batch_free(batch);
  CHECK_STATUS(scipix_batcher_poll(b, t, 0, &r), SCIPIX_OK);
  scipix_result_free(r);
  CHECK_STATUS(scipix_batcher_poll(b, t, 0, &r), SCIPIX_ERR_NOT_FOUND);
  CHECK_STATUS(scipix_batcher_shutdown(b, SCIPIX_SHUTDOWN_CANCEL), SCIPIX_OK);
  CHECK_STATUS(scipix_batcher_next_batch(b, SCIPIX_WAIT_FOREVER, &batch), SCIPIX_ERR_SHUT_DOWN);
  CHECK_STATUS(scipix_batcher_submit(b, "x", 1, -1, 0, &t), SCIPIX_ERR_SHUT_DOWN);
  scipix_batcher_free(b);
  scipix_batcher_free(NULL);
  scipix_batch_free(NULL);
  scipix_result_free(NULL);
}

static int32_t slow_echo(ScipixBatch *batch, void *user) {
  (void)user;
  size_t n = scipix_batch_count(batch);
  const void *ptrs[32];
  size_t lens[32];
  for (size_t i = 0; i < n && i < 32; i++) scipix_batch_item(batch, i, &ptrs[i], &lens[i], NULL);
  sleep_us(500);
  return scipix_batch_complete(batch, ptrs, lens, n);
}

/* Freeing with work in flight: a batch still held by a consumer, resolved and unresolved
 * tickets never polled, and worker threads in the middle of callbacks. Everything must be
 * released (checked by the valgrind run) and the held batch must stay usable. */
static void free_with_work_in_flight(void) {
  ScipixBatcherConfig cfg = scipix_batcher_config_default();
  cfg.max_batch_size = 4;
  cfg.preferred_batch_size = 4;
  ScipixBatcher *b = NULL;
  CHECK_STATUS(scipix_batcher_new(&cfg, &b), SCIPIX_OK);
  uint64_t t;
  for (int i = 0; i < 12; i++) CHECK_STATUS(scipix_batcher_submit(b, "abcdef", 6, -1, 0, &t), SCIPIX_OK);
  ScipixBatch *done = NULL, *held = NULL;
  CHECK_STATUS(scipix_batcher_next_batch(b, 0, &done), SCIPIX_OK);
  const void *res[4] = {"r", "r", "r", "r"};
  size_t lens[4] = {1, 1, 1, 1};
  CHECK_STATUS(scipix_batch_complete(done, res, lens, 4), SCIPIX_OK); /* results never polled */
  scipix_batch_free(done);
  CHECK_STATUS(scipix_batcher_next_batch(b, 0, &held), SCIPIX_OK);
  scipix_batcher_free(b); /* 4 queued get cancelled, 4 results dropped, 4 in flight */
  const void *data = NULL;
  size_t len = 0;
  CHECK_STATUS(scipix_batch_item(held, 0, &data, &len, NULL), SCIPIX_OK);
  CHECK(len == 6 && memcmp(data, "abcdef", 6) == 0);
  CHECK_STATUS(scipix_batch_complete(held, res, lens, 4), SCIPIX_OK);
  scipix_batch_free(held);

  /* Callback workers busy when free is called: free joins them. */
  CHECK_STATUS(scipix_batcher_new(&cfg, &b), SCIPIX_OK);
  CHECK_STATUS(scipix_batcher_start_workers(b, 2, slow_echo, NULL), SCIPIX_OK);
  for (int i = 0; i < 200; i++) {
    ScipixStatus st = scipix_batcher_submit(b, "xyz", 3, -1, i % 4, &t);
    CHECK(st == SCIPIX_OK || st == SCIPIX_ERR_QUEUE_FULL);
  }
  scipix_batcher_free(b);
}

int main(int argc, char **argv) {
  if (argc > 1) n_producers = atoi(argv[1]);
  if (argc > 2) n_requests = atoi(argv[2]);
  if (argc > 3) n_consumers = atoi(argv[3]);
  if (n_producers < 1 || n_producers > 64 || n_requests < 1 || n_consumers < 1 || n_consumers > 64) {
    fprintf(stderr, "usage: %s [producers 1..64] [requests>=1] [consumers 1..64]\n", argv[0]);
    return 2;
  }
  printf("batch_stress: %d producers x %d requests, %d consumers\n", n_producers, n_requests, n_consumers);
  bad_input();
  free_with_work_in_flight();
  for (int ph = PHASE_FULL; ph <= PHASE_WORKERS; ph++) run_phase(ph);
  CHECK_DONE();
}
