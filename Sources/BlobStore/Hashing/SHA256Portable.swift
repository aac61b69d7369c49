/// SHA-256 in Swift alone, for CPUs without a hardware path and as the reference the others are
/// tested against. The message schedule is computed four words at a time in SIMD registers and
/// stored with the round constants added, so the scalar rounds do nothing but the rounds.
@usableFromInline
enum SHA256Portable {
    @usableFromInline
    static func compress(_ state: UnsafeMutablePointer<UInt32>, _ data: UnsafeRawPointer, blocks: Int) {
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { schedule in
            let w = schedule.baseAddress!
            var input = data
            for _ in 0..<blocks {
                expand(input, into: w)
                rounds(state, w)
                input += 64
            }
        }
    }

    @inline(__always)
    static func rotate(_ x: SIMD4<UInt32>, _ n: UInt32) -> SIMD4<UInt32> {
        (x &>> n) | (x &<< (32 &- n))
    }

    @inline(__always)
    static func rotate(_ x: UInt32, _ n: UInt32) -> UInt32 {
        (x &>> n) | (x &<< (32 &- n))
    }

    /// Writes W[t] + K[t] for t in 0..<64 to `w` (64 words).
    @inline(__always)
    static func expand(_ block: UnsafeRawPointer, into w: UnsafeMutablePointer<UInt32>) {
        let raw = UnsafeMutableRawPointer(w)
        for t in 0..<16 {
            w[t] = UInt32(bigEndian: block.loadUnaligned(fromByteOffset: 4 * t, as: UInt32.self))
        }
        // Four words per step: W[t...t+3] needs W[t-2] and W[t-1] for its first two words and
        // the two words just made for the last two, so s1 is applied in two halves (s1(0) = 0).
        // Every load and store below is within w[0..<64]: t - 16 >= 0 and t + 3 <= 63.
        var t = 16
        while t < 64 {
            let w16 = raw.loadUnaligned(fromByteOffset: 4 * (t - 16), as: SIMD4<UInt32>.self)
            let w15 = raw.loadUnaligned(fromByteOffset: 4 * (t - 15), as: SIMD4<UInt32>.self)
            let w7 = raw.loadUnaligned(fromByteOffset: 4 * (t - 7), as: SIMD4<UInt32>.self)
            let s0 = rotate(w15, 7) ^ rotate(w15, 18) ^ (w15 &>> 3)
            var x = w16 &+ s0 &+ w7
            let low = SIMD4<UInt32>(w[t - 2], w[t - 1], 0, 0)
            x &+= rotate(low, 17) ^ rotate(low, 19) ^ (low &>> 10)
            let high = SIMD4<UInt32>(0, 0, x[0], x[1])
            x &+= rotate(high, 17) ^ rotate(high, 19) ^ (high &>> 10)
            raw.storeBytes(of: x, toByteOffset: 4 * t, as: SIMD4<UInt32>.self)
            t += 4
        }
        SHA256Portable.roundConstants.withUnsafeBufferPointer { k in
            for t in stride(from: 0, to: 64, by: 4) {
                let words = raw.loadUnaligned(fromByteOffset: 4 * t, as: SIMD4<UInt32>.self)
                let constants = UnsafeRawPointer(k.baseAddress!).loadUnaligned(fromByteOffset: 4 * t, as: SIMD4<UInt32>.self)
                raw.storeBytes(of: words &+ constants, toByteOffset: 4 * t, as: SIMD4<UInt32>.self)
            }
        }
    }

    @inline(__always)
    static func round(
        _ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: inout UInt32,
        _ e: UInt32, _ f: UInt32, _ g: UInt32, _ h: inout UInt32, _ wk: UInt32
    ) {
        let t1 = h &+ (rotate(e, 6) ^ rotate(e, 11) ^ rotate(e, 25)) &+ (g ^ (e & (f ^ g))) &+ wk
        let t2 = (rotate(a, 2) ^ rotate(a, 13) ^ rotate(a, 22)) &+ ((a & b) | (c & (a | b)))
        d &+= t1
        h = t1 &+ t2
    }

    /// The 64 rounds over a schedule that already holds W[t] + K[t]. The eight variables are
    /// renamed round by round instead of shifted.
    @inline(__always)
    static func rounds(_ state: UnsafeMutablePointer<UInt32>, _ wk: UnsafeMutablePointer<UInt32>) {
        var a = state[0], b = state[1], c = state[2], d = state[3]
        var e = state[4], f = state[5], g = state[6], h = state[7]
        var t = 0
        while t < 64 {
            round(a, b, c, &d, e, f, g, &h, wk[t])
            round(h, a, b, &c, d, e, f, &g, wk[t + 1])
            round(g, h, a, &b, c, d, e, &f, wk[t + 2])
            round(f, g, h, &a, b, c, d, &e, wk[t + 3])
            round(e, f, g, &h, a, b, c, &d, wk[t + 4])
            round(d, e, f, &g, h, a, b, &c, wk[t + 5])
            round(c, d, e, &f, g, h, a, &b, wk[t + 6])
            round(b, c, d, &e, f, g, h, &a, wk[t + 7])
            t += 8
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
