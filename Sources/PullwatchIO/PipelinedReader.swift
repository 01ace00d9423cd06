import Foundation

/// Reads another `ByteReader` on a background thread into a bounded ring of chunks, so that
/// decompression and scanning of one large `.gz` run on two cores. Memory is bounded:
/// `chunkCount × chunkSize` (default 4 × 1 MiB) whatever the input size.
///
/// Errors from the upstream reader are delivered after all bytes read before them, as the
/// `ByteReader` contract requires.
public final class PipelinedReader: ByteReader {
    /// State shared by the reading and the producing thread. Both hold it strongly, so it
    /// outlives whichever side finishes last (the producer may still be leaving its final
    /// `unlock()` when the reader is released). Fields marked "locked" are only touched with
    /// `condition` held; a chunk's memory belongs to the side that holds its index.
    final class Pipe: @unchecked Sendable {
        let upstream: any ByteReader
        let chunkSize: Int
        let chunks: [UnsafeMutableRawBufferPointer]
        let condition = NSCondition()
        var filled: [(index: Int, count: Int)] = []   // locked
        var free: [Int]                                 // locked
        var finished = false                            // locked
        var failure: (any Error)?                       // locked
        var cancelled = false                           // locked

        init(_ upstream: any ByteReader, chunkSize: Int, chunkCount: Int) {
            self.upstream = upstream
            self.chunkSize = chunkSize
            chunks = (0..<max(2, chunkCount)).map { _ in .allocate(byteCount: chunkSize, alignment: 64) }
            free = Array(chunks.indices)
        }

        deinit { for c in chunks { c.deallocate() } }

        func produce() {
            while true {
                condition.lock()
                while free.isEmpty && !cancelled { condition.wait() }
                if cancelled { finished = true; condition.broadcast(); condition.unlock(); return }
                let index = free.removeFirst()
                condition.unlock()
                var count = 0
                var error: (any Error)?
                var eof = false
                while count < chunkSize {
                    do {
                        let n = try upstream.read(into: UnsafeMutableRawBufferPointer(rebasing: chunks[index][count...]))
                        if n == 0 { eof = true; break }
                        count += n
                    } catch let e {
                        error = e
                        break
                    }
                }
                condition.lock()
                if count > 0 { filled.append((index, count)) } else { free.append(index) }
                if eof || error != nil {
                    failure = error
                    finished = true
                }
                let done = finished
                condition.broadcast()
                condition.unlock()
                if done { return }
            }
        }
    }

    private let pipe: Pipe
    private var current: (index: Int, count: Int, position: Int)?

    /// Starts reading `upstream` ahead on a new thread.
    public init(_ upstream: any ByteReader, chunkSize: Int = 1 << 20, chunkCount: Int = 4) {
        let pipe = Pipe(upstream, chunkSize: chunkSize, chunkCount: chunkCount)
        self.pipe = pipe
        let thread = Thread { pipe.produce() }   // strong: the pipe lives until the thread is done
        thread.start()
    }

    deinit {
        // Stop a producer that is still reading ahead (the reader was dropped before the end).
        pipe.condition.lock()
        pipe.cancelled = true
        pipe.condition.broadcast()
        pipe.condition.unlock()
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0 else { return 0 }
        if current == nil {
            pipe.condition.lock()
            while pipe.filled.isEmpty && !pipe.finished { pipe.condition.wait() }
            if pipe.filled.isEmpty {
                let error = pipe.failure
                pipe.failure = nil
                pipe.condition.unlock()
                if let error { throw error }
                return 0
            }
            let next = pipe.filled.removeFirst()
            pipe.condition.unlock()
            current = (next.index, next.count, 0)
        }
        let c = current!
        let n = min(buffer.count, c.count - c.position)
        buffer.baseAddress!.copyMemory(from: pipe.chunks[c.index].baseAddress! + c.position, byteCount: n)
        if c.position + n == c.count {
            pipe.condition.lock()
            pipe.free.append(c.index)
            pipe.condition.signal()
            pipe.condition.unlock()
            current = nil
        } else {
            current = (c.index, c.count, c.position + n)
        }
        return n
    }
}

/// When decompression gets a thread of its own.
public enum InflatePipelining: Sendable, Equatable {
    /// Never (one thread per file).
    case off
    /// For gzip input, inflate on a separate thread (bounded hand-off of 4 × 1 MiB).
    case on

    /// The batch policy: a worker pipelines only when it has a spare core, i.e. when
    /// `jobs ≥ 2 × workers` (one large file with --jobs 2 pipelines; four files with
    /// --jobs 2 run two single-threaded workers, which scales better).
    public static func forBatch(jobs: Int, files: Int) -> InflatePipelining {
        let workers = max(1, min(jobs, files))
        return jobs >= 2 * workers ? .on : .off
    }
}
