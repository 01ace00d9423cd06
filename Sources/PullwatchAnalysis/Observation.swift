import PullwatchIO
import PullwatchRecords
import PullwatchRules

/// One classified failure record, reduced to what counting and incidents need; aggregates and
/// live states sum it into their rollups (Event sightings are kept as they are).
public struct Observation: Codable, Sendable, Hashable {
    /// Nanoseconds since the epoch, when the record had a time.
    public var time: Int64?
    public var node: String?
    public var namespace: String?
    public var pod: String?
    public var cause: Cause
    public var rule: String
    /// Registry host (from the normalized image).
    public var registry: String?
    /// Repository path (from the normalized image).
    public var repository: String?
    /// The image as written in the record.
    public var image: String?
    /// `registry/repository[:tag][@digest]`: the key that correlates records of one pull.
    public var imageKey: String?
    /// The short form people write (`nginx:1.99`, `acme/x:1`, `ghcr.io/a/b:2`): the key of
    /// `by_image`, so `acme/x:1` and `docker.io/acme/x:1` count as one image.
    public var imageName: String?
    /// Event identity (`namespace/name`, or namespace/pod/reason/message for table rows).
    public var eventKey: String?
    /// The event's cumulative `count`.
    public var eventCount: Int?
    /// The message (for structured lines the error field): a sample of its incident, and for
    /// `unknown` failures the shape of the next rule.
    public var message: String?
    /// Where it came from.
    public var source: String
    public var line: Int

    /// The observation for a classified record.
    public init(record: Record, classification c: Classification) {
        time = record.timestamp?.nanoseconds
        node = record.node
        namespace = record.namespace
        pod = record.pod
        cause = c.cause
        rule = c.ruleID
        registry = c.registry
        repository = c.repository
        image = c.image
        if let image = c.image, case .success(let ref) = ImageReference.parse(image) {
            imageKey = ref.normalizedWithDefaultTag
            imageName = ref.familiar
        } else {
            imageKey = c.image
            imageName = c.image
        }
        if let e = record.event, record.format == .event || record.format == .describe || record.format == .eventTable {
            eventCount = e.count
            if let name = e.name {
                eventKey = (record.namespace ?? "") + "/" + name
            } else {
                eventKey = [record.namespace ?? "", record.pod ?? e.objectName ?? "", e.reason ?? "", record.message]
                    .joined(separator: "\u{1F}")
            }
        }
        // For structured lines the error field is the informative part of the message.
        message = record.field("err") ?? record.field("error") ?? record.message
        source = record.source
        line = record.line
    }

    /// Deterministic order: time (untimed last), then source and line.
    public static func ordered(_ a: Observation, _ b: Observation) -> Bool {
        switch (a.time, b.time) {
        case let (x?, y?) where x != y: return x < y
        case (nil, _?): return false
        case (_?, nil): return true
        default: break
        }
        if a.source != b.source { return a.source < b.source }
        return a.line < b.line
    }
}
