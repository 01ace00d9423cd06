import PullwatchRecords
import PullwatchRules

/// Correlation of failure records into attempts and incidents. The rules (documented in
/// docs/incidents.md and tested):
///
/// - **Attempt**: records of one node and one normalized image whose times lie within
///   `attemptWindow` (5 s) of the first one are one pull attempt — containerd's error,
///   kubelet's "PullImage from image service failed" / "Failed to pull image", "Error syncing
///   pod" and the `Failed` event of one pull. Event occurrences count as attempts (an event
///   with count 4 reports four failed pulls). Records without a time are attempts of their own.
/// - **Cause of an attempt**: the most specific cause among its records (precedence of
///   docs/rules.md). An attempt that only says `backoff` takes the cause of the nearest attempt
///   for the same node and image, else of any attempt for that image; back-off records are
///   counted in `records` but are not attempts (nothing was pulled).
/// - **Incident**: attempts with the same cause and registry — and repository, unless the
///   cause belongs to the registry (`registryCauses`) — split where no attempt happened for
///   `quietGap` (30 min).
/// - **Scope**: `node` for causes that live on the node (`nodeCauses`: disk, runtime) or when
///   all failures are on one node; otherwise `registry` for `registryCauses`, else `image`.
public enum Incidents {
    /// Records of one node and image this close in time are one attempt.
    public static let attemptWindow: Int64 = 5_000_000_000
    /// A pause this long ends an incident; the next attempt opens a new one.
    public static let quietGap: Int64 = 30 * 60 * 1_000_000_000
    /// Causes that belong to the registry or the path to it: one incident per registry.
    public static let registryCauses: Set<Cause> = [.unauthorized, .rateLimited, .networkTimeout, .dnsFailure,
                                                    .connectionFailed, .tlsError, .proxyError, .registryError, .pullStalled]
    /// Causes that live on the node.
    public static let nodeCauses: Set<Cause> = [.diskPressure, .runtimeError]
    /// Longest node and pod lists in an incident; the rest is "+N more".
    public static let listLimit = 10

    struct Attempt {
        var node: String?
        var imageKey: String?
        var start: Int64?
        var observations: [Counting.Weighted] = []
        var cause: Cause = .backoff
        /// Registry, repository and image, from the records or (for back-off records that name
        /// no image) from the attempt whose cause they took.
        var registry: String?
        var repository: String?
        var imageName: String?
        var pods: Set<String> {
            Set(observations.compactMap { w in w.observation.pod.map { (w.observation.namespace ?? "") + "/" + $0 } })
        }
        var isBackoffOnly: Bool { observations.allSatisfy { $0.observation.cause == .backoff } }
        var attempts: Int {
            if isBackoffOnly { return 0 }
            let events = observations.filter { $0.observation.eventKey != nil && $0.observation.cause != .backoff }
            let lines = observations.contains { $0.observation.eventKey == nil && $0.observation.cause != .backoff }
            return max(lines ? 1 : 0, events.reduce(0) { $0 + $1.weight }, 1)
        }
    }

    static func build(_ weighted: [Counting.Weighted], rules: RuleSet) -> [Incident] {
        var attempts = correlate(weighted.filter { $0.weight > 0 })
        assignBackoffCauses(&attempts)
        fillImagesFromPods(&attempts)
        // Group by incident key.
        var groups: [String: [Attempt]] = [:]
        for a in attempts {
            var key = a.cause.rawValue + "\u{1F}" + (a.registry ?? "")
            if !registryCauses.contains(a.cause) {
                key += "\u{1F}" + (a.repository ?? a.imageKey ?? "")
            }
            groups[key, default: []].append(a)
        }
        var incidents: [Incident] = []
        for key in groups.keys.sorted() {
            for part in split(groups[key]!) { incidents.append(make(part, rules: rules)) }
        }
        return incidents.sorted { ($0.records, $0.attempts, $0.nodes.count, $1.id) > ($1.records, $1.attempts, $1.nodes.count, $0.id) }
    }

