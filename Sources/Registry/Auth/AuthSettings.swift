/// How the registry authenticates (README, "Accounts and access").
public struct AuthSettings: Sendable {
    public enum Mode: String, Sendable, CaseIterable {
        /// No authentication: everyone may do everything. Loopback only, unless forced.
        case none
        /// Docker token authentication with personal access tokens.
        case token
    }

    /// The `service` of challenges and the audience of tokens.
    public var service = "stowage"
    /// Seconds an access token lives; clients fetch a new one when it runs out.
    public var accessTokenLifetime: Int64 = 300
    /// Seconds a refresh token (what `docker login` keeps) lives.
    public var refreshTokenLifetime: Int64 = 90 * 24 * 3600
    /// Failures of one credential (user name, address and secret) within `failureWindow`
    /// seconds after which it is refused (429 with `Retry-After`) before it is checked, for a
    /// delay that doubles from one second with each further failure up to `maximumBackoff`.
    public var maximumFailures = 10
    public var failureWindow: Int64 = 300
    public var maximumBackoff: Int64 = 300
    /// Who may read `/metrics` when authentication is on.
    public var metricsAccess = MetricsAccess.administrators

    public enum MetricsAccess: String, Sendable, CaseIterable {
        /// Not served at all (404).
        case off
        /// Anyone who can connect.
        case open
        /// Site administrators, with Basic credentials (a personal access token of any scope).
        case administrators
    }

    public init() {}
}
