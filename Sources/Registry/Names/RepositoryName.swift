/// A repository name as the OCI distribution spec defines it:
/// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*`, at most 255
/// characters. Stowage reads the first component as the owner (a user or an organisation),
/// GitHub Packages style: `OWNER/REPOSITORY/IMAGE_NAME`.
public struct RepositoryName: Sendable, Hashable, Comparable, CustomStringConvertible {
    public static let maximumLength = 255

    public let description: String

    /// The components between slashes; the first is the owner.
    public var components: [Substring] { description.split(separator: "/") }
    public var owner: Substring { components[0] }

    public init(parsing string: String) throws {
        guard !string.isEmpty else { throw RepositoryNameError.empty }
        guard string.utf8.count <= Self.maximumLength else { throw RepositoryNameError.tooLong(string.utf8.count) }
        let parts = string.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        for (index, part) in parts.enumerated() {
            try Self.validate(component: part, index: index)
        }
        description = string
    }

    /// One path component: alphanumeric runs joined by `.`, `_`, `__` or any run of `-`.
    static func validate(component: Substring.UTF8View.SubSequence, index: Int) throws {
        let text = String(Substring(component))
        guard !component.isEmpty else { throw RepositoryNameError.emptyComponent(index: index) }
        if text == "." || text == ".." { throw RepositoryNameError.dotComponent(text) }
        var previousWasAlphanumeric = false
        var separator: [UInt8] = []
        for byte in component {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                if !separator.isEmpty {
                    guard isSeparator(separator) else { throw RepositoryNameError.invalidSeparator(String(decoding: separator, as: UTF8.self), component: text) }
                    separator.removeAll(keepingCapacity: true)
                }
                previousWasAlphanumeric = true
            case UInt8(ascii: "A")...UInt8(ascii: "Z"):
                throw RepositoryNameError.uppercase(component: text)
            case UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                guard previousWasAlphanumeric || !separator.isEmpty else { throw RepositoryNameError.leadingSeparator(component: text) }
                separator.append(byte)
                previousWasAlphanumeric = false
            default:
                throw RepositoryNameError.invalidCharacter(Character(Unicode.Scalar(byte)), component: text)
            }
        }
        guard separator.isEmpty else { throw RepositoryNameError.trailingSeparator(component: text) }
    }

    static func isSeparator(_ bytes: [UInt8]) -> Bool {
        switch bytes {
        case [UInt8(ascii: ".")], [UInt8(ascii: "_")], [UInt8(ascii: "_"), UInt8(ascii: "_")]: true
        default: bytes.allSatisfy { $0 == UInt8(ascii: "-") }
        }
    }

    public static func < (lhs: RepositoryName, rhs: RepositoryName) -> Bool { lhs.description < rhs.description }
}

/// Why a string is not a repository name; the registry answers NAME_INVALID with this text.
public enum RepositoryNameError: Error, Sendable, Equatable, CustomStringConvertible {
    case empty
    case tooLong(Int)
    case emptyComponent(index: Int)
    case dotComponent(String)
    case uppercase(component: String)
    case invalidCharacter(Character, component: String)
    case leadingSeparator(component: String)
    case trailingSeparator(component: String)
    case invalidSeparator(String, component: String)

    public var description: String {
        switch self {
        case .empty: "repository name is empty"
        case .tooLong(let length): "repository name is \(length) characters long; the limit is \(RepositoryName.maximumLength)"
        case .emptyComponent(let index): "repository name has an empty path component at position \(index + 1)"
        case .dotComponent(let text): "repository name component '\(text)' is not allowed"
        case .uppercase(let component): "repository name component '\(component)' must be lowercase"
        case .invalidCharacter(let character, let component): "repository name component '\(component)' contains '\(character)'"
        case .leadingSeparator(let component): "repository name component '\(component)' must start with a letter or digit"
        case .trailingSeparator(let component): "repository name component '\(component)' must end with a letter or digit"
        case .invalidSeparator(let separator, let component):
            "repository name component '\(component)' uses separator '\(separator)'; allowed are '.', '_', '__' and runs of '-'"
        }
    }
}
