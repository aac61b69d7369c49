/// SHA-256 in Swift alone, for CPUs without a hardware path and as the reference the others are
/// tested against. The message schedule runs four words at a time in SIMD registers, interleaved
/// with the scalar rounds so that the out-of-order core overlaps the two. What is left is bound by
/// the rounds' dependency chains, so the round formulas are chosen for short ones.
///
/// Assumes a little-endian host (x86-64, arm64): the byte swap in `load` and the lane picks in
/// `sigma0` and `next` follow that lane order.
@usableFromInline
enum SHA256Portable {
    @usableFromInline
    static func compress(_ state: UnsafeMutablePointer<UInt32>, _ data: UnsafeRawPointer, blocks: Int) {
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 16) { schedule in
            // Taking the constants' address once per call keeps the array access out of the loop.
            roundConstants.withUnsafeBufferPointer { constants in
                var input = data
                for _ in 0..<blocks {
                    block(state, input, schedule.baseAddress!, UnsafeRawPointer(constants.baseAddress!))
                    input += 64
                }
            }
        }
    }

    @inline(__always)
    static func rotate(_ x: UInt32, _ n: UInt32) -> UInt32 {
        (x &>> n) | (x &<< (32 &- n))
    }

    /// Four big-endian words. SSE2 has no byte shuffle, so the swap is built from shifts.
    @inline(__always)
    static func load(_ block: UnsafeRawPointer, _ offset: Int) -> SIMD4<UInt32> {
        let x = block.loadUnaligned(fromByteOffset: offset, as: SIMD4<UInt32>.self)
        let halves = (x &<< 16) | (x &>> 16)
        return ((halves & 0x00ff_00ff) &<< 8) | ((halves &>> 8) & 0x00ff_00ff)
    }

    // Swift's SIMD shifts are per-lane loops that LLVM re-vectorises. Written as 32-bit rotates
    // they become scalar rotates (SSE2 has no vector rotate), and 32-bit left shifts get paired
    // across lanes into shuffles, so rotates are done as right shifts of 64-bit lanes holding
    // the word twice: the low half of (w:w) >> n is w rotated right by n.
    @inline(__always)
    static func rotatePairs(_ pairs: SIMD4<UInt32>, _ n: UInt64) -> SIMD4<UInt32> {
        unsafeBitCast(unsafeBitCast(pairs, to: SIMD2<UInt64>.self) &>> n, to: SIMD4<UInt32>.self)
    }

    @inline(__always)
    static func sigma0(_ x: SIMD4<UInt32>) -> SIMD4<UInt32> {
        let low = SIMD4(x[0], x[0], x[1], x[1]), high = SIMD4(x[2], x[2], x[3], x[3])
        let r0 = rotatePairs(low, 7) ^ rotatePairs(low, 18)
        let r1 = rotatePairs(high, 7) ^ rotatePairs(high, 18)
        return SIMD4(r0[0], r0[2], r1[0], r1[2]) ^ (x &>> 3)
    }

    /// σ1 of the two words given as (w0, w0, w1, w1); the results are in lanes 0 and 2.
    @inline(__always)
    static func sigma1(pairs: SIMD4<UInt32>) -> SIMD4<UInt32> {
        rotatePairs(pairs, 17) ^ rotatePairs(pairs, 19) ^ (pairs &>> 10)
    }

    /// W[t...t+3] from x0...x3 = W[t-16...t-1]. The last two words need σ1 of the first two,
    /// so σ1 is applied in two halves.
    @inline(__always)
    static func next(
        _ x0: SIMD4<UInt32>, _ x1: SIMD4<UInt32>, _ x2: SIMD4<UInt32>, _ x3: SIMD4<UInt32>
    ) -> SIMD4<UInt32> {
        let w15 = SIMD4(x0[1], x0[2], x0[3], x1[0])
        let w7 = SIMD4(x2[1], x2[2], x2[3], x3[0])
        var x = x0 &+ w7 &+ sigma0(w15)
        let low = sigma1(pairs: SIMD4(x3[2], x3[2], x3[3], x3[3]))
        x &+= SIMD4(low[0], low[2], 0, 0)
        let high = sigma1(pairs: SIMD4(x[0], x[0], x[1], x[1]))
        x &+= SIMD4(0, 0, high[0], high[2])
        return x
    }

    /// One round; `bc` carries b ^ c in and leaves a ^ b, which is the next round's b ^ c, so Maj
    /// costs three operations, one of them shared. Ch as g ^ (e & (f ^ g)) leaves two operations
    /// after e, as Σ1 has; h + W[t] + K[t] is added first as it does not wait for e.
    @inline(__always)
    static func round(
        _ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: inout UInt32,
        _ e: UInt32, _ f: UInt32, _ g: UInt32, _ h: inout UInt32, _ wk: UInt32, _ bc: inout UInt32
    ) {
        let ab = a ^ b
        let t1 = h &+ wk &+ (g ^ (e & (f ^ g))) &+ (rotate(e, 6) ^ rotate(e, 11) ^ rotate(e, 25))
        let t2 = (rotate(a, 2) ^ rotate(a, 13) ^ rotate(a, 22)) &+ (b ^ (ab & bc))
        bc = ab
        d &+= t1
        h = t1 &+ t2
    }

    /// One block. x0...x3 hold the last sixteen schedule words and `wk` the same words plus their
    /// round constants; after each four rounds the words they used are replaced by the words
    /// sixteen rounds on. The eight variables are renamed round by round instead of shifted.
    @inline(__always)
    static func block(
        _ state: UnsafeMutablePointer<UInt32>, _ input: UnsafeRawPointer,
        _ wk: UnsafeMutablePointer<UInt32>, _ k: UnsafeRawPointer
    ) {
        // `wk` has 16 words: i + 4 <= 16 for every store, and t + 4 <= 64 for every constant.
        @inline(__always) func set(_ i: Int, _ x: SIMD4<UInt32>, _ t: Int) {
            let constants = k.loadUnaligned(fromByteOffset: 4 * t, as: SIMD4<UInt32>.self)
            UnsafeMutableRawPointer(wk).storeBytes(of: x &+ constants, toByteOffset: 4 * i, as: SIMD4<UInt32>.self)
        }
        var x0 = load(input, 0), x1 = load(input, 16), x2 = load(input, 32), x3 = load(input, 48)
        set(0, x0, 0); set(4, x1, 4); set(8, x2, 8); set(12, x3, 12)
        var a = state[0], b = state[1], c = state[2], d = state[3]
        var e = state[4], f = state[5], g = state[6], h = state[7]
        var bc = b ^ c
        var t = 0
        while t < 64 {
            round(a, b, c, &d, e, f, g, &h, wk[0], &bc)
            round(h, a, b, &c, d, e, f, &g, wk[1], &bc)
            round(g, h, a, &b, c, d, e, &f, wk[2], &bc)
            round(f, g, h, &a, b, c, d, &e, wk[3], &bc)
            if t < 48 {
                x0 = next(x0, x1, x2, x3)
                set(0, x0, t + 16)
            }
            round(e, f, g, &h, a, b, c, &d, wk[4], &bc)
            round(d, e, f, &g, h, a, b, &c, wk[5], &bc)
            round(c, d, e, &f, g, h, a, &b, wk[6], &bc)
            round(b, c, d, &e, f, g, h, &a, wk[7], &bc)
            if t < 48 {
                x1 = next(x1, x2, x3, x0)
                set(4, x1, t + 20)
            }
            round(a, b, c, &d, e, f, g, &h, wk[8], &bc)
            round(h, a, b, &c, d, e, f, &g, wk[9], &bc)
            round(g, h, a, &b, c, d, e, &f, wk[10], &bc)
            round(f, g, h, &a, b, c, d, &e, wk[11], &bc)
            if t < 48 {
                x2 = next(x2, x3, x0, x1)
                set(8, x2, t + 24)
            }
            round(e, f, g, &h, a, b, c, &d, wk[12], &bc)
            round(d, e, f, &g, h, a, b, &c, wk[13], &bc)
            round(c, d, e, &f, g, h, a, &b, wk[14], &bc)
            round(b, c, d, &e, f, g, h, &a, wk[15], &bc)
            if t < 48 {
                x3 = next(x3, x0, x1, x2)
                set(12, x3, t + 28)
            }
            t += 16
        }
        state[0] &+= a; state[1] &+= b; state[2] &+= c; state[3] &+= d
        state[4] &+= e; state[5] &+= f; state[6] &+= g; state[7] &+= h
    }

    /// FIPS 180-4, 4.2.2.
    static let roundConstants: [UInt32] = [
        0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5,
        0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174,
        0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
        0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967,
        0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85,
        0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
        0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
        0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2,
    ]
}
