/// Why a pushed manifest was refused. The message is sent to the client in the MANIFEST_INVALID
/// error body, so it names the offending field (`layers[2].digest`) and the rule it broke.
public enum ManifestError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalid(String)

    public var description: String {
        switch self {
        case .invalid(let message): message
        }
    }
}
