/// The grammar of user and organisation names: one repository-name component (lowercase
/// alphanumeric runs joined by `.`, `_`, `__` or runs of `-`), at most 64 characters, so that
/// the name can be the first component of the repositories it owns.
public enum AccountName {
    public static let maximumLength = 64

    public static func validate(_ name: String) throws(AccountError) {
        guard !name.isEmpty else { throw .invalidName(name, reason: "it is empty") }
        guard name.utf8.count <= maximumLength else {
            throw .invalidName(name, reason: "it is longer than \(maximumLength) characters")
        }
        guard !name.utf8.contains(UInt8(ascii: "/")) else {
            throw .invalidName(name, reason: "it must be a single name component, without '/'")
        }
        do {
            try RepositoryName.validate(component: name.utf8[...], index: 0)
        } catch let error as RepositoryNameError {
            throw .invalidName(name, reason: Self.reason(error))
        } catch {
            throw .invalidName(name, reason: "\(error)")
        }
    }

    private static func reason(_ error: RepositoryNameError) -> String {
        switch error {
        case .uppercase: "it must be lowercase"
        case .invalidCharacter(let character, _): "it contains '\(character)'; allowed are a-z, 0-9, '.', '_' and '-'"
        case .leadingSeparator: "it must start with a letter or digit"
        case .trailingSeparator: "it must end with a letter or digit"
        case .invalidSeparator(let separator, _): "separator '\(separator)' is not allowed; use '.', '_', '__' or runs of '-'"
        case .dotComponent: "it must contain a letter or digit"
        default: error.description
        }
    }
}
