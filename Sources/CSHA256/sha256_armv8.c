// SHA-256 with the ARMv8 cryptographic extension (SHA256H, SHA256H2, SHA256SU0, SHA256SU1).
#if defined(__aarch64__)

#include "CSHA256.h"
#include "sha256_constants.h"

#include <arm_neon.h>

#if defined(__linux__)
#include <sys/auxv.h>
#ifndef HWCAP_SHA2
#define HWCAP_SHA2 (1 << 6)
#endif
#endif

int stowage_sha256_has_armv8(void) {
#if defined(__APPLE__)
    return 1; // Every Apple arm64 CPU has the SHA2 instructions.
#elif defined(__linux__)
    return (getauxval(AT_HWCAP) & HWCAP_SHA2) != 0;
#else
    return 0;
#endif
}

__attribute__((target("sha2")))
void stowage_sha256_blocks_armv8(uint32_t state[8], const uint8_t *data, size_t blocks) {
    uint32x4_t abcd = vld1q_u32(&state[0]);
    uint32x4_t efgh = vld1q_u32(&state[4]);

    for (; blocks > 0; blocks--, data += 64) {
        const uint32x4_t abcd_in = abcd;
        const uint32x4_t efgh_in = efgh;
        uint32x4_t w[4];

#pragma clang loop unroll(full)
        for (int g = 0; g < 16; g++) {
            if (g < 4) {
                w[g] = vreinterpretq_u32_u8(vrev32q_u8(vld1q_u8(data + 16 * g)));
            } else {
                w[g & 3] = vsha256su1q_u32(vsha256su0q_u32(w[g & 3], w[(g + 1) & 3]),
                                           w[(g + 2) & 3], w[(g + 3) & 3]);
            }
            const uint32x4_t wk = vaddq_u32(w[g & 3], vld1q_u32(&stowage_sha256_k[4 * g]));
            const uint32x4_t abcd_before = abcd;
            abcd = vsha256hq_u32(abcd, efgh, wk);
            efgh = vsha256h2q_u32(efgh, abcd_before, wk);
        }

        abcd = vaddq_u32(abcd, abcd_in);
        efgh = vaddq_u32(efgh, efgh_in);
    }

    vst1q_u32(&state[0], abcd);
    vst1q_u32(&state[4], efgh);
}

#endif
