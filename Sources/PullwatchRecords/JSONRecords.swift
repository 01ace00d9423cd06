/// Turns decoded JSON values into records: journald JSON, Docker json-file lines,
/// Kubernetes Events (single objects, Lists, watch envelopes) and shipper records.
public enum JSONRecords {
    /// What a JSON value contained.
    public enum Decoded {
        /// Records to emit.
        case records([Record])
        /// A Docker json-file fragment whose `log` did not end in a newline: a partial line
        /// (Docker splits lines at 16 KiB) to be joined with the next fragment of its stream.
        case dockerPartial(stream: String, text: String, timestamp: Timestamp?)
        /// A Docker json-file line ending a line (possibly joined to earlier partials).
        case dockerLine(stream: String, text: String, timestamp: Timestamp?)
    }

    /// Decodes a parsed value.
    public static func decode(_ value: JSONValue, source: String, line: Int, years: YearInference,
                              keys: RecordKeys = RecordKeys()) -> Decoded {
        if let array = value.array {
            return .records(array.flatMap { element -> [Record] in
                if case .records(let r) = decode(element, source: source, line: line, years: years, keys: keys) { return r }
                return []
            })
        }
        guard value.isObject else { return .records([]) }
        // kubectl get events -o json: a List.
        if let items = value["items"]?.array {
            return .records(items.compactMap { $0.isObject ? event($0, source: source, line: line) : nil })
        }
        // Watch envelope {"type": "ADDED", "object": {...}}.
        if value["type"]?.stringValue != nil, let inner = value["object"], inner.isObject {
            return .records(event(inner, source: source, line: line).map { [$0] } ?? [])
        }
        if value["involvedObject"] != nil || value["regarding"] != nil || value["kind"]?.stringValue == "Event" {
            return .records(event(value, source: source, line: line).map { [$0] } ?? [])
        }
        if value["__REALTIME_TIMESTAMP"] != nil || value["_HOSTNAME"] != nil || value["MESSAGE"] != nil {
            return .records(journal(value, source: source, line: line, years: years, keys: keys).map { [$0] } ?? [])
        }
        if let log = value["log"]?.stringValue, let stream = value["stream"]?.stringValue, value["time"] != nil {
            let t = value["time"]?.stringValue.flatMap(TimeParsing.rfc3339)
            if log.hasSuffix("\n") {
                return .dockerLine(stream: stream, text: String(log.dropLast()), timestamp: t)
            }
            return .dockerPartial(stream: stream, text: log, timestamp: t)
        }
        return .records(generic(value, source: source, line: line, years: years, keys: keys).map { [$0] } ?? [])
    }

    /// The first of `keys` holding a non-empty string or number; a dotted key is a path.
    static func first(_ object: JSONValue, _ keys: [String]) -> String? {
        for key in keys {
            if let v = object[key]?.text { return v }
            if key.utf8.contains(UInt8(ascii: ".")), let v = object[key.split(separator: ".").map(String.init)]?.text { return v }
        }
        return nil
    }

    /// A core/v1 or events.k8s.io/v1 Event.
    ///
    /// Node: `source.host`, else `deprecatedSource.host`, else `reportingInstance`.
    /// Count: `count`, else `series.count`, else `deprecatedCount`, else 1.
    /// Time: the latest of lastTimestamp, series.lastObservedTime, eventTime, deprecatedLastTimestamp,
    /// firstTimestamp, metadata.creationTimestamp that is set (in that order of preference).
    public static func event(_ e: JSONValue, source: String, line: Int) -> Record? {
        let message = e["message"]?.text ?? e["note"]?.text ?? ""
        var r = Record(message: message, format: .event, source: source, line: line)
        r.component = "event"
        let involved = [e["involvedObject"], e["regarding"]].lazy.compactMap { $0 }.first { $0.isObject }
        r.node = e[["source", "host"]]?.text ?? e[["deprecatedSource", "host"]]?.text ?? e["reportingInstance"]?.text
        r.namespace = involved?["namespace"]?.text ?? e[["metadata", "namespace"]]?.text
        let kind = involved?["kind"]?.text
        if kind == "Pod" { r.pod = involved?["name"]?.text }
        if let fieldPath = involved?["fieldPath"]?.text, let open = fieldPath.firstIndex(of: "{"), fieldPath.hasSuffix("}") {
            r.container = String(fieldPath[fieldPath.index(after: open)..<fieldPath.index(before: fieldPath.endIndex)])
        }
        r.level = e["type"]?.text
        let count = e["count"]?.int ?? e[["series", "count"]]?.int ?? e["deprecatedCount"]?.int ?? 1
        r.event = EventInfo(name: e[["metadata", "name"]]?.text, count: max(count, 1),
                            reason: e["reason"]?.text, type: e["type"]?.text,
                            objectKind: kind, objectName: involved?["name"]?.text)
        for key in [["lastTimestamp"], ["series", "lastObservedTime"], ["eventTime"], ["deprecatedLastTimestamp"],
                    ["firstTimestamp"], ["deprecatedFirstTimestamp"], ["metadata", "creationTimestamp"]] {
            if let s = e[key]?.text, let t = TimeParsing.rfc3339(s) { r.timestamp = t; break }
        }
        return r
    }

