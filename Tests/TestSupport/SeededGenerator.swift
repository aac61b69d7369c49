import Foundation

/// SplitMix64: a small deterministic generator, so a failing randomised test reproduces from
/// the seed it prints.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    public mutating func bytes(_ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var index = 0
        while index < count {
            var word = next()
            for _ in 0..<Swift.min(8, count - index) {
                out[index] = UInt8(truncatingIfNeeded: word)
                word >>= 8
                index += 1
            }
        }
        return out
    }

    /// Splits `count` into random chunk lengths (each 0 to `maximum`), so hashers see empty
    /// updates, partial blocks and runs of whole blocks.
    public mutating func chunking(of count: Int, maximum: Int) -> [Int] {
        var lengths: [Int] = []
        var left = count
        while left > 0 {
            let length = Swift.min(left, Int.random(in: 0...maximum, using: &self))
            lengths.append(length)
            left -= length
        }
        return lengths
    }
}

extension SeededGenerator {
    public mutating func data(_ count: Int) -> Data { Data(bytes(count)) }
}
