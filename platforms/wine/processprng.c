/* bcryptprimitives.dll for wine 8, which lacks it: Rust's std on Windows takes its random
 * numbers (HashMap keys) from ProcessPrng there, so without this no Rust program starts
 * under wine 8 ("Library bcryptprimitives.dll ... not found"). Real Windows has the real one;
 * this is only copied into a wine prefix by platforms/run. */
#include <windows.h>
#include <bcrypt.h>

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    while (len > 0) {
        ULONG n = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (BCryptGenRandom(NULL, data, n, BCRYPT_USE_SYSTEM_PREFERRED_RNG) != 0) {
            return FALSE;
        }
        data += n;
        len -= n;
    }
    return TRUE;
}