    /// `journalctl -o json`: every value a string; MESSAGE a string, a byte array (non-UTF-8
    /// or binary messages), or null. Shippers that read the journal keep its fields but may
    /// rename two: Vector's journald source has `message` and `host` instead of MESSAGE and
    /// _HOSTNAME, so those fall back to `keys`.
    static func journal(_ j: JSONValue, source: String, line: Int, years: YearInference, keys: RecordKeys = RecordKeys()) -> Record? {
        var payload: [UInt8]
        if let s = j["MESSAGE"]?.stringValue {
            payload = Array(s.utf8)
        } else if let bytes = j["MESSAGE"]?.array {
            payload = bytes.compactMap { $0.int.map { UInt8(truncatingIfNeeded: $0) } }
        } else {
            payload = first(j, keys.message).map { Array($0.utf8) } ?? []
        }
        while let last = payload.last, last == 0x0A || last == 0x0D { payload.removeLast() }
        var r = Record(message: "", source: source, line: line)
        r.envelope = .journalJSON
        r.node = j["_HOSTNAME"]?.text ?? first(j, keys.host)
        if let unit = j["_SYSTEMD_UNIT"]?.text ?? j["UNIT"]?.text {
            r.component = unit.hasSuffix(".service") ? String(unit.dropLast(8)) : unit
        }
        r.component = j["SYSLOG_IDENTIFIER"]?.text ?? r.component ?? j["_COMM"]?.text
        if let us = j["_SOURCE_REALTIME_TIMESTAMP"]?.text ?? j["__REALTIME_TIMESTAMP"]?.text, let v = Int64(us) {
            r.timestamp = Timestamp(nanoseconds: v &* 1000)
        }
        payload.withUnsafeBytes { TextFormats.parsePayload($0, years: years, into: &r) }
        normalizeComponent(&r)
        return r
    }

    /// Shipper records: message under `keys.message` (message/log/msg by default), host under
    /// `keys.host` (hostname/host/kubernetes.host), Fluent Bit's kubernetes metadata.
    static func generic(_ o: JSONValue, source: String, line: Int, years: YearInference, keys: RecordKeys = RecordKeys()) -> Record? {
        let text = first(o, keys.message)
        guard var text else { return nil }
        if text.hasSuffix("\n") { text.removeLast() }
        var r = Record(message: "", source: source, line: line)
        r.envelope = .json
        r.node = first(o, keys.host)
        r.namespace = o[["kubernetes", "namespace_name"]]?.text
        r.pod = o[["kubernetes", "pod_name"]]?.text
        r.container = o[["kubernetes", "container_name"]]?.text
        r.component = o["ident"]?.text ?? o["appname"]?.text ?? o["SYSLOG_IDENTIFIER"]?.text
        for key in ["time", "timestamp", "@timestamp", "ts"] {
            if let s = o[key]?.stringValue, let t = TimeParsing.rfc3339(s) { r.timestamp = t; break }
            if key == "ts", let d = o[key]?.double, d.isFinite, abs(d) < 9e9 { r.timestamp = Timestamp(nanoseconds: Int64(d * 1e9)); break }
        }
        // klog's JSON format: {"ts":…,"caller":…,"msg":"…","err":"…","pod":{"name":…,"namespace":…}}
        if o["caller"] != nil, let msg = o["msg"]?.text {
            r.format = .kubelet
            r.component = r.component ?? "kubelet"
            var fields: [Field] = []
            for key in Set((o.members ?? []).map(\.key)).sorted() where !["ts", "caller", "msg", "v", "level"].contains(key) {
                if let s = o[key]?.text { fields.append(Field(key, s)) }
                if key == "pod", let pod = o[key], pod.isObject {
                    r.pod = pod["name"]?.text; r.namespace = pod["namespace"]?.text
                }
            }
            r.fields = fields
            r.message = TextFormats.render(message: msg, fields: fields, trailing: nil, skipping: [])
            TextFormats.applyKubeletFields(&r)
            return r
        }
        // Structured JSON logs (logrus, zap, slog: argo-cd, Spegel, snapshotters) put the error
        // beside the message; it is the part that says why, so it joins the message as a field,
        // as in their text format. Not for a shipper's `log` (the whole line already).
        if o["log"] == nil {
            var extra = ["error", "err", "grpc.error", "image", "ref"].compactMap { k in o[k]?.text.map { Field(k, $0) } }
            // An API error's nested reasons (Azure Resource Manager, Google APIs:
            // `{"code":"DeploymentFailed","message":"…","details":[{"code":"InaccessibleImage","message":"…"}]}`):
            // the outer message only says that something failed.
            for detail in (o["details"]?.array ?? []).prefix(8) {
                if let m = detail["message"]?.text { extra.append(Field(detail["code"]?.text ?? "details", m)) }
            }
            if !extra.isEmpty && !extra.contains(where: { text.contains($0.value) }) {
                text = TextFormats.render(message: text, fields: extra, trailing: nil, skipping: [])
            }
        }
        text.withBytes { TextFormats.parsePayload($0, years: years, into: &r) }
        normalizeComponent(&r)
        return r
    }

    /// Program names as components: `crio`, `containerd`, `kubelet`, `dockerd`.
    static func normalizeComponent(_ r: inout Record) {
        if let c = r.component { r.component = RecordDecoder.componentName(c) }
    }
}
