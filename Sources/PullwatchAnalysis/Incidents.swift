import PullwatchRecords
import PullwatchRules

/// Correlation of failure records into attempts and incidents. The rules (documented in
/// docs/incidents.md and tested):
///
/// - **Attempt**: records of one node and one normalized image that follow each other with no
///   pause longer than `attemptWindow` (5 s) are one pull attempt — containerd's error, kubelet's
///   "PullImage from image service failed" / "Failed to pull image", "Error syncing pod" and the
///   `Failed` event of one pull. Event occurrences count as attempts (an event with count 4
///   reports four failed pulls). Records without a time are attempts of their own.
/// - **Cause of an attempt**: the most specific cause among its records (precedence of
///   docs/rules.md). An attempt that only says `backoff` takes the cause of the nearest attempt
///   for the same node and image, else for that image, else for the same pod, among the
///   attempts that started no later than `lookahead` (30 min) after it ended; back-off records are counted
///   in `records` but are not attempts (nothing was pulled).
/// - **Incident**: attempts with the same cause and registry — and repository, unless the
///   cause belongs to the registry (`registryCauses`) — split where no attempt happened for
///   `quietGap` (30 min).
/// - **Scope**: `node` for causes that live on the node (`nodeCauses`: disk, runtime) or when
///   all failures are on one node; otherwise `registry` for `registryCauses`, else `image`.
public enum Incidents {
    /// Records of one node and image with no longer pause between them are one attempt.
    public static let attemptWindow: Int64 = 5_000_000_000
    /// A pause this long ends an incident; the next attempt opens a new one.
    public static let quietGap: Int64 = 30 * 60 * 1_000_000_000
    /// How long after an attempt's last record the live modes wait before it is final (records
    /// of one pull from several sources arrive this much out of order at most).
    public static let settle: Int64 = 60_000_000_000
    /// How far ahead of its end a back-off only attempt looks for the attempt whose cause it
    /// takes (a back-off event can be older than the first failure a log still holds).
    public static let lookahead: Int64 = quietGap
    /// How long final attempts stay in the index back-off attempts take their cause from.
    public static let indexSpan: Int64 = quietGap + lookahead + settle
    /// Causes that belong to the registry or the path to it: one incident per registry.
    public static let registryCauses: Set<Cause> = [.unauthorized, .rateLimited, .networkTimeout, .dnsFailure,
                                                    .connectionFailed, .tlsError, .proxyError, .registryError, .pullStalled]
    /// Causes that live on the node.
    public static let nodeCauses: Set<Cause> = [.diskPressure, .runtimeError]
    /// Longest node and pod lists in an incident; the rest is "+N more".
    public static let listLimit = 10
    /// Raw messages kept per attempt and per incident.
    public static let sampleLimit = 5
    /// Message shapes kept per incident (the report shows 5).
    public static let shapeLimit = 20

    /// The more specific of two causes (ties by id, so the order of records does not matter).
    static func moreSpecific(_ a: Cause, _ b: Cause) -> Cause {
        (a.defaultPriority, b.rawValue) > (b.defaultPriority, a.rawValue) ? a : b
    }

    static func addSamples(_ new: [String], to samples: inout [String]) {
        for s in new where samples.count < sampleLimit && !samples.contains(s) { samples.append(s) }
    }

    /// The incident an attempt belongs to.
    static func key(_ a: AttemptRollup) -> String {
        var key = a.cause.rawValue + "\u{1F}" + (a.registry ?? "")
        if !registryCauses.contains(a.cause) { key += "\u{1F}" + (a.repository ?? a.imageKey ?? "") }
        return key
    }

