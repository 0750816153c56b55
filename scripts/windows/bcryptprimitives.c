/* A stand-in for Windows' bcryptprimitives.dll, which wine 8 lacks: Rust's standard library
 * (since 1.78) imports ProcessPrng from it for random numbers (HashMap keys). This one fills
 * the buffer from RtlGenRandom (advapi32's SystemFunction036), which wine has. Built with
 * mingw-w64 by scripts/windows.sh and put in the wine prefix; never shipped. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
    while (length > 0) {
        ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk)) {
            return FALSE;
        }
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
