/* Checks from C that bad arguments give statuses and messages, never crashes, and that
 * the panic boundary holds. */
#include "check.h"
#include <string.h>

int main(void) {
  /* Panic boundary. */
  CHECK_STATUS(scipix_debug_panic(), SCIPIX_ERR_PANIC);
  CHECK(strstr(scipix_last_error_message(), "internal panic") != NULL);

  /* Bad enum values. */
  CHECK_STATUS(scipix_set_opt_level(99), SCIPIX_ERR_INVALID_ARGUMENT);
  CHECK(strstr(scipix_last_error_message(), "99") != NULL);
  CHECK_STATUS(scipix_set_max_isa(77, NULL), SCIPIX_ERR_INVALID_ARGUMENT);
  CHECK_STATUS(scipix_set_num_threads(1000000), SCIPIX_ERR_INVALID_ARGUMENT);

  /* Forcing the ISA: scalar always works; a foreign ISA clamps and says so. */
  ScipixIsa eff = 99;
  CHECK_STATUS(scipix_set_max_isa(SCIPIX_ISA_SCALAR, &eff), SCIPIX_OK);
  CHECK(eff == SCIPIX_ISA_SCALAR);
  CHECK(scipix_active_isa() == SCIPIX_ISA_SCALAR);
#if defined(__x86_64__)
  CHECK_STATUS(scipix_set_max_isa(SCIPIX_ISA_NEON, &eff), SCIPIX_OK);
  CHECK(eff == scipix_best_isa());
  CHECK(strstr(scipix_last_error_message(), "not available") != NULL);
#endif
  CHECK_STATUS(scipix_set_max_isa(scipix_best_isa(), NULL), SCIPIX_OK);

  /* Status strings. */
  CHECK(strcmp(scipix_status_str(SCIPIX_OK), "ok") == 0);
  CHECK(strcmp(scipix_status_str(SCIPIX_ERR_NULL_POINTER), "null pointer argument") == 0);
  CHECK(strcmp(scipix_status_str(-5), "unknown status code") == 0);

  /* Copying the last error, including truncation and length query. */
  scipix_set_opt_level(1234);
  size_t need = scipix_last_error_copy(NULL, 0);
  CHECK(need == strlen(scipix_last_error_message()));
  char small[8];
  CHECK(scipix_last_error_copy(small, sizeof small) == need);
  CHECK(strlen(small) == sizeof small - 1);

  /* Thread count round trip. */
  CHECK_STATUS(scipix_set_num_threads(2), SCIPIX_OK);
  CHECK(scipix_get_num_threads() == 2);
  CHECK_STATUS(scipix_set_num_threads(0), SCIPIX_OK);

  CHECK_DONE();
}
