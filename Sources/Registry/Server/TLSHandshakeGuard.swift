import HummingbirdCore
import Logging
import NIOCore
import NIOSSL
import NIOTLS

/// `ConnectionLimits` on a TLS connection, where the HTTP-level `ConnectionGuard` runs per
/// HTTP/2 stream and cannot see the connection itself: the connection counts against its
/// address's limit, and a TLS handshake not finished within the header timeout closes it (a
/// client that opens connections and never completes a handshake would otherwise hold them).
final class TLSHandshakeGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private let limits: ConnectionLimits
    private let counter: ConnectionCounter
    private var counted: String?
    private var deadline: Scheduled<Void>?

    init(limits: ConnectionLimits, counter: ConnectionCounter) {
        self.limits = limits
        self.counter = counter
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let address = context.channel.remoteAddress?.ipAddress ?? "unknown"
        guard counter.admit(address) else {
            context.close(promise: nil)
            return
        }
        counted = address
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: .seconds(limits.headerTimeout)) {
            context.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        release()
    }

    func channelInactive(context: ChannelHandlerContext) {
        release()
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted = event as? TLSUserEvent {
            deadline?.cancel()
            deadline = nil
        }
        context.fireUserInboundEventTriggered(event)
    }

    private func release() {
        deadline?.cancel()
        deadline = nil
        if let counted { counter.release(counted) }
        counted = nil
    }
}

/// A server child channel (`HTTP2UpgradeChannel` here) with a `TLSHandshakeGuard` placed right
/// after its TLS handler, where the handshake's completion is seen.
struct TLSGuardedChannel<Base: ServerChildChannel>: ServerChildChannel {
    let base: Base
    let limits: ConnectionLimits
    let counter: ConnectionCounter

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Base.Value> {
        base.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let pipeline = channel.pipeline.syncOperations
            let tls = try pipeline.context(handlerType: NIOSSLServerHandler.self)
            try pipeline.addHandler(TLSHandshakeGuard(limits: limits, counter: counter), position: .after(tls.handler))
            return value
        }
    }

    func handle(value: Base.Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}
