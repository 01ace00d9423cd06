import Foundation
import PullwatchIO

/// Framing and the gate of one stream on a background thread, decoding and classification on
/// the caller's: the producer reads (and inflates), frames blocks of whole lines, searches each
/// block for the gate's literals once, and hands block copies with their sorted hit offsets
/// through a bounded ring (4 × `maxLineBytes + 1`); the caller decodes them in order
/// (`BlockDecoder.process(_:hits:…)`), so records, line numbers and errors are exactly those
/// of the one-thread path. Used when the batch policy gives a file a spare core
/// (`InflatePipelining.on`), plain text and gzip alike.
final class BlockPipeline: @unchecked Sendable {
    // Fields marked "locked" are only touched with `condition` held; a slot's memory belongs
    // to the side that holds its index.
    struct Item {
        var slot: Int
        var count: Int
        var firstLineNumber: Int
        var lineCount: Int
        var truncated: Bool
        var hits: [Int]
    }

    let slots: [UnsafeMutableRawBufferPointer]
    let condition = NSCondition()
    var ready: [Item] = []          // locked
    var free: [Int]                 // locked
    var finished = false            // locked
    var failure: (any Error)?       // locked
    var cancelled = false           // locked
    var stats = FramingStats()      // locked; final once `finished`

    init(slotBytes: Int, slotCount: Int = 4) {
        slots = (0..<max(2, slotCount)).map { _ in .allocate(byteCount: slotBytes, alignment: 64) }
        free = Array(slots.indices)
    }

    deinit { for s in slots { s.deallocate() } }

    /// The producer: frames `reader` with `framer`, copies each block into a free slot with its
    /// gate hits. Stops early when the consumer cancels.
    func produce(_ reader: any ByteReader, framer: LineFramer, gate: LiteralSet?) {
        var error: (any Error)?
        do {
            try framer.frame(reader) { block in
                condition.lock()
                while free.isEmpty && !cancelled { condition.wait() }
                if cancelled { condition.unlock(); throw CancellationError() }
                let slot = free.removeFirst()
                condition.unlock()
                let count = block.bytes.count
                if count > 0, let from = block.bytes.baseAddress {
                    slots[slot].baseAddress!.copyMemory(from: from, byteCount: count)
                }
                var hits: [Int] = []
                if let gate {
                    gate.forEachHit(in: UnsafeRawBufferPointer(start: slots[slot].baseAddress, count: count)) { hits.append($0) }
                    if hits.count > 1 { hits.sort() }
                }
                condition.lock()
                ready.append(Item(slot: slot, count: count, firstLineNumber: block.firstLineNumber,
                                  lineCount: block.lineCount, truncated: block.truncated, hits: hits))
                condition.broadcast()
                condition.unlock()
            }
        } catch is CancellationError {
        } catch let e {
            error = e
        }
        condition.lock()
        failure = error
        stats = framer.stats
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    /// What the producer reads with, set before it starts and then only touched by it.
    private var source: (reader: any ByteReader, framer: LineFramer, gate: LiteralSet?)?

    /// Starts the producer on a thread of its own (it holds the pipe until it is done).
    func start(_ reader: any ByteReader, framer: LineFramer, gate: LiteralSet?) {
        source = (reader, framer, gate)
        let thread = Thread { [self] in
            guard let s = source else { return }
            produce(s.reader, framer: s.framer, gate: s.gate)
        }
        thread.start()
    }

    /// The block view of `item` (valid until `release`).
    func view(_ item: Item) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: slots[item.slot].baseAddress, count: item.count)
    }

    /// The consumer: the next block (a view valid until `release`), or nil at the end.
    func next() -> Item? {
        condition.lock()
        defer { condition.unlock() }
        while ready.isEmpty && !finished { condition.wait() }
        return ready.isEmpty ? nil : ready.removeFirst()
    }

    func release(_ item: Item) {
        condition.lock()
        free.append(item.slot)
        condition.signal()
        condition.unlock()
    }

    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }
}
