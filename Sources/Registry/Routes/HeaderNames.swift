import HTTPTypes

/// Headers of the Docker and OCI distribution protocols.
extension HTTPField.Name {
    static let dockerContentDigest = Self("Docker-Content-Digest")!
    static let dockerUploadUUID = Self("Docker-Upload-UUID")!
    static let dockerDistributionAPIVersion = Self("Docker-Distribution-API-Version")!
    static let ociSubject = Self("OCI-Subject")!
    static let ociFiltersApplied = Self("OCI-Filters-Applied")!
    static let ociTag = Self("OCI-Tag")!
    static let link = Self("Link")!
    static let requestID = Self("X-Request-Id")!
    /// Believed only from a trusted proxy (`TrustedProxies`); removed from anyone else's request.
    static let xForwardedFor = Self("X-Forwarded-For")!
    static let xForwardedProto = Self("X-Forwarded-Proto")!
    static let xForwardedHost = Self("X-Forwarded-Host")!
    /// The pages' protections (PageRenderer).
    static let contentSecurityPolicy = Self("Content-Security-Policy")!
    static let xContentTypeOptions = Self("X-Content-Type-Options")!
    static let xFrameOptions = Self("X-Frame-Options")!
    static let referrerPolicy = Self("Referrer-Policy")!
}