    static func correlate(_ weighted: [Counting.Weighted]) -> [Attempt] {
        var byPull: [String: [Counting.Weighted]] = [:]
        var untimed: [Attempt] = []
        for w in weighted {
            let o = w.observation
            guard o.time != nil else {
                var a = Attempt(node: o.node, imageKey: o.imageKey, start: nil, observations: [w])
                a.cause = o.cause
                untimed.append(a)
                continue
            }
            byPull[(o.node ?? "") + "\u{1F}" + (o.imageKey ?? ""), default: []].append(w)
        }
        var out: [Attempt] = []
        for key in byPull.keys.sorted() {
            var current: Attempt?
            for w in byPull[key]! {   // already in time order
                let t = w.observation.time!
                if var a = current, let s = a.start, t - s <= attemptWindow {
                    a.observations.append(w)
                    current = a
                } else {
                    if let a = current { out.append(a) }
                    current = Attempt(node: w.observation.node, imageKey: w.observation.imageKey, start: t, observations: [w])
                }
            }
            if let a = current { out.append(a) }
        }
        out += untimed
        for i in out.indices {
            let obs = out[i].observations.map(\.observation)
            out[i].cause = obs.map(\.cause).max { $0.defaultPriority < $1.defaultPriority } ?? .unknown
            out[i].registry = obs.lazy.compactMap(\.registry).first
            out[i].repository = obs.lazy.compactMap(\.repository).first
            out[i].imageName = obs.lazy.compactMap(\.imageName).first
        }
        return out
    }

    static func assignBackoffCauses(_ attempts: inout [Attempt]) {
        let known = attempts.filter { $0.cause != .backoff }
        for i in attempts.indices where attempts[i].cause == .backoff {
            let a = attempts[i]
            var pool: [Attempt] = []
            if a.imageKey != nil {
                let sameImage = known.filter { $0.imageKey == a.imageKey }
                let sameNode = sameImage.filter { $0.node == a.node }
                pool = sameNode.isEmpty ? sameImage : sameNode
            } else {
                // "Error: ErrImagePull" names no image: use the same pod's attempts.
                pool = samePod(a, in: known)
            }
            guard !pool.isEmpty else { continue }
            let nearest = pool.min { distance($0.start, a.start) < distance($1.start, a.start) }!
            attempts[i].cause = nearest.cause
            attempts[i].registry = attempts[i].registry ?? nearest.registry
            attempts[i].repository = attempts[i].repository ?? nearest.repository
            attempts[i].imageName = attempts[i].imageName ?? nearest.imageName
            attempts[i].imageKey = attempts[i].imageKey ?? nearest.imageKey
        }
    }

    /// Attempts that name no image ("Error: InvalidImageName") take registry, repository
    /// and image from an attempt of the same pod with the same cause.
    static func fillImagesFromPods(_ attempts: inout [Attempt]) {
        let named = attempts.filter { $0.imageKey != nil }
        for i in attempts.indices where attempts[i].imageKey == nil {
            let pool = samePod(attempts[i], in: named).filter { $0.cause == attempts[i].cause }
            guard let match = pool.min(by: { distance($0.start, attempts[i].start) < distance($1.start, attempts[i].start) }) else { continue }
            attempts[i].registry = match.registry
            attempts[i].repository = match.repository
            attempts[i].imageName = match.imageName
            attempts[i].imageKey = match.imageKey
        }
    }

    static func samePod(_ a: Attempt, in pool: [Attempt]) -> [Attempt] {
        let pods = a.pods
        return pods.isEmpty ? [] : pool.filter { !$0.pods.isDisjoint(with: pods) }
    }

    static func distance(_ a: Int64?, _ b: Int64?) -> Int64 {
        guard let a, let b else { return Int64.max / 2 }
        return a > b ? a - b : b - a
    }