    /// An incident as reports show it: ranked lists, scope and id (the text is PullwatchReport's).
    static func render(_ r: IncidentRollup) -> Incident {
        func ranked(_ counts: [String: Int]) -> [String] {
            let sorted = counts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map(\.key)
            guard sorted.count > listLimit else { return sorted }
            return Array(sorted.prefix(listLimit)) + ["+\(sorted.count - listLimit) more"]
        }
        let cause = r.cause
        let nodes = ranked(r.nodes)
        let pods = ranked(r.pods)
        let image = ranked(r.images).first
        let registry = ranked(r.registries).first
        let repositories = ranked(r.repositories)
        let nodeCount = r.nodes.count
        let scope: Incident.Scope
        if nodeCauses.contains(cause) || nodeCount <= 1 { scope = .node }
        else if registryCauses.contains(cause) { scope = .registry }
        else { scope = .image }
        let key = [cause.rawValue, registry ?? "", registryCauses.contains(cause) ? "" : (repositories.first ?? image ?? ""),
                   String(r.first ?? 0)].joined(separator: "|")
        var incident = Incident(id: "\(cause.rawValue)-\(hexDigest(key))", cause: cause, registry: registry, repository: repositories.first,
                                image: image, scope: scope, firstSeen: r.first, lastSeen: r.last, records: r.records,
                                attempts: r.attempts, nodes: nodes, pods: pods,
                                repositories: repositories.filter { !$0.hasPrefix("+") }, nodeCount: nodeCount, shapes: [])
        if cause == .unknown {
            incident.shapes = r.shapes.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(5).map { ($0.key, $0.value) }
        }
        return incident
    }

    /// Incidents by impact: records, then attempts, then number of nodes.
    static func byImpact(_ a: Incident, _ b: Incident) -> Bool {
        (a.records, a.attempts, a.nodes.count, b.id) > (b.records, b.attempts, b.nodes.count, a.id)
    }

    /// FNV-1a, 64-bit, as 12 hex digits: a stable id across runs and machines.
    static func hexDigest(_ s: String) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        let hex = String(h, radix: 16)
        return String((String(repeating: "0", count: 16 - hex.count) + hex).prefix(12))
    }
}

/// Builds incidents from final attempts, one at a time, in time order (O(1) amortized per
/// attempt): attempts with a cause go straight into their incident and into a short index of
/// recent attempts; back-off only and imageless attempts wait until every attempt that started
/// up to `Incidents.lookahead` after them is known, then take the cause (and image) of the nearest
/// one. The same builder serves a batch report (all attempts at once) and the live modes (as
/// attempts become final), so both give the same incidents for time-ordered input.
public struct IncidentBuilder: Sendable {
    /// Incidents per key, ordered by first seen; incidents without a time are kept apart and
    /// join the key's first incident when rendered.
    public private(set) var timed: [String: [IncidentRollup]] = [:]
    public private(set) var untimed: [String: IncidentRollup] = [:]
    /// Attempts waiting for their cause or image, ordered by end (untimed last), from
    /// `waitingHead` on (the placed prefix is dropped now and then).
    private var waiting: [AttemptRollup] = []
    private var waitingHead = 0
    /// Attempts deferred and placed since `takeDeferredChanges()` (for the store).
    private var deferredAdded: [AttemptRollup] = []
    private var deferredPlaced: [String] = []
    /// Attempts waiting for their cause or image.
    public var deferred: ArraySlice<AttemptRollup> { waiting[waitingHead...] }
    /// Recent attempts with a cause, by image key and by pod (within `quietGap` of the newest).
    private var byImage: [String: [AttemptRollup]] = [:]
    private var byPod: [String: [AttemptRollup]] = [:]
    /// Latest attempt start seen.
    public private(set) var watermark: Int64?
    /// Keys whose incidents changed since `takeChanged()`.
    private var changed = Set<String>()
    private var added = 0
    static let indexLimit = 16

    public init() {}

    /// Starts from incidents already built (a live state).
    public init(incidents: [IncidentRollup], recent: [AttemptRollup], deferred: [AttemptRollup] = []) {
        for r in incidents { insert(r) }
        for a in deferred { wait(a) }
        deferredAdded.removeAll()
        watermark = (recent.compactMap(\.start) + deferred.compactMap(\.start) + incidents.compactMap(\.last)).max()
        for a in recent.sorted(by: { ($0.start ?? 0) < ($1.start ?? 0) }) { remember(a) }
        changed.removeAll()
    }

    /// Every incident, flattened (untimed ones as they are).
    public var all: [IncidentRollup] { timed.values.flatMap { $0 } + untimed.values }

