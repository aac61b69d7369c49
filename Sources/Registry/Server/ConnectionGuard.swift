import NIOCore
import NIOHTTPTypes

/// Enforces `ConnectionLimits` on one connection: it is refused at once if its address holds
/// too many, closed if the next request's headers are not complete within the header timeout,
/// and closed if a request body stops arriving for the body idle timeout. Runs on the
/// connection's event loop, so its state needs no lock.
///
/// A request only moves a deadline; one check a second per connection closes it once the
/// deadline has passed. (A timer scheduled and cancelled at every request's head and end was a
/// measurable part of a small request's cost.) Timeouts are therefore kept to within a second.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let limits: ConnectionLimits
    private let counter: ConnectionCounter
    /// The address this connection was counted under; nil until it was admitted.
    private var counted: String?
    private var started = false
    /// When the connection is closed unless a request moves on first; nil while the server
    /// answers (a slow answer is not the client's fault).
    private var deadline: NIODeadline?
    private var check: Scheduled<Void>?

    init(limits: ConnectionLimits, counter: ConnectionCounter) {
        self.limits = limits
        self.counter = counter
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        stop()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stop()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head, .body:
            // Headers done, or body bytes arrived: the body may now idle for its timeout.
            arm(seconds: limits.bodyIdleTimeout)
        case .end:
            // The request is read; the server's answer is not the client's to hurry.
            cancel()
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            // The next request's headers must come within the header timeout.
            arm(seconds: limits.headerTimeout)
        }
        context.write(data, promise: promise)
    }

    private func start(_ context: ChannelHandlerContext) {
        guard !started else { return }
        started = true
        let address = context.channel.remoteAddress?.ipAddress ?? "unknown"
        guard counter.admit(address) else {
            context.close(promise: nil)
            return
        }
        counted = address
        arm(seconds: limits.headerTimeout)
        scheduleCheck(context)
    }

    private func stop() {
        check?.cancel()
        check = nil
        deadline = nil
        if let counted { counter.release(counted) }
        counted = nil
    }

    private func arm(seconds: Int64) {
        deadline = .now() + .seconds(seconds)
    }

    private func cancel() {
        deadline = nil
    }

    private func scheduleCheck(_ context: ChannelHandlerContext) {
        check = context.eventLoop.assumeIsolated().scheduleTask(in: .seconds(1)) { [self] in
            if let deadline, deadline <= .now() {
                context.close(promise: nil)
            } else if counted != nil {
                scheduleCheck(context)
            }
        }
    }
}
