import NIOCore
import NIOPosix

/// Splits a TCP syslog stream into messages, per frame: RFC 6587 octet counting
/// (`LEN SP MSG`) when the frame starts with digits and a space, else LF framing (a message
/// per line, CR stripped). A message longer than `maxMessage` is cut and the rest skipped.
final class SyslogFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer
    let maxMessage: Int
    init(maxMessage: Int) { self.maxMessage = maxMessage }

    func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let first = buffer.readableBytesView.first else { return .needMoreData }
        if first == UInt8(ascii: "\n") || first == UInt8(ascii: "\r") { buffer.moveReaderIndex(forwardBy: 1); return .continue }
        if first >= UInt8(ascii: "1") && first <= UInt8(ascii: "9") {
            // Octet counting if digits are followed by a space.
            let view = buffer.readableBytesView
            var length = 0, i = view.startIndex, digits = 0
            while i < view.endIndex, view[i] >= 0x30, view[i] <= 0x39, digits < 9 {
                length = length * 10 + Int(view[i] - 0x30); i += 1; digits += 1
            }
            if i == view.endIndex { return .needMoreData }
            if view[i] == UInt8(ascii: " ") {
                let headerLength = digits + 1
                guard buffer.readableBytes >= headerLength + length else { return .needMoreData }
                buffer.moveReaderIndex(forwardBy: headerLength)
                var frame = buffer.readSlice(length: length)!
                if frame.readableBytes > maxMessage { frame = frame.getSlice(at: frame.readerIndex, length: maxMessage)! }
                context.fireChannelRead(wrapInboundOut(frame))
                return .continue
            }
        }
        guard let nl = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
            if buffer.readableBytes > maxMessage {
                let frame = buffer.readSlice(length: maxMessage)!
                context.fireChannelRead(wrapInboundOut(frame))
                return .continue
            }
            return .needMoreData
        }
        let length = nl - buffer.readerIndex
        var frame = buffer.readSlice(length: length)!
        buffer.moveReaderIndex(forwardBy: 1)
        if frame.readableBytesView.last == UInt8(ascii: "\r") { frame = frame.getSlice(at: frame.readerIndex, length: frame.readableBytes - 1)! }
        context.fireChannelRead(wrapInboundOut(frame))
        return .continue
    }

    func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        if buffer.readableBytes > 0, let rest = buffer.readSlice(length: buffer.readableBytes) {
            context.fireChannelRead(wrapInboundOut(rest))
        }
        return .needMoreData
    }
}

/// Gathers the messages of one read burst and hands them to the ingestor as one batch.
final class SyslogIngestHandler: ChannelInboundHandler, @unchecked Sendable {
    // Only touched on the channel's event loop.
    typealias InboundIn = ByteBuffer
    private var batch: [UInt8] = []
    private let ingestor: Ingestor

    init(ingestor: Ingestor) { self.ingestor = ingestor }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var frame = unwrapInboundIn(data)
        if let bytes = frame.readBytes(length: frame.readableBytes) {
            // One message per line: newlines inside an octet-counted message become spaces.
            batch.append(contentsOf: bytes.map { $0 == UInt8(ascii: "\n") ? UInt8(ascii: " ") : $0 })
            batch.append(UInt8(ascii: "\n"))
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flush()
    }

    func channelInactive(context: ChannelHandlerContext) {
        flush()
        context.fireChannelInactive()
    }

    private func flush() {
        guard !batch.isEmpty else { return }
        let body = batch
        batch = []
        let ingestor = self.ingestor
        Task {
            // Syslog has no way to say "later": wait for room rather than drop.
            while !(await ingestor.admit()) { try? await Task.sleep(nanoseconds: 50_000_000) }
            _ = try? await ingestor.ingest(body, source: "syslog")
        }
    }
}

/// The syslog TCP listener.
public enum SyslogServer {
    /// Binds `host:port`; returns the channel (close it to stop).
    public static func start(host: String, port: Int, ingestor: Ingestor, maxMessage: Int) async throws -> Channel {
        try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(SyslogFrameDecoder(maxMessage: maxMessage)))
                    try channel.pipeline.syncOperations.addHandler(SyslogIngestHandler(ingestor: ingestor))
                }
            }
            .bind(host: host, port: port).get()
    }
}
