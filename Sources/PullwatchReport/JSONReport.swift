import PullwatchAnalysis
import PullwatchRecords
import PullwatchRules

/// `scan --format json`: exactly the `pullwatch.report/v1` document of DESIGN.md (schema in
/// docs/report.schema.json). Keys in a fixed order; `by_*` maps ordered by count, then key.
public enum JSONReport {
    public static func render(_ r: Report) -> String {
        var o = "{\"schema\": \"pullwatch.report/v1\",\n"
        o += " \"input\": {\"sources\": \(r.input.sources), \"bytes\": \(r.input.bytes), \"lines\": \(r.input.lines), "
            + "\"records\": \(r.input.records), \"errors\": ["
        o += r.input.errors.map { e in
            "{\"file\": \(q(e.file)), \"line\": \(e.line.map(String.init) ?? "null"), "
                + "\"offset\": \(e.offset.map(String.init) ?? "null"), \"message\": \(q(e.message))}"
        }.joined(separator: ", ")
        o += "]},\n"
        let f = r.failures
        o += " \"failures\": {\"total\": \(f.total), \"by_cause\": \(map(f.byCause)), "
            + "\"by_registry\": \(map(f.byRegistry)), \"by_node\": \(map(f.byNode)),\n"
        o += "              \"by_namespace\": \(map(f.byNamespace)), \"by_image\": \(map(f.byImage))},\n"
        o += " \"incidents\": ["
        o += r.incidents.map { "\n  " + incident($0, rules: r.rules) }.joined(separator: ",")
        o += r.incidents.isEmpty ? "]}\n" : "\n ]}\n"
        return o
    }

    /// One incident object, keys as in the report (also the `incident` of follow's events).
    public static func incident(_ i: Incident, rules: RuleSet) -> String {
        var s = "{\"id\": \(q(i.id)), \"cause\": \(q(i.cause.rawValue)), \"registry\": \(q(i.registry)), "
            + "\"image\": \(q(i.image)), \"scope\": \(q(i.scope.rawValue)),"
        s += " \"first_seen\": \(q(i.firstSeen.map { Timestamp(nanoseconds: $0).description })), "
            + "\"last_seen\": \(q(i.lastSeen.map { Timestamp(nanoseconds: $0).description })),"
        s += " \"records\": \(i.records), \"attempts\": \(i.attempts), \"nodes\": [\(i.nodes.map(q).joined(separator: ", "))], "
            + "\"pods\": [\(i.pods.map(q).joined(separator: ", "))],"
        s += " \"summary\": \(q(IncidentText.summary(i, rules: rules))), "
        s += "\"remediation\": [\(IncidentText.remediation(i, rules: rules).map(q).joined(separator: ", "))]}"
        return s
    }

    static func q(_ s: String?) -> String { s.map(RecordRendering.jsonString) ?? "null" }

    static func map(_ m: [String: Int]) -> String {
        "{" + sorted(m).map { "\(q($0.key)): \($0.value)" }.joined(separator: ", ") + "}"
    }

    /// Count descending, then key.
    public static func sorted(_ m: [String: Int]) -> [(key: String, value: Int)] {
        m.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
    }
}