    /// Splits one key's attempts at quiet gaps; untimed attempts join the first part.
    static func split(_ attempts: [Attempt]) -> [[Attempt]] {
        let timed = attempts.filter { $0.start != nil }.sorted { $0.start! < $1.start! }
        let untimed = attempts.filter { $0.start == nil }
        var parts: [[Attempt]] = []
        var lastEnd: Int64?
        for a in timed {
            let end = a.observations.compactMap(\.observation.time).max() ?? a.start!
            if let last = lastEnd, a.start! - last <= quietGap {
                parts[parts.count - 1].append(a)
                lastEnd = max(last, end)
            } else {
                parts.append([a])
                lastEnd = end
            }
        }
        if parts.isEmpty { return untimed.isEmpty ? [] : [untimed] }
        parts[0] += untimed
        return parts
    }

    static func make(_ attempts: [Attempt], rules: RuleSet) -> Incident {
        let cause = attempts[0].cause
        let all = attempts.flatMap(\.observations)
        let records = all.reduce(0) { $0 + $1.weight }
        let times = all.compactMap(\.observation.time)
        func ranked(_ values: [(String?, Int)]) -> [String] {
            var counts: [String: Int] = [:]
            for (v, n) in values { if let v { counts[v, default: 0] += n } }
            let sorted = counts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map(\.key)
            guard sorted.count > listLimit else { return sorted }
            return Array(sorted.prefix(listLimit)) + ["+\(sorted.count - listLimit) more"]
        }
        let nodes = ranked(all.map { ($0.observation.node, $0.weight) })
        let pods = ranked(all.map { w in (w.observation.pod.map { (w.observation.namespace.map { $0 + "/" } ?? "") + $0 }, w.weight) })
        let image = ranked(attempts.map { a in (a.imageName, a.observations.reduce(0) { $0 + $1.weight }) }).first
        let registry = ranked(attempts.map { a in (a.registry, a.observations.reduce(0) { $0 + $1.weight }) }).first
        let repositories = ranked(attempts.map { a in (a.repository, a.observations.reduce(0) { $0 + $1.weight }) })
        let nodeCount = Set(all.compactMap(\.observation.node)).count
        let scope: Incident.Scope
        if nodeCauses.contains(cause) || nodeCount <= 1 { scope = .node }
        else if registryCauses.contains(cause) { scope = .registry }
        else { scope = .image }
        let first = times.min(), last = times.max()
        let key = [cause.rawValue, registry ?? "", registryCauses.contains(cause) ? "" : (repositories.first ?? image ?? ""), String(first ?? 0)].joined(separator: "|")
        var incident = Incident(id: "\(cause.rawValue)-\(hexDigest(key))", cause: cause, registry: registry, repository: repositories.first,
                                image: image, scope: scope, firstSeen: first, lastSeen: last, records: records,
                                attempts: attempts.reduce(0) { $0 + $1.attempts }, nodes: nodes, pods: pods,
                                summary: "", remediation: [], shapes: [])
        if cause == .unknown {
            var shapes: [String: Int] = [:]
            for w in all { if let m = w.observation.message { shapes[MessageShape.of(m), default: 0] += w.weight } }
            incident.shapes = shapes.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(5).map { ($0.key, $0.value) }
        }
        incident.summary = Summaries.line(incident, repositories: repositories.filter { !$0.hasPrefix("+") }, nodeCount: nodeCount, rules: rules)
        var c = Classification(cause: cause, ruleID: "", image: image)
        c.registry = registry
        c.repository = repositories.first
        var r = Record(message: "")
        r.node = nodes.first
        if let pod = pods.first, !pod.hasPrefix("+") {
            let parts = pod.split(separator: "/", maxSplits: 1)
            if parts.count == 2 { r.namespace = String(parts[0]); r.pod = String(parts[1]) } else { r.pod = pod }
        }
        incident.remediation = rules.remediation(for: c, record: r)
        return incident
    }

    /// FNV-1a, 64-bit, as 12 hex digits: a stable id across runs and machines.
    static func hexDigest(_ s: String) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        let hex = String(h, radix: 16)
        return String((String(repeating: "0", count: 16 - hex.count) + hex).prefix(12))
    }
}
