/// Why a string is not a digest. Each case names the rule the string broke, so that a client
/// that sent `sha256:ABC…` is told about the uppercase, not merely that the digest is invalid.
public enum DigestError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The string is empty.
    case empty
    /// There is no `:` between the algorithm and the encoded digest.
    case missingSeparator
    /// Nothing stands before the `:`.
    case emptyAlgorithm
    /// The algorithm is written with uppercase letters (`SHA256:`).
    case uppercaseAlgorithm(String)
    /// The algorithm is not one Stowage supports (sha256 and sha512).
    case unsupportedAlgorithm(String)
    /// The encoded part has the wrong length for the algorithm.
    case wrongLength(algorithm: DigestAlgorithm, expected: Int, actual: Int)
    /// The encoded part holds an uppercase hex digit; OCI digests are lowercase.
    case uppercaseHex(offset: Int)
    /// The encoded part holds a character that is not a hex digit.
    case invalidCharacter(offset: Int)

    public var description: String {
        switch self {
        case .empty:
            "digest is empty"
        case .missingSeparator:
            "digest has no ':' between algorithm and encoded value"
        case .emptyAlgorithm:
            "digest has no algorithm before ':'"
        case .uppercaseAlgorithm(let name):
            "digest algorithm '\(name)' must be lowercase"
        case .unsupportedAlgorithm(let name):
            "digest algorithm '\(name)' is not supported (use sha256 or sha512)"
        case .wrongLength(let algorithm, let expected, let actual):
            "\(algorithm.rawValue) digest must have \(expected) hex characters, not \(actual)"
        case .uppercaseHex(let offset):
            "digest hex must be lowercase (uppercase character at offset \(offset) of the encoded value)"
        case .invalidCharacter(let offset):
            "digest has a non-hex character at offset \(offset) of the encoded value"
        }
    }
}
