import NIOCore

/// Lets a connection read up to 1 MiB per read instead of NIO's default 64 KiB, then steps
/// aside. A layer push then reaches the handler in a sixteenth as many pieces, each a wake-up
/// of the request's task; NIO's adaptive allocator still starts small and shrinks back for
/// connections that only send small requests.
final class LargeReadsHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    static let maximumRead = 1 << 20

    func handlerAdded(context: ChannelHandlerContext) {
        let allocator = AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 2048, maximum: Self.maximumRead)
        context.channel.setOption(ChannelOptions.recvAllocator, value: allocator).whenComplete { _ in }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}