    /// Attempts of the index (the live state keeps them so a restart can go on).
    public var recent: [AttemptRollup] {
        var seen = Set<String>(), out: [AttemptRollup] = []
        for list in byImage.values { for a in list { let id = Self.identity(a); if seen.insert(id).inserted { out.append(a) } } }
        for list in byPod.values { for a in list { let id = Self.identity(a); if seen.insert(id).inserted { out.append(a) } } }
        return out
    }

    /// Keys of the incidents that changed since the last call.
    public mutating func takeChanged() -> Set<String> {
        defer { changed.removeAll() }
        return changed
    }

    /// The incidents of one key.
    public func incidents(forKey key: String) -> [IncidentRollup] {
        (timed[key] ?? []) + (untimed[key].map { [$0] } ?? [])
    }

    /// Adds a final attempt.
    public mutating func add(_ a: AttemptRollup) {
        if let s = a.start { watermark = max(watermark ?? s, s) }
        if a.cause == .backoff || a.imageKey == nil {
            wait(a)
            deferredAdded.append(a)
        } else {
            place(a)
            remember(a)
        }
        if let w = watermark { flush(upTo: w - Incidents.lookahead) }
        added += 1
        if added % 4096 == 0 { pruneIndex() }
    }

    /// The store's row key of a deferred attempt.
    public static func deferredKey(_ a: AttemptRollup) -> String {
        a.identity + "\u{1F}" + String(a.start ?? 0) + "\u{1F}" + String(a.end ?? 0) + "\u{1F}" + String(a.records)
    }

