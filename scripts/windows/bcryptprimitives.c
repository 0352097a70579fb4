/*
 * Test tooling only: a stand-in for Windows' bcryptprimitives.dll for Wine versions that
 * lack ProcessPrng (Debian 12's Wine 8). Rust's standard library imports ProcessPrng on
 * Windows, so without it no Rust executable starts under such a Wine. Windows 10 and
 * later ship the real DLL; this file is never installed or shipped.
 *
 * ProcessPrng fills the buffer from advapi32's RtlGenRandom (SystemFunction036), which
 * takes a 32-bit length, hence the loop.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    while (len > 0) {
        ULONG chunk = len > 0x7fffffff ? 0x7fffffff : (ULONG)len;
        if (!SystemFunction036(data, chunk)) {
            return FALSE;
        }
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
