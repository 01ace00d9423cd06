import PullwatchRules

/// One row key of the failure counts: failures are summed per minute, cause, registry, node,
/// namespace and image (the short form of `by_image`). A failure without a time counts in the
/// row with no minute.
public struct CountKey: Hashable, Sendable, Codable {
    public var minute: Int64?
    public var cause: Cause
    public var registry: String?
    public var node: String?
    public var namespace: String?
    public var image: String?

    public init(minute: Int64?, cause: Cause, registry: String?, node: String?, namespace: String?, image: String?) {
        self.minute = minute; self.cause = cause; self.registry = registry
        self.node = node; self.namespace = namespace; self.image = image
    }

    static let nanosPerMinute: Int64 = 60_000_000_000

    /// The minute of a time (floor, also before 1970).
    static func minute(of t: Int64?) -> Int64? {
        guard let t else { return nil }
        return t >= 0 ? t / nanosPerMinute : -((-t + nanosPerMinute - 1) / nanosPerMinute)
    }

    static func ordered(_ a: CountKey, _ b: CountKey) -> Bool {
        func k(_ x: CountKey) -> (Int64, String, String, String, String, String) {
            (x.minute ?? Int64.min, x.cause.rawValue, x.registry ?? "", x.node ?? "", x.namespace ?? "", x.image ?? "")
        }
        return k(a) < k(b)
    }
}

/// A row of the counts as stored (state files, the database).
public struct CountRow: Codable, Sendable, Equatable {
    public var key: CountKey
    public var n: Int
}

/// One pull attempt, summed: the failure records of one node and one normalized image that
/// follow each other with no pause longer than `Incidents.attemptWindow`. Attempts are session
/// windows, so two summaries of the same node and image whose time ranges overlap or lie within
/// the window of each other are one attempt: summaries merge exactly, whatever split of the input
/// produced them.
public struct AttemptRollup: Codable, Sendable, Equatable {
    public var node: String?
    public var imageKey: String?
    /// Time of the first and last record; nil for records without a time (never merged).
    public var start: Int64?
    public var end: Int64?
    /// The most specific cause among the records.
    public var cause: Cause
    /// Registry, repository and image of the earliest record that names them (`namedAt`).
    public var registry: String?
    public var repository: String?
    public var imageName: String?
    public var namedAt: Int64?
    /// Failure occurrences (event counts included).
    public var records: Int
    /// Every record says back-off (nothing was pulled), whatever cause the attempt takes later.
    public var backoffOnly: Bool
    /// A log line (not an event) with a cause other than back-off is among the records.
    public var lineFailures: Bool
    /// Occurrences of events with a cause other than back-off.
    public var eventFailures: Int
    /// `namespace/pod` → occurrences.
    public var pods: [String: Int]
    /// For `unknown` records: message shape → occurrences.
    public var shapes: [String: Int]
    /// The first few raw messages (bounded by `Incidents.sampleLimit`).
    public var samples: [String]

    /// The attempt one weighted observation starts.
    public init(_ o: Observation, weight: Int) {
        node = o.node
        imageKey = o.imageKey
        start = o.time
        end = o.time
        cause = o.cause
        if o.imageName != nil || o.registry != nil {
            registry = o.registry; repository = o.repository; imageName = o.imageName; namedAt = o.time
        }
        records = weight
        backoffOnly = o.cause == .backoff
        lineFailures = o.eventKey == nil && o.cause != .backoff
        eventFailures = o.eventKey != nil && o.cause != .backoff ? weight : 0
        pods = [:]
        if let pod = o.pod { pods[(o.namespace ?? "") + "/" + pod] = weight }
        shapes = [:]
        if o.cause == .unknown, let m = o.message { shapes[MessageShape.of(m)] = weight }
        samples = o.message.map { [$0] } ?? []
    }

    /// Pull attempts this summary stands for: none for back-off only (nothing was pulled); an
    /// event's occurrences are attempts; log lines of one pull are one.
    public var attempts: Int {
        backoffOnly ? 0 : max(lineFailures ? 1 : 0, eventFailures, 1)
    }

    /// Whether `other` (same node and image) belongs to the same attempt.
    func touches(_ other: AttemptRollup) -> Bool {
        guard let s = start, let e = end, let os = other.start, let oe = other.end else { return false }
        return os <= e + Incidents.attemptWindow && s <= oe + Incidents.attemptWindow
    }

