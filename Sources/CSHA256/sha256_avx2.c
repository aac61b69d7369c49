// SHA-256 for x86-64 CPUs without the SHA extensions: the message schedule of two blocks at a
// time in AVX2 (one block per 128-bit lane), the rounds in scalar code with BMI2 rotates.
// The rounds are a serial dependency chain; moving the schedule into vector registers takes
// about a third of the instructions off the scalar ports, and computing it while the rounds of
// the first block run hides it entirely. What is left is the rounds' own chain and port load.
#if defined(__x86_64__)

#include "CSHA256.h"
#include "sha256_constants.h"

#include <cpuid.h>
#include <immintrin.h>

int stowage_sha256_has_avx2(void) {
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    // AVX needs the OS to save YMM state: OSXSAVE (ECX bit 27), then XCR0 bits 1 and 2.
    if (!(ecx & (1u << 27)) || !(ecx & (1u << 28))) return 0;
    unsigned int xcr0_lo, xcr0_hi;
    __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
    if ((xcr0_lo & 6) != 6) return 0;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return 0;
    const unsigned int avx2 = 1u << 5, bmi2 = 1u << 8;
    return (ebx & (avx2 | bmi2)) == (avx2 | bmi2);
}

#define STOWAGE_AVX2 __attribute__((target("avx2,bmi2"), always_inline)) static inline

STOWAGE_AVX2 __m256i ror_lanes(__m256i x, int n) {
    return _mm256_or_si256(_mm256_srli_epi32(x, n), _mm256_slli_epi32(x, 32 - n));
}

STOWAGE_AVX2 __m256i small_sigma0(__m256i x) {
    return _mm256_xor_si256(_mm256_xor_si256(ror_lanes(x, 7), ror_lanes(x, 18)), _mm256_srli_epi32(x, 3));
}

STOWAGE_AVX2 __m256i small_sigma1(__m256i x) {
    return _mm256_xor_si256(_mm256_xor_si256(ror_lanes(x, 17), ror_lanes(x, 19)), _mm256_srli_epi32(x, 10));
}

STOWAGE_AVX2 __m256i load_pair(const uint8_t *a, const uint8_t *b, int g) {
    const __m256i byteswap = _mm256_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL,
                                               0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    const __m128i lo = _mm_loadu_si128((const __m128i *)(a + 16 * g));
    const __m128i hi = _mm_loadu_si128((const __m128i *)(b + 16 * g));
    return _mm256_shuffle_epi8(_mm256_set_m128i(hi, lo), byteswap);
}

// W[t..t+3] of both blocks (one per 128-bit lane; alignr and shuffle work per lane, so the
// blocks never mix) from w16 = W[t-16..t-13], ..., w4 = W[t-4..t-1].
STOWAGE_AVX2 __m256i next_words(__m256i w16, __m256i w12, __m256i w8, __m256i w4) {
    const __m256i low_pair = _mm256_set_epi32(0, 0, -1, -1, 0, 0, -1, -1);
    const __m256i high_pair = _mm256_set_epi32(-1, -1, 0, 0, -1, -1, 0, 0);
    __m256i t = _mm256_add_epi32(w16, small_sigma0(_mm256_alignr_epi8(w12, w16, 4)));
    t = _mm256_add_epi32(t, _mm256_alignr_epi8(w4, w8, 4));
    // W[t] and W[t+1] need s1 of W[t-2] and W[t-1]; W[t+2] and W[t+3] need s1 of the two words
    // just made, hence the two halves.
    t = _mm256_add_epi32(t, _mm256_and_si256(small_sigma1(_mm256_shuffle_epi32(w4, 0xFE)), low_pair));
    return _mm256_add_epi32(t, _mm256_and_si256(small_sigma1(_mm256_shuffle_epi32(t, 0x40)), high_pair));
}

// Adds K[4g..4g+3] and stores the sums of the low lane to wk[0], of the high lane to wk[1].
STOWAGE_AVX2 void store_wk(__m256i w, int g, uint32_t wk[2][64]) {
    const __m256i k = _mm256_broadcastsi128_si256(_mm_load_si128((const __m128i *)&stowage_sha256_k[4 * g]));
    const __m256i sum = _mm256_add_epi32(w, k);
    _mm_store_si128((__m128i *)&wk[0][4 * g], _mm256_castsi256_si128(sum));
    _mm_store_si128((__m128i *)&wk[1][4 * g], _mm256_extracti128_si256(sum, 1));
}

