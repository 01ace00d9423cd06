import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// Splits a TCP syslog stream into messages, per frame: RFC 6587 octet counting
/// (`LEN SP MSG`) when the frame starts with digits and a space, else LF framing (a message
/// per line, CR stripped). A message longer than `maxMessage` is cut, as `scan` cuts a line:
/// its first `maxMessage` bytes are the message, the rest up to the frame's end (its length, or
/// the newline) is skipped and counted (`too_long`) — never buffered, never a message of its own.
final class SyslogFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer
    let maxMessage: Int
    let metrics: SinkMetrics
    /// Bytes of an over-long octet-counted frame still to skip.
    private var skipBytes = 0
    /// The rest of an over-long LF-framed message is being skipped, up to its newline.
    private var skipLine = false
    init(maxMessage: Int, metrics: SinkMetrics) { self.maxMessage = maxMessage; self.metrics = metrics }

    func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        if skipBytes > 0 {
            let n = min(skipBytes, buffer.readableBytes)
            buffer.moveReaderIndex(forwardBy: n)
            skipBytes -= n
            return skipBytes == 0 ? .continue : .needMoreData
        }
        if skipLine {
            guard let nl = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
                buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
                return .needMoreData
            }
            buffer.moveReaderIndex(to: nl + 1)
            skipLine = false
            return .continue
        }
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
                let kept = min(length, maxMessage)
                guard buffer.readableBytes >= headerLength + kept else { return .needMoreData }
                buffer.moveReaderIndex(forwardBy: headerLength)
                let frame = buffer.readSlice(length: kept)!
                if length > kept {
                    metrics.rejected("too_long")
                    skipBytes = length - kept
                }
                context.fireChannelRead(wrapInboundOut(frame))
                return .continue
            }
        }
        let view = buffer.readableBytesView
        let limit = view.index(view.startIndex, offsetBy: min(view.count, maxMessage + 1))
        guard let nl = view[..<limit].firstIndex(of: UInt8(ascii: "\n")) else {
            if buffer.readableBytes > maxMessage {
                // Longer than the limit: the head is the message, the rest of the line is skipped.
                let frame = buffer.readSlice(length: maxMessage)!
                metrics.rejected("too_long")
                skipLine = true
                context.fireChannelRead(wrapInboundOut(frame))
                return .continue
            }
            return .needMoreData
        }
        let length = nl - buffer.readerIndex
        var frame = buffer.readSlice(length: length)!
        buffer.moveReaderIndex(forwardBy: 1)
        if frame.readableBytesView.last == UInt8(ascii: "\r") {
            frame = frame.getSlice(at: frame.readerIndex, length: frame.readableBytes - 1)!
        }
        context.fireChannelRead(wrapInboundOut(frame))
        return .continue
    }

    func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        if !skipLine && skipBytes == 0, buffer.readableBytes > 0, let rest = buffer.readSlice(length: buffer.readableBytes) {
            context.fireChannelRead(wrapInboundOut(rest))
        }
        buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
        return .needMoreData
    }
}

final class SyslogIngestHandler: ChannelInboundHandler, @unchecked Sendable {
    // Only touched on the channel's event loop.
    typealias InboundIn = ByteBuffer
    private var batch: [UInt8] = []
    private var inFlight = 0
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
        flush(context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        flush(context: context)
        context.fireChannelInactive()
    }

    /// Hands the burst to the ingestor and stops reading from this client until it is
    /// committed: a fast sender is slowed down by TCP instead of filling memory.
    private func flush(context: ChannelHandlerContext) {
        guard !batch.isEmpty else { return }
        let body = batch
        batch = []
        let ingestor = self.ingestor
        let channel = context.channel
        inFlight += 1
        _ = channel.setOption(ChannelOptions.autoRead, value: false)
        Task {
            // Syslog has no way to say "later": wait for room rather than drop.
            while !(await ingestor.admit()) { try? await Task.sleep(nanoseconds: 50_000_000) }
            do {
                _ = try await ingestor.ingest(body, source: "syslog")
            } catch {
                let lines = body.reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
                ingestor.metrics.rejected("commit_failed", lines)
                FileHandle.standardError.write(Data("pullwatch: serve: syslog batch of \(lines) lines not committed: \(error)\n".utf8))
            }
            await ingestor.release()
            channel.eventLoop.execute {
                self.inFlight -= 1
                if self.inFlight == 0 { _ = channel.setOption(ChannelOptions.autoRead, value: true) }
            }
        }
    }
}

/// The syslog TCP listener.
public enum SyslogServer {
    /// Binds `host:port`; returns the channel (close it to stop). With `tls`, every connection
    /// is TLS first (RFC 5425: syslog over TLS, octet counting), with the context current when
    /// it is accepted.
    public static func start(host: String, port: Int, ingestor: Ingestor, maxMessage: Int,
                             tls: TLSContextBox? = nil) async throws -> Channel {
        try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls.context)) }
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(SyslogFrameDecoder(maxMessage: maxMessage, metrics: ingestor.metrics)))
                    try channel.pipeline.syncOperations.addHandler(SyslogIngestHandler(ingestor: ingestor))
                }
            }
            .bind(host: host, port: port).get()
    }
}