    /// Adds another summary of the same attempt.
    mutating func absorb(_ o: AttemptRollup) {
        if let s = o.start { start = min(start ?? s, s) }
        if let e = o.end { end = max(end ?? e, e) }
        cause = Incidents.moreSpecific(cause, o.cause)
        if o.imageName != nil || o.registry != nil {
            let mine = (namedAt ?? Int64.max, imageName ?? "\u{10FFFF}")
            let theirs = (o.namedAt ?? Int64.max, o.imageName ?? "\u{10FFFF}")
            if imageName == nil && registry == nil || theirs < mine {
                registry = o.registry; repository = o.repository; imageName = o.imageName; namedAt = o.namedAt
            }
        }
        records += o.records
        backoffOnly = backoffOnly && o.backoffOnly
        lineFailures = lineFailures || o.lineFailures
        eventFailures += o.eventFailures
        for (k, v) in o.pods { pods[k, default: 0] += v }
        for (k, v) in o.shapes { shapes[k, default: 0] += v }
        Incidents.addSamples(o.samples, to: &samples)
    }

    /// Back-off records form attempts of their own (they say nothing was pulled): otherwise a
    /// back-off event between two retries would join them into one attempt.
    var isBackoff: Bool { backoffOnly }

    /// The node, image and kind whose records can join: summaries merge within one identity.
    var identity: String { Self.identity(node: node, imageKey: imageKey, backoff: isBackoff) }

    static func identity(node: String?, imageKey: String?, backoff: Bool) -> String {
        (node ?? "") + "\u{1F}" + (imageKey ?? "") + (backoff ? "\u{1F}b" : "")
    }

    static func ordered(_ a: AttemptRollup, _ b: AttemptRollup) -> Bool {
        (a.node ?? "", a.imageKey ?? "", a.isBackoff ? 1 : 0, a.start ?? Int64.max, a.end ?? Int64.max, a.records)
            < (b.node ?? "", b.imageKey ?? "", b.isBackoff ? 1 : 0, b.start ?? Int64.max, b.end ?? Int64.max, b.records)
    }

    /// Merges the summaries of one attempt: sorts and joins touching summaries of the same node
    /// and image. The result does not depend on the input order.
    static func normalize(_ attempts: [AttemptRollup]) -> [AttemptRollup] {
        let sorted = attempts.sorted(by: ordered)
        var out: [AttemptRollup] = []
        out.reserveCapacity(sorted.count)
        for a in sorted {
            if var last = out.last, last.node == a.node, last.imageKey == a.imageKey, last.isBackoff == a.isBackoff, last.touches(a) {
                last.absorb(a)
                out[out.count - 1] = last
            } else {
                out.append(a)
            }
        }
        return out
    }
}

extension AttemptRollup {
    /// The attempt as JSON, written directly (state commits write one per changed attempt;
    /// `JSONEncoder` was a tenth of a busy sink's time). `JSONDecoder` reads it as the
    /// synthesized `Decodable` does: property names as keys, nil properties left out.
    public func jsonBytes() -> [UInt8] {
        var w = JSONWriter()
        w.open()
        w.member("node", node)
        w.member("imageKey", imageKey)
        w.member("start", start)
        w.member("end", end)
        w.member("cause", cause.rawValue)
        w.member("registry", registry)
        w.member("repository", repository)
        w.member("imageName", imageName)
        w.member("namedAt", namedAt)
        w.member("records", Int64(records))
        w.member("backoffOnly", backoffOnly)
        w.member("lineFailures", lineFailures)
        w.member("eventFailures", Int64(eventFailures))
        w.member("pods", pods)
        w.member("shapes", shapes)
        w.key("samples")
        w.bytes.append(UInt8(ascii: "["))
        for (i, sample) in samples.enumerated() {
            if i > 0 { w.bytes.append(UInt8(ascii: ",")) }
            w.string(sample)
        }
        w.bytes.append(UInt8(ascii: "]"))
        w.close()
        return w.bytes
    }
}

/// A minimal JSON object writer for `AttemptRollup.jsonBytes`.
struct JSONWriter {
    var bytes: [UInt8] = []
    private var first = true

    mutating func open() { bytes.reserveCapacity(256); bytes.append(UInt8(ascii: "{")) }
    mutating func close() { bytes.append(UInt8(ascii: "}")) }

