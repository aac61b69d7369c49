#ifndef CSHA256_H
#define CSHA256_H

#include <stddef.h>
#include <stdint.h>

// SHA-256 block functions. Each one compresses `blocks` whole 64-byte blocks from `data` into
// `state` (H0..H7 in the natural order of FIPS 180-4). None of them allocates or keeps state
// between calls; padding and partial blocks are the caller's business.
//
// A function may only be called when the matching `stowage_sha256_has_*` returns 1: each is
// compiled with a function-level target attribute, so the rest of the binary runs on any CPU.

#if defined(__x86_64__)
int stowage_sha256_has_shani(void);
void stowage_sha256_blocks_shani(uint32_t state[8], const uint8_t *data, size_t blocks);

int stowage_sha256_has_avx2(void);
void stowage_sha256_blocks_avx2(uint32_t state[8], const uint8_t *data, size_t blocks);
#endif

#if defined(__aarch64__)
int stowage_sha256_has_armv8(void);
void stowage_sha256_blocks_armv8(uint32_t state[8], const uint8_t *data, size_t blocks);
#endif

#endif
