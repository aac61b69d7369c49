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
    /// Failed logins per user and address within `failureWindow` seconds before 429.
    public var maximumFailures = 10
    public var failureWindow: Int64 = 300

    public init() {}
}
