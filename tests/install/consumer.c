/* An outside program that links the installed scipix. Exits 0 when the header and the
 * library agree and a basic call works. */
#include <scipix.h>
#include <stdio.h>
#include <string.h>

int main(void) {
  if (scipix_abi_version() != SCIPIX_ABI_VERSION) return 1;
  if (strcmp(scipix_version(), SCIPIX_VERSION_STRING) != 0) return 2;
  if (scipix_set_opt_level(SCIPIX_OPT_FULL) != SCIPIX_OK) return 3;
  printf("consumer linked scipix %s (%s)\n", scipix_version(), scipix_cpu_features_string());
  return 0;
}
