import CZlib

/// Compresses bytes into one gzip member (for tests, fuzz seeds and shippers' clients).
public enum GzipCompressor {
    /// `bytes` as a complete gzip member at `level` (1–9).
    public static func compress(_ bytes: [UInt8], level: Int32 = 6) -> [UInt8] {
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer { deflateEnd(stream); stream.deinitialize(count: 1); stream.deallocate() }
        guard pw_deflate_init_gzip(stream, level) == Z_OK else { return [] }
        let bound = Int(deflateBound(stream, uLong(bytes.count))) + 32
        var out = [UInt8](repeating: 0, count: bound)
        var input = bytes
        let produced: Int = input.withUnsafeMutableBytes { inRaw in
            out.withUnsafeMutableBytes { outRaw in
                stream.pointee.next_in = inRaw.baseAddress?.assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_in = uInt(inRaw.count)
                stream.pointee.next_out = outRaw.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_out = uInt(outRaw.count)
                _ = deflate(stream, Z_FINISH)
                return outRaw.count - Int(stream.pointee.avail_out)
            }
        }
        return Array(out[..<produced])
    }
}
