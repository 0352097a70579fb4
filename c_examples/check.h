/* Tiny assertion helpers shared by the C tests. */
#ifndef SCIPIX_EXAMPLES_CHECK_H
#define SCIPIX_EXAMPLES_CHECK_H
#include <scipix.h>
#include <stdio.h>
#include <stdlib.h>

static int check_failures = 0;

/* Fails the test when cond is false; prints the expression and line. */
#define CHECK(cond)                                                              \
  do {                                                                           \
    if (!(cond)) {                                                               \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);   \
      check_failures++;                                                          \
    }                                                                            \
  } while (0)

/* Fails unless `expr` returns `want`; prints both statuses and the last error. */
#define CHECK_STATUS(expr, want)                                                 \
  do {                                                                           \
    ScipixStatus got_ = (expr);                                                  \
    if (got_ != (want)) {                                                        \
      fprintf(stderr, "%s:%d: %s returned %d (%s), want %d; last error: %s\n",   \
              __FILE__, __LINE__, #expr, (int)got_, scipix_status_str(got_),     \
              (int)(want), scipix_last_error_message());                         \
      check_failures++;                                                          \
    }                                                                            \
  } while (0)

/* Call at the end of main. */
#define CHECK_DONE()                                                             \
  do {                                                                           \
    if (check_failures) {                                                        \
      fprintf(stderr, "%d check(s) failed\n", check_failures);                   \
      return 1;                                                                  \
    }                                                                            \
    printf("all checks passed\n");                                               \
    return 0;                                                                    \
  } while (0)

#endif
