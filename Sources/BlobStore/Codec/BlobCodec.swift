/// How a pack record's payload is stored. The raw value is what the record header carries, so
/// cases may be added but never renumbered.
public enum BlobCodec: UInt8, Sendable {
    /// The payload is the blob's bytes as pushed.
    case verbatim = 0
    /// The payload is one zstd frame whose content is the blob's bytes.
    case zstd = 1
}
