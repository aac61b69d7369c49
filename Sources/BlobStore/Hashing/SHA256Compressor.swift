import CSHA256

/// SHA-256's block function, dispatched to the implementation chosen for this hasher.
public struct SHA256Compressor: SHA2Compressor {
    public let implementation: SHA256Implementation

    public init(implementation: SHA256Implementation) {
        precondition(implementation.isAvailable, "SHA-256 implementation \(implementation) is not available on this CPU")
        self.implementation = implementation
    }

    public static var algorithm: DigestAlgorithm { .sha256 }
    public static var blockSize: Int { 64 }
    public static var initialState: ChainingState<UInt32> {
        ChainingState(0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19)
    }

    @inlinable
    public func compress(_ state: inout ChainingState<UInt32>, _ data: UnsafeRawPointer, blocks: Int) {
        state.withWords { words in
            switch implementation {
            case .shaExtensions:
                #if arch(x86_64)
                stowage_sha256_blocks_shani(words, data.assumingMemoryBound(to: UInt8.self), blocks)
                #else
                preconditionFailure("\(implementation) is not built for this architecture")
                #endif
            case .avx2:
                #if arch(x86_64)
                stowage_sha256_blocks_avx2(words, data.assumingMemoryBound(to: UInt8.self), blocks)
                #else
                preconditionFailure("\(implementation) is not built for this architecture")
                #endif
            case .armv8:
                #if arch(arm64)
                stowage_sha256_blocks_armv8(words, data.assumingMemoryBound(to: UInt8.self), blocks)
                #else
                preconditionFailure("\(implementation) is not built for this architecture")
                #endif
            case .portable:
                SHA256Portable.compress(words, data, blocks: blocks)
            }
        }
    }
}
