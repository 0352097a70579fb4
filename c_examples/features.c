/* Prints what scipix sees on this machine: version, CPU features, kernel family in use,
 * optimization level and thread count. Usage: features */
#include <scipix.h>
#include <stdio.h>
#include <string.h>

static const char *opt_name(ScipixOptLevel level) {
  switch (level) {
  case SCIPIX_OPT_NONE: return "none";
  case SCIPIX_OPT_SIMD: return "simd";
  case SCIPIX_OPT_PARALLEL: return "parallel";
  case SCIPIX_OPT_FULL: return "full";
  default: return "unknown";
  }
}

int main(void) {
  if (scipix_abi_version() != SCIPIX_ABI_VERSION) {
    fprintf(stderr, "ABI mismatch: header %d, library %u\n", SCIPIX_ABI_VERSION,
            scipix_abi_version());
    return 1;
  }
  if (strcmp(scipix_version(), SCIPIX_VERSION_STRING) != 0) {
    fprintf(stderr, "version mismatch: header %s, library %s\n", SCIPIX_VERSION_STRING,
            scipix_version());
    return 1;
  }
  printf("scipix %s (abi %u)\n", scipix_version(), scipix_abi_version());
  printf("cpu features: %s\n", scipix_cpu_features_string());
  printf("feature bits: 0x%llx\n", (unsigned long long)scipix_cpu_features());
  printf("best isa:     %s\n", scipix_isa_name(scipix_best_isa()));
  printf("isa cap:      %s\n", scipix_isa_name(scipix_get_max_isa()));
  printf("active isa:   %s\n", scipix_isa_name(scipix_active_isa()));
  printf("opt level:    %s (simd %s, parallel %s, memory %s)\n",
         opt_name(scipix_get_opt_level()), scipix_simd_enabled() ? "on" : "off",
         scipix_parallel_enabled() ? "on" : "off", scipix_memory_opt_enabled() ? "on" : "off");
  printf("threads:      %zu\n", scipix_get_num_threads());
  return 0;
}