STOWAGE_AVX2 uint32_t ror32(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

// Returns x unchanged but hides its value from the optimiser, so a sum is added in the order
// written instead of being reassociated into a longer dependency chain.
STOWAGE_AVX2 uint32_t pinned(uint32_t x) {
    __asm__("" : "+r"(x));
    return x;
}

// One round; the callers rotate the variable names instead of moving values. The critical path
// is e's: Sigma1 is three deep, so new e = (d + h + W + K + Ch) + Sigma1 with everything but
// Sigma1 summed beforehand is four. New a = new e - d + Maj + Sigma0. Maj is written as
// (a & (b ^ c)) + (b & c), whose terms have no bits in common; b ^ c and b & c are the previous
// round's a ^ b and a & b, carried in `bc` and `bandc`, so Maj is one operation deep in a and a's
// own chain is four as well. pinned() stops the compiler from reassociating the sums.
#define STOWAGE_ROUND(a, b, c, d, e, f, g, h, i)                                  \
    do {                                                                          \
        const uint32_t ahead = pinned(d + h + wk[i]);                             \
        const uint32_t s1 = ror32(e, 6) ^ ror32(e, 11) ^ ror32(e, 25);            \
        const uint32_t rest = bandc - d;                                          \
        d = pinned(ahead + (g ^ (e & (f ^ g)))) + s1;                             \
        const uint32_t s0 = ror32(a, 2) ^ ror32(a, 13) ^ ror32(a, 22);            \
        h = pinned(pinned(d + rest) + (a & bc)) + s0;                             \
        bc = a ^ b;                                                               \
        bandc = a & b;                                                            \
    } while (0)

// After four rounds the names have rotated by four; swapping the halves back lets every step of
// the loop use the same names. Once unrolled this is register renaming only.
#define STOWAGE_FOUR_ROUNDS(i)                         \
    do {                                               \
        STOWAGE_ROUND(a, b, c, d, e, f, g, h, i + 0);  \
        STOWAGE_ROUND(h, a, b, c, d, e, f, g, i + 1);  \
        STOWAGE_ROUND(g, h, a, b, c, d, e, f, i + 2);  \
        STOWAGE_ROUND(f, g, h, a, b, c, d, e, i + 3);  \
        uint32_t rotate = a; a = e; e = rotate;        \
        rotate = b; b = f; f = rotate;                 \
        rotate = c; c = g; g = rotate;                 \
        rotate = d; d = h; h = rotate;                 \
    } while (0)

// Compresses one block from wk_pair[block]. For block 0 it also computes W[16..63] of both
// blocks from w[] (W[0..15]), sixteen rounds ahead of their use: the vector units are otherwise
// idle during the rounds, so the schedule costs next to nothing, and block 1 then runs on stored
// W + K alone. `block` is a constant at every call, so the test folds away.
STOWAGE_AVX2 void compress(uint32_t state[8], uint32_t wk_pair[2][64], int block, __m256i w[4]) {
    const uint32_t *wk = wk_pair[block];
    uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
    uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
    uint32_t bc = b ^ c, bandc = b & c;
#pragma clang loop unroll(full)
    for (int i = 0; i < 64; i += 4) {
        // Keeps the rounds reading W + K from memory as an add operand; otherwise the compiler
        // forwards the stored vectors through vpextrd, two uops per word. wk_pair is passed so
        // the clobber covers it: a local whose address never escapes is not "memory".
        __asm__("" : : "r"(wk_pair) : "memory");
        if (block == 0 && i < 48) {
            // Group i / 4 + 4 is at most 15 as i < 48, so store_wk stays inside wk_pair.
            const __m256i next = next_words(w[0], w[1], w[2], w[3]);
            store_wk(next, i / 4 + 4, wk_pair);
            w[0] = w[1]; w[1] = w[2]; w[2] = w[3]; w[3] = next;
        }
        STOWAGE_FOUR_ROUNDS(i);
    }
    state[0] += a; state[1] += b; state[2] += c; state[3] += d;
    state[4] += e; state[5] += f; state[6] += g; state[7] += h;
}

// Compresses block `a`, then block `b` if `both`.
STOWAGE_AVX2 void compress_pair(uint32_t state[8], const uint8_t *a, const uint8_t *b, int both) {
    uint32_t wk_pair[2][64] __attribute__((aligned(16)));
    __m256i w[4];
#pragma clang loop unroll(full)
    for (int g = 0; g < 4; g++) {
        w[g] = load_pair(a, b, g);
        store_wk(w[g], g, wk_pair);
    }
    compress(state, wk_pair, 0, w);
    if (both) compress(state, wk_pair, 1, w);
}

__attribute__((target("avx2,bmi2")))
void stowage_sha256_blocks_avx2(uint32_t state[8], const uint8_t *data, size_t blocks) {
    for (; blocks >= 2; blocks -= 2, data += 128) compress_pair(state, data, data + 64, 1);
    // A lone last block is scheduled in both lanes; the second copy is simply not used.
    if (blocks == 1) compress_pair(state, data, data, 0);
}

#endif