    mutating func key(_ k: StaticString) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        first = false
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: UnsafeBufferPointer(start: k.utf8Start, count: k.utf8CodeUnitCount))
        bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
    }

    mutating func member(_ k: StaticString, _ v: String?) { if let v { key(k); string(v) } }
    mutating func member(_ k: StaticString, _ v: Int64?) { if let v { key(k); bytes.append(contentsOf: String(v).utf8) } }
    mutating func member(_ k: StaticString, _ v: Bool) { key(k); bytes.append(contentsOf: (v ? "true" : "false").utf8) }

    mutating func member(_ k: StaticString, _ v: [String: Int]) {
        key(k)
        bytes.append(UInt8(ascii: "{"))
        for (i, (name, n)) in v.enumerated() {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            string(name)
            bytes.append(UInt8(ascii: ":"))
            bytes.append(contentsOf: String(n).utf8)
        }
        bytes.append(UInt8(ascii: "}"))
    }

    /// A JSON string: `"` and `\` escaped, control bytes as `\u00XX`, the rest as UTF-8.
    mutating func string(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        for c in s.utf8 {
            switch c {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                bytes.append(UInt8(ascii: "\\")); bytes.append(c)
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: Array("\\u00".utf8))
                bytes.append(hex[Int(c >> 4)]); bytes.append(hex[Int(c & 0xF)])
            default:
                bytes.append(c)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}

/// A Kubernetes Event object's occurrence count as seen at some time: the unit in which event
/// deltas are computed (DESIGN.md: an object seen again with a higher count adds the
/// difference). Sightings are kept per (object, count), the earliest one wins, so the deltas do
/// not depend on how the input was split.
public struct EventSighting: Codable, Sendable, Equatable {
    public var key: String
    public var count: Int
    public var observation: Observation

    static func ordered(_ a: EventSighting, _ b: EventSighting) -> Bool {
        if a.key != b.key { return a.key < b.key }
        if a.count != b.count { return a.count < b.count }
        return Observation.ordered(a.observation, b.observation)
    }
}

/// The highest count of an Event object whose occurrences are already counted (live state),
/// and when it was last seen (for retention).
public struct EventHigh: Codable, Sendable, Equatable {
    public var count: Int
    public var lastSeen: Int64?
    public init(count: Int, lastSeen: Int64?) { self.count = count; self.lastSeen = lastSeen }
}

/// One incident, summed: attempts of one incident key (cause, registry, and repository unless
/// the cause belongs to the registry) without a pause longer than `Incidents.quietGap`.
public struct IncidentRollup: Codable, Sendable, Equatable {
    /// `cause␟registry[␟repository]`.
    public var key: String
    public var cause: Cause
    public var first: Int64?
    public var last: Int64?
    public var records: Int
    public var attempts: Int
    public var nodes: [String: Int]
    public var pods: [String: Int]
    /// Images, registries and repositories by occurrences (the summary names the top one).
    public var images: [String: Int]
    public var registries: [String: Int]
    public var repositories: [String: Int]
    public var shapes: [String: Int]
    public var samples: [String]

    init(key: String, cause: Cause) {
        self.key = key; self.cause = cause
        records = 0; attempts = 0
        nodes = [:]; pods = [:]; images = [:]; registries = [:]; repositories = [:]; shapes = [:]; samples = []
    }

    /// Whether an attempt starting at `start` and ending at `end` continues this incident.
    func touches(start: Int64?, end: Int64?) -> Bool {
        guard let s = start, let e = end, let f = first, let l = last else { return false }
        return s <= l + Incidents.quietGap && f <= e + Incidents.quietGap
    }

    mutating func add(_ a: AttemptRollup) {
        if let s = a.start { first = min(first ?? s, s) }
        if let e = a.end { last = max(last ?? e, e) }
        records += a.records
        attempts += a.attempts
        if let n = a.node { nodes[n, default: 0] += a.records }
        for (k, v) in a.pods { pods[k, default: 0] += v }
        if let x = a.imageName { images[x, default: 0] += a.records }
        if let x = a.registry { registries[x, default: 0] += a.records }
        if let x = a.repository { repositories[x, default: 0] += a.records }
        for (k, v) in a.shapes { shapes[k, default: 0] += v }
        Incidents.addSamples(a.samples, to: &samples)
    }

    mutating func absorb(_ o: IncidentRollup) {
        if let f = o.first { first = min(first ?? f, f) }
        if let l = o.last { last = max(last ?? l, l) }
        records += o.records
        attempts += o.attempts
        for (k, v) in o.nodes { nodes[k, default: 0] += v }
        for (k, v) in o.pods { pods[k, default: 0] += v }
        for (k, v) in o.images { images[k, default: 0] += v }
        for (k, v) in o.registries { registries[k, default: 0] += v }
        for (k, v) in o.repositories { repositories[k, default: 0] += v }
        for (k, v) in o.shapes { shapes[k, default: 0] += v }
        Incidents.addSamples(o.samples, to: &samples)
    }
}