    private mutating func wait(_ a: AttemptRollup) {
        // Usually the newest: a binary search from the end keeps the order by end.
        let end = a.end ?? Int64.max
        var lo = waitingHead, hi = waiting.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if (waiting[mid].end ?? Int64.max) <= end { lo = mid + 1 } else { hi = mid }
        }
        waiting.insert(a, at: lo)
    }

    /// Places the deferred attempts that ended at or before `limit` (all when nil; untimed
    /// ones wait for that).
    public mutating func flush(upTo limit: Int64? = nil) {
        while waitingHead < waiting.count {
            let a = waiting[waitingHead]
            if let limit, (a.end ?? Int64.max) > limit { break }
            waitingHead += 1
            deferredPlaced.append(Self.deferredKey(a))
            place(resolved(a))
        }
        if waitingHead > 1024 && waitingHead * 2 > waiting.count {
            waiting.removeFirst(waitingHead)
            waitingHead = 0
        }
    }

    /// Deferred attempts added and placed since the last call (for the store).
    public mutating func takeDeferredChanges() -> (added: [AttemptRollup], placed: [String]) {
        defer { deferredAdded.removeAll(); deferredPlaced.removeAll() }
        return (deferredAdded, deferredPlaced)
    }

    /// A back-off only or imageless attempt with the cause / image of its nearest relative.
    private func resolved(_ a: AttemptRollup) -> AttemptRollup {
        var a = a
        var pool: [AttemptRollup] = []
        if a.cause == .backoff {
            if let k = a.imageKey, let same = byImage[k] {
                let sameNode = same.filter { $0.node == a.node }
                pool = sameNode.isEmpty ? same : sameNode
            } else if a.imageKey == nil {
                pool = samePod(a)
            }
        } else {
            pool = samePod(a).filter { $0.cause == a.cause && $0.imageKey != nil }
        }
        if let limit = a.end.map({ $0 + Incidents.lookahead }) { pool = pool.filter { ($0.start ?? Int64.min) <= limit } }
        guard let nearest = pool.min(by: {
            (distance($0.start, a.start), $0.start ?? 0) < (distance($1.start, a.start), $1.start ?? 0)
        }) else {
            return a
        }
        if a.cause == .backoff { a.cause = nearest.cause }
        if a.imageKey == nil || a.registry == nil {
            a.registry = a.registry ?? nearest.registry
            a.repository = a.repository ?? nearest.repository
            a.imageName = a.imageName ?? nearest.imageName
            a.imageKey = a.imageKey ?? nearest.imageKey
        }
        return a
    }

    private func samePod(_ a: AttemptRollup) -> [AttemptRollup] {
        var out: [AttemptRollup] = []
        for pod in a.pods.keys.sorted() { out += byPod[pod] ?? [] }
        return out
    }

    private static func identity(_ a: AttemptRollup) -> String {
        (a.node ?? "") + "\u{1F}" + (a.imageKey ?? "") + "\u{1F}" + String(a.start ?? 0)
    }

    private func distance(_ a: Int64?, _ b: Int64?) -> Int64 {
        guard let a, let b else { return Int64.max / 2 }
        return a > b ? a - b : b - a
    }

    private mutating func remember(_ a: AttemptRollup) {
        guard a.cause != .backoff else { return }
        if let k = a.imageKey { Self.push(a, into: &byImage[k, default: []]) }
        for pod in a.pods.keys { Self.push(a, into: &byPod[pod, default: []]) }
    }

    private static func push(_ a: AttemptRollup, into list: inout [AttemptRollup]) {
        list.append(a)
        if list.count > indexLimit { list.removeFirst(list.count - indexLimit) }
    }

    /// Drops index entries older than `indexSpan` before the watermark.
    private mutating func pruneIndex() {
        guard let w = watermark else { return }
        let horizon = w - Incidents.indexSpan
        func prune(_ index: inout [String: [AttemptRollup]]) {
            for (k, list) in index {
                let kept = list.filter { ($0.start ?? Int64.max) >= horizon }
                if kept.isEmpty { index[k] = nil } else if kept.count != list.count { index[k] = kept }
            }
        }
        prune(&byImage)
        prune(&byPod)
    }

    private mutating func place(_ a: AttemptRollup) {
        let key = Incidents.key(a)
        changed.insert(key)
        guard a.start != nil else {
            var r = untimed[key] ?? IncidentRollup(key: key, cause: a.cause)
            r.add(a)
            untimed[key] = r
            return
        }
        var list = timed.removeValue(forKey: key) ?? []
        // Usually the last incident continues; a late attempt may join (or bridge) earlier ones.
        var hits: [Int] = []
        var i = list.count - 1
        while i >= 0 {
            if list[i].touches(start: a.start, end: a.end) { hits.append(i) }
            else if let l = list[i].last, let s = a.start, l + Incidents.quietGap < s { break }
            i -= 1
        }
        if hits.isEmpty {
            var r = IncidentRollup(key: key, cause: a.cause)
            r.add(a)
            let at = list.firstIndex { ($0.first ?? 0) > a.start! } ?? list.count
            list.insert(r, at: at)
        } else {
            let target = hits.last!   // the earliest
            list[target].add(a)
            for j in hits.dropLast() { list[target].absorb(list[j]) }
            for j in hits.dropLast().sorted(by: >) { list.remove(at: j) }
        }
        timed[key] = list
    }

    /// Inserts a whole incident (merging with those it touches).
    mutating func insert(_ r: IncidentRollup) {
        changed.insert(r.key)
        guard r.first != nil else {
            if var u = untimed[r.key] { u.absorb(r); untimed[r.key] = u } else { untimed[r.key] = r }
            return
        }
        var list = timed.removeValue(forKey: r.key) ?? []
        var merged = r
        list.removeAll { other in
            if other.touches(start: merged.first, end: merged.last) { merged.absorb(other); return true }
            return false
        }
        let at = list.firstIndex { ($0.first ?? 0) > merged.first! } ?? list.count
        list.insert(merged, at: at)
        timed[r.key] = list
    }

    /// Forgets incidents that ended before `horizon` (retention); returns their keys.
    public mutating func drop(endedBefore horizon: Int64) -> Set<String> {
        var keys = Set<String>()
        for (k, list) in timed {
            let kept = list.filter { ($0.last ?? Int64.max) >= horizon }
            if kept.count != list.count {
                keys.insert(k)
                timed[k] = kept.isEmpty ? nil : kept
            }
        }
        changed.formUnion(keys)
        return keys
    }

    /// The rendered incidents, ordered by impact; untimed incidents join their key's first one.
    public func render() -> [Incident] {
        var out: [Incident] = []
        for key in Set(timed.keys).union(untimed.keys).sorted() {
            var list = timed[key] ?? []
            if let u = untimed[key] {
                if list.isEmpty { list = [u] } else { list[0].absorb(u) }
            }
            for r in list { out.append(Incidents.render(r)) }
        }
        return out.sorted(by: Incidents.byImpact)
    }
}
