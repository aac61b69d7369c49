/// How deep `StoreChecker` reads; each level includes the ones before it.
public enum CheckLevel: String, Sendable, CaseIterable, Comparable, Codable {
    /// Framing of every pack, index entries against records, index files, upload state files:
    /// headers, block tables and index files are read, payloads are not.
    case structure
    /// Also every payload block against its XXH3.
    case scrub
    /// Also every payload's digest (SHA-256 or SHA-512), or a sample of them.
    case verify

    private var rank: Int {
        switch self {
        case .structure: 0
        case .scrub: 1
        case .verify: 2
        }
    }

    public static func < (lhs: CheckLevel, rhs: CheckLevel) -> Bool { lhs.rank < rhs.rank }
}
