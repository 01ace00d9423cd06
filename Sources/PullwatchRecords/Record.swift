/// How a record's payload was written (the innermost format; `envelope` says how it was carried).
public enum RecordFormat: String, Sendable, Hashable, CaseIterable, Codable {
    /// klog, as kubelet writes it (`E1122 10:00:00.123456 2345 file.go:1] …`).
    case kubelet
    /// logrus `time="…" level=… msg="…"`, as containerd and CRI-O write it.
    case logrus
    /// A Kubernetes Event object (core/v1 or events.k8s.io/v1).
    case event
    /// A row of the Events table of `kubectl describe pod`.
    case describe
    /// A row of `kubectl get events`.
    case eventTable = "event-table"
    /// Free text (inside an envelope, or a line no format recognised).
    case plain
}

/// How a line carried its payload.
public enum Envelope: String, Sendable, Hashable, Codable {
    /// `journalctl` short text (default, short-iso, short-precise) or RFC 3164 syslog.
    case journal
    /// `journalctl -o json`.
    case journalJSON = "journal-json"
    /// RFC 5424 syslog.
    case syslog5424 = "syslog5424"
    /// CRI container log file (`time stream P|F text`).
    case cri
    /// Docker json-file log line.
    case dockerJSON = "docker-json"
    /// Some other JSON object with a message field (log shippers).
    case json
}

/// Details only Kubernetes Events carry, kept for occurrence counting.
public struct EventInfo: Sendable, Hashable {
    /// `metadata.name` of the Event object (nil for table rows).
    public var name: String?
    /// Occurrences so far (`count`, `series.count` or `deprecatedCount`; 1 when absent).
    public var count: Int
    /// `reason` (Failed, BackOff, Pulling, …).
    public var reason: String?
    /// `type` (Normal, Warning).
    public var type: String?
    /// Kind of the involved object (Pod, …).
    public var objectKind: String?
    /// Name of the involved object.
    public var objectName: String?

    /// An event detail record.
    public init(name: String? = nil, count: Int = 1, reason: String? = nil, type: String? = nil,
                objectKind: String? = nil, objectName: String? = nil) {
        self.name = name; self.count = count; self.reason = reason; self.type = type
        self.objectKind = objectKind; self.objectName = objectName
    }
}

/// One log record: a line (or a joined CRI line, or one Event object) parsed into fields.
public struct Record: Sendable, Hashable {
    /// When it happened, in UTC (nil when the input says nothing usable, e.g. an "Age" column).
    public var timestamp: Timestamp?
    /// The node (host) it came from.
    public var node: String?
    /// Who wrote it: kubelet, containerd, crio, event, … (syslog program name, journal identifier).
    public var component: String?
    /// Kubernetes namespace, when the record names a pod.
    public var namespace: String?
    /// Pod name.
    public var pod: String?
    /// Container name.
    public var container: String?
    /// Severity as written (`E`, `error`, `Warning`, …).
    public var level: String?
    /// The payload text with quoting undone: message plus its structured fields.
    public var message: String
    /// Structured fields (klog key/values, logrus fields), unquoted.
    public var fields: [Field]
    /// Payload format.
    public var format: RecordFormat
    /// Carrier format, if any.
    public var envelope: Envelope?
    /// Event details (for `event`, `describe`, `eventTable` records).
    public var event: EventInfo?
    /// Where the record starts: the source name and 1-based line number.
    public var source: String
    /// 1-based line number of the record's first line in its source.
    public var line: Int

    /// A bare record around `message`.
    public init(message: String, format: RecordFormat = .plain, source: String = "", line: Int = 0) {
        self.message = message
        self.format = format
        self.fields = []
        self.source = source
        self.line = line
    }

    /// The value of the first field named `key`.
    public func field(_ key: String) -> String? { fields.first { $0.key == key }?.value }
}
