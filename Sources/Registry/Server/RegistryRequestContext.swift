import Hummingbird
import NIOCore

/// The per-request context: Hummingbird's core storage plus the peer's address, which failed
/// logins are rate-limited and logged by.
public struct RegistryRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}
