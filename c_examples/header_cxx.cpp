// The header must compile and link as C++17.
#include <scipix.h>

#include <cstdio>
#include <cstring>

int main() {
  ScipixStatus s = scipix_set_opt_level(SCIPIX_OPT_FULL);
  if (s != SCIPIX_OK) return 1;
  if (std::strcmp(scipix_version(), SCIPIX_VERSION_STRING) != 0) return 2;
  std::printf("C++ sees scipix %s, status 0 is \"%s\"\n", scipix_version(), scipix_status_str(SCIPIX_OK));
  return 0;
}
