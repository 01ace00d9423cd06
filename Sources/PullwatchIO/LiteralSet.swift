import CVectorscan
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Finds occurrences of any of a set of byte literals in a buffer in one pass — the gate's
/// engine: a Vectorscan (portable Hyperscan) literal database in block mode, compiled once
/// from the rules' literals (`hs_compile_lit_multi`: bytes as they are, no regex syntax).
///
/// Every occurrence is reported (no literal is "single match"), so a line is never dropped
/// because another line of its block held the same literal first. Vectorscan needs a scratch
/// region per concurrent scan: each thread clones one from the set's prototype on first use
/// and keeps it (thread-local, freed when the thread ends), so a scan allocates nothing.
public final class LiteralSet: @unchecked Sendable {
    // Written once in init and only read afterwards (the scratch is per thread).
    /// The literals searched for (empty ones dropped).
    public let literals: [[UInt8]]
    private let database: OpaquePointer?
    private let prototype: OpaquePointer?
    private let lengths: UnsafeMutablePointer<Int>
    private var scratchKey = pthread_key_t()
    /// Bytes given to one `hs_scan` call (its length is 32-bit); longer buffers are scanned in
    /// overlapping pieces.
    static let maxPiece = 1 << 30

    /// A set of `literals` (empty ones are ignored).
    public init(_ literals: [[UInt8]]) {
        self.literals = literals.filter { !$0.isEmpty }
        lengths = .allocate(capacity: max(self.literals.count, 1))
        for (i, l) in self.literals.enumerated() { lengths[i] = l.count }
        guard !self.literals.isEmpty else {
            database = nil; prototype = nil
            return
        }
        var db: OpaquePointer?
        var compileError: UnsafeMutablePointer<hs_compile_error_t>?
        let count = self.literals.count
        // Stable pointers to every literal's bytes for the duration of the compile.
        let storage = self.literals.map { l -> UnsafeMutablePointer<CChar> in
            let p = UnsafeMutablePointer<CChar>.allocate(capacity: l.count)
            l.withUnsafeBytes { p.update(from: $0.bindMemory(to: CChar.self).baseAddress!, count: l.count) }
            return p
        }
        defer { storage.forEach { $0.deallocate() } }
        var expressions: [UnsafePointer<CChar>?] = storage.map { UnsafePointer($0) }
        var flags = [UInt32](repeating: 0, count: count)
        var ids = (0..<count).map(UInt32.init)
        var lens = self.literals.map(\.count)
        let rc = hs_compile_lit_multi(&expressions, &flags, &ids, &lens, UInt32(count), UInt32(HS_MODE_BLOCK), nil, &db, &compileError)
        guard rc == HS_SUCCESS, let db else {
            let message = compileError.flatMap { $0.pointee.message.map { String(cString: $0) } } ?? "error \(rc)"
            if let compileError { hs_free_compile_error(compileError) }
            // The literals are plain bytes: only a failed allocation or a broken library gets here.
            fatalError("Vectorscan could not compile the gate's \(count) literals: \(message)")
        }
        database = db
        var scratch: OpaquePointer?
        guard hs_alloc_scratch(db, &scratch) == HS_SUCCESS, let scratch else { fatalError("Vectorscan: no scratch memory") }
        prototype = scratch
        pthread_key_create(&scratchKey) { hs_free_scratch(OpaquePointer($0)) }
    }

    deinit {
        // Other threads' clones stay until those threads end (a rules reload, not a loop).
        if let own = pthread_getspecific(scratchKey) { hs_free_scratch(OpaquePointer(own)) }
        if database != nil { pthread_key_delete(scratchKey) }
        hs_free_scratch(prototype)
        hs_free_database(database)
        lengths.deallocate()
    }

    /// This thread's scratch region.
    private func scratch() -> OpaquePointer? {
        if let own = pthread_getspecific(scratchKey) { return OpaquePointer(own) }
        var clone: OpaquePointer?
        guard hs_clone_scratch(prototype, &clone) == HS_SUCCESS, let clone else { fatalError("Vectorscan: no scratch memory") }
        pthread_setspecific(scratchKey, UnsafeRawPointer(clone))
        return clone
    }

    private struct Context {
        var hit: (Int) -> Bool
        let lengths: UnsafeMutablePointer<Int>
        let base: Int
    }

    /// Scans `buffer`, calling `hit` with each occurrence's start offset until it returns false.
    private func scan(_ buffer: UnsafeRawBufferPointer, _ hit: (Int) -> Bool) {
        guard let database, let base = buffer.baseAddress, buffer.count > 0 else { return }
        let longest = literals.map(\.count).max() ?? 1
        let scratch = scratch()
        withoutActuallyEscaping(hit) { hit in
            var start = 0
            while start < buffer.count {
                let end = min(buffer.count, start + Self.maxPiece)
                var context = Context(hit: hit, lengths: lengths, base: start)
                let rc = withUnsafeMutablePointer(to: &context) { ctx in
                    hs_scan(database, (base + start).assumingMemoryBound(to: CChar.self), UInt32(end - start), 0, scratch, { id, _, to, _, ctx in
                        let c = ctx!.assumingMemoryBound(to: Context.self)
                        return c.pointee.hit(c.pointee.base + Int(to) - c.pointee.lengths[Int(id)]) ? 0 : 1
                    }, ctx)
                }
                if rc == HS_SCAN_TERMINATED || end == buffer.count { return }
                // The next piece starts early enough to see an occurrence across the border.
                start = end - (longest - 1)
            }
        }
    }

    /// Calls `hit` with the start offset of every literal occurrence in `buffer`, in increasing
    /// order of their end.
    public func forEachHit(in buffer: UnsafeRawBufferPointer, _ hit: (Int) -> Void) {
        scan(buffer) { hit($0); return true }
    }

    /// True when `buffer` contains any literal.
    public func containsAny(_ buffer: UnsafeRawBufferPointer) -> Bool {
        var found = false
        scan(buffer) { _ in found = true; return false }
        return found
    }
}
