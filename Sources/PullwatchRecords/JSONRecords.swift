import Foundation

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

    /// Decodes a value (already parsed by `JSONSerialization`).
    public static func decode(_ value: Any, source: String, line: Int, years: YearInference, keys: RecordKeys = RecordKeys()) -> Decoded {
        if let array = value as? [Any] {
            return .records(array.flatMap { element -> [Record] in
                if case .records(let r) = decode(element, source: source, line: line, years: years, keys: keys) { return r }
                return []
            })
        }
        guard let object = value as? [String: Any] else { return .records([]) }
        // kubectl get events -o json: a List.
        if let items = object["items"] as? [Any] {
            return .records(items.compactMap { ($0 as? [String: Any]).flatMap { event($0, source: source, line: line) } })
        }
        // Watch envelope {"type": "ADDED", "object": {...}}.
        if object["type"] is String, let inner = object["object"] as? [String: Any] {
            return .records(event(inner, source: source, line: line).map { [$0] } ?? [])
        }
        if object["involvedObject"] != nil || object["regarding"] != nil || (object["kind"] as? String) == "Event" {
            return .records(event(object, source: source, line: line).map { [$0] } ?? [])
        }
        if object["__REALTIME_TIMESTAMP"] != nil || object["_HOSTNAME"] != nil || object.keys.contains("MESSAGE") {
            return .records(journal(object, source: source, line: line, years: years, keys: keys).map { [$0] } ?? [])
        }
        if let log = object["log"] as? String, let stream = object["stream"] as? String, object["time"] != nil {
            let t = (object["time"] as? String).flatMap(TimeParsing.rfc3339)
            if log.hasSuffix("\n") {
                return .dockerLine(stream: stream, text: String(log.dropLast()), timestamp: t)
            }
            return .dockerPartial(stream: stream, text: log, timestamp: t)
        }
        return .records(generic(object, source: source, line: line, years: years, keys: keys).map { [$0] } ?? [])
    }

    static func string(_ v: Any?) -> String? {
        switch v {
        case let s as String: return s.isEmpty ? nil : s
        case let n as NSNumber: return n.stringValue
        default: return nil
        }
    }

    static func int(_ v: Any?) -> Int? {
        switch v {
        case let n as NSNumber: return n.intValue
        case let s as String: return Int(s)
        default: return nil
        }
    }

    static func path(_ object: [String: Any], _ keys: String...) -> Any? {
        var current: Any? = object
        for k in keys { current = (current as? [String: Any])?[k] }
        return current
    }

    /// The first of `keys` holding a non-empty string or number; a dotted key is a path.
    static func first(_ object: [String: Any], _ keys: [String]) -> String? {
        for key in keys {
            if let v = string(object[key]) { return v }
            if key.contains(".") {
                var current: Any? = object
                for part in key.split(separator: ".") { current = (current as? [String: Any])?[String(part)] }
                if let v = string(current) { return v }
            }
        }
        return nil
    }

    /// A core/v1 or events.k8s.io/v1 Event.
    ///
    /// Node: `source.host`, else `deprecatedSource.host`, else `reportingInstance`.
    /// Count: `count`, else `series.count`, else `deprecatedCount`, else 1.
    /// Time: the latest of lastTimestamp, series.lastObservedTime, eventTime, deprecatedLastTimestamp,
    /// firstTimestamp, metadata.creationTimestamp that is set (in that order of preference).
    public static func event(_ e: [String: Any], source: String, line: Int) -> Record? {
        let message = string(e["message"]) ?? string(e["note"]) ?? ""
        var r = Record(message: message, format: .event, source: source, line: line)
        r.component = "event"
        let involved = (e["involvedObject"] as? [String: Any]) ?? (e["regarding"] as? [String: Any]) ?? [:]
        r.node = string(path(e, "source", "host")) ?? string(path(e, "deprecatedSource", "host")) ?? string(e["reportingInstance"])
        r.namespace = string(involved["namespace"]) ?? string(path(e, "metadata", "namespace"))
        let kind = string(involved["kind"])
        if kind == "Pod" { r.pod = string(involved["name"]) }
        if let fieldPath = string(involved["fieldPath"]), let open = fieldPath.firstIndex(of: "{"), fieldPath.hasSuffix("}") {
            r.container = String(fieldPath[fieldPath.index(after: open)..<fieldPath.index(before: fieldPath.endIndex)])
        }
        r.level = string(e["type"])
        let count = int(e["count"]) ?? int(path(e, "series", "count")) ?? int(e["deprecatedCount"]) ?? 1
        r.event = EventInfo(name: string(path(e, "metadata", "name")), count: max(count, 1),
                            reason: string(e["reason"]), type: string(e["type"]),
                            objectKind: kind, objectName: string(involved["name"]))
        for key in [["lastTimestamp"], ["series", "lastObservedTime"], ["eventTime"], ["deprecatedLastTimestamp"],
                    ["firstTimestamp"], ["deprecatedFirstTimestamp"], ["metadata", "creationTimestamp"]] {
            var v: Any? = e
            for k in key { v = (v as? [String: Any])?[k] }
            if let s = string(v), let t = TimeParsing.rfc3339(s) { r.timestamp = t; break }
        }
        return r
    }

    /// `journalctl -o json`: every value a string; MESSAGE a string, a byte array (non-UTF-8
    /// or binary messages), or null. Shippers that read the journal keep its fields but may
    /// rename two: Vector's journald source has `message` and `host` instead of MESSAGE and
    /// _HOSTNAME, so those fall back to `keys`.
    static func journal(_ j: [String: Any], source: String, line: Int, years: YearInference, keys: RecordKeys = RecordKeys()) -> Record? {
        var payload: [UInt8]
        switch j["MESSAGE"] {
        case let s as String: payload = Array(s.utf8)
        case let bytes as [Any]: payload = bytes.compactMap { int($0).map { UInt8(truncatingIfNeeded: $0) } }
        default: payload = first(j, keys.message).map { Array($0.utf8) } ?? []
        }
        while let last = payload.last, last == 0x0A || last == 0x0D { payload.removeLast() }
        var r = Record(message: "", source: source, line: line)
        r.envelope = .journalJSON
        r.node = string(j["_HOSTNAME"]) ?? first(j, keys.host)
        if let unit = string(j["_SYSTEMD_UNIT"]) ?? string(j["UNIT"]) {
            r.component = unit.hasSuffix(".service") ? String(unit.dropLast(8)) : unit
        }
        r.component = string(j["SYSLOG_IDENTIFIER"]) ?? r.component ?? string(j["_COMM"])
        if let us = string(j["_SOURCE_REALTIME_TIMESTAMP"]) ?? string(j["__REALTIME_TIMESTAMP"]), let v = Int64(us) {
            r.timestamp = Timestamp(nanoseconds: v &* 1000)
        }
        payload.withUnsafeBytes { TextFormats.parsePayload($0, years: years, into: &r) }
        normalizeComponent(&r)
        return r
    }

    /// Shipper records: message under `keys.message` (message/log/msg by default), host under
    /// `keys.host` (hostname/host/kubernetes.host), Fluent Bit's kubernetes metadata.
    static func generic(_ o: [String: Any], source: String, line: Int, years: YearInference, keys: RecordKeys = RecordKeys()) -> Record? {
        let text = first(o, keys.message)
        guard var text else { return nil }
        if text.hasSuffix("\n") { text.removeLast() }
        var r = Record(message: "", source: source, line: line)
        r.envelope = .json
        r.node = first(o, keys.host)
        r.namespace = string(path(o, "kubernetes", "namespace_name"))
        r.pod = string(path(o, "kubernetes", "pod_name"))
        r.container = string(path(o, "kubernetes", "container_name"))
        r.component = string(o["ident"]) ?? string(o["appname"]) ?? string(o["SYSLOG_IDENTIFIER"])
        for key in ["time", "timestamp", "@timestamp", "ts"] {
            if let s = o[key] as? String, let t = TimeParsing.rfc3339(s) { r.timestamp = t; break }
            if let n = o[key] as? NSNumber, key == "ts" { r.timestamp = Timestamp(nanoseconds: Int64(n.doubleValue * 1e9)); break }
        }
        // klog's JSON format: {"ts":…,"caller":…,"msg":"…","err":"…","pod":{"name":…,"namespace":…}}
        if o["caller"] != nil, let msg = string(o["msg"]) {
            r.format = .kubelet
            r.component = r.component ?? "kubelet"
            var fields: [Field] = []
            for key in o.keys.sorted() where !["ts", "caller", "msg", "v", "level"].contains(key) {
                if let s = string(o[key]) { fields.append(Field(key, s)) }
                if key == "pod", let pod = o[key] as? [String: Any] {
                    r.pod = string(pod["name"]); r.namespace = string(pod["namespace"])
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
            let extra = ["error", "err", "grpc.error", "image", "ref"].compactMap { k in string(o[k]).map { Field(k, $0) } }
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
