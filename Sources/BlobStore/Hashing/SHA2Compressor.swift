/// The block function of one SHA-2 hash: what differs between SHA-256 and SHA-512. Buffering,
/// padding and state export are shared, in `SHA2Hasher`.
public protocol SHA2Compressor: Sendable {
    /// The chaining-state word: UInt32 for SHA-256, UInt64 for SHA-512.
    associatedtype Word: FixedWidthInteger & UnsignedInteger & Sendable

    static var algorithm: DigestAlgorithm { get }
    /// Bytes per block: 64 or 128.
    static var blockSize: Int { get }
    /// H0..H7 before any input (FIPS 180-4, 5.3).
    static var initialState: ChainingState<Word> { get }

    /// Compresses `blocks` whole blocks starting at `data` into `state`.
    func compress(_ state: inout ChainingState<Word>, _ data: UnsafeRawPointer, blocks: Int)
}
