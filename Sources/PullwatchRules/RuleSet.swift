import Foundation
import PullwatchIO
import PullwatchRecords

/// The rules in force (built-in, then user directories: a rule with the same id replaces
/// the earlier one), the cause descriptions, and the gate derived from them.
///
/// Immutable and shared across workers; each worker brings its own `MatchScratch`.
public final class RuleSet: @unchecked Sendable {
    /// Rules ordered by precedence: priority descending, then id.
    public let rules: [Rule]
    /// Explanation and remediation per cause.
    public let causes: [Cause: CauseInfo]
    /// The literal prefilter.
    public let gate: Gate
    /// Rule ids replaced by later files (for `rules list`).
    public let replaced: [String: SourceLocation]

    /// The rules that can make a record a failure (contexts and stand-alone signatures).
    let standAlone: [Rule]
    /// The rules that only give a cause to a failure.
    let causeRules: [Rule]
    /// Every rule's literals in one search: a rule's pattern runs only when one of its literals
    /// is in the message, and one pass over the message finds them all.
    let ruleLiterals: LiteralSet
    /// For `causeRules[i]`: the indices in `ruleLiterals` of its `literals`, else of the
    /// literals its pattern needs (`RegexLiterals`; empty: the rule always runs).
    let causeLiterals: [[Int]]
    /// For each literal of `ruleLiterals`: the stand-alone rules (indices) that have it; and the
    /// stand-alone rules without literals (they always run). A message's literals give the
    /// stand-alone rules to run, without looking at the others.
    let standAloneByLiteral: [[Int]]
    let standAloneAlways: [Int]
    /// The vetoes (`cause: none`): a failure one of them matches is not a pull failure.
    let vetoes: [Rule]
    let vetoLiterals: [[Int]]

    init(rules: [Rule], causes: [Cause: CauseInfo], replaced: [String: SourceLocation]) {
        self.rules = rules.sorted { $0.priority != $1.priority ? $0.priority > $1.priority : $0.id < $1.id }
        self.standAlone = self.rules.filter(\.standsAlone)
        self.causeRules = self.rules.filter { !$0.standsAlone && !$0.isVeto }
        self.vetoes = self.rules.filter(\.isVeto)
        self.causes = causes
        self.replaced = replaced
        // A literal is conditional (it admits a line only with one of its rules' `gate_needs`
        // words in the same line) when every stand-alone rule that has it says so.
        var needs: [String: Set<String>] = [:]
        var unconditional: Set<String> = []
        for rule in rules where rule.standsAlone {
            for literal in rule.literals {
                if rule.gateNeeds.isEmpty { unconditional.insert(literal) } else { needs[literal, default: []].formUnion(rule.gateNeeds) }
            }
        }
        for literal in unconditional { needs[literal] = nil }
        self.gate = Gate(literals: Array(Set(rules.filter(\.standsAlone).flatMap(\.literals))).sorted(),
                         needs: needs.mapValues { $0.sorted() })
        let all = Array(Set(self.rules.flatMap(\.prefilterBytes).filter { !$0.isEmpty })).sorted { $0.lexicographicallyPrecedes($1) }
        ruleLiterals = LiteralSet(all)
        let index = Dictionary(uniqueKeysWithValues: ruleLiterals.literals.enumerated().map { ($1, $0) })
        let standAloneLiterals = standAlone.map { $0.literalBytes.compactMap { index[$0] } }
        var byLiteral = [[Int]](repeating: [], count: index.count)
        for (i, literals) in standAloneLiterals.enumerated() {
            for l in Set(literals) { byLiteral[l].append(i) }
        }
        standAloneByLiteral = byLiteral
        standAloneAlways = standAloneLiterals.indices.filter { standAloneLiterals[$0].isEmpty }
        causeLiterals = causeRules.map { $0.prefilterBytes.compactMap { index[$0] } }
        vetoLiterals = vetoes.map { $0.prefilterBytes.compactMap { index[$0] } }
    }

    /// Loads the built-in rules and then every `*.yaml` in `directories` (in sorted order).
    /// Throws all problems found (file:line each); a set with any error is not usable.
    public static func load(directories: [String] = []) throws -> RuleSet {
        var files: [(name: String, contents: String)] = []
        var errors: [RuleFileError] = []
        for dir in directories {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir) else {
                errors.append(RuleFileError(location: SourceLocation(file: dir, line: 1), ruleID: nil,
                                            message: "no such file or directory"))
                continue
            }
            let paths: [String]
            if isDir.boolValue {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
                paths = names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
                    .map { (dir as NSString).appendingPathComponent($0) }
            } else {
                paths = [dir]
            }
            for path in paths {
                guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                    errors.append(RuleFileError(location: SourceLocation(file: path, line: 1), ruleID: nil,
                                                message: "cannot read file (or not UTF-8)"))
                    continue
                }
                files.append((path, text))
            }
        }
        return try load(files: files, errors: errors)
    }

    /// Loads the built-in rules and then `files` (name for messages, YAML text), in order.
    public static func load(files userFiles: [(name: String, contents: String)]) throws -> RuleSet {
        try load(files: userFiles, errors: [])
    }

    private static func load(files userFiles: [(name: String, contents: String)], errors readErrors: [RuleFileError]) throws -> RuleSet {
        let files = EmbeddedRules.files.map { (name: $0.name, contents: $0.contents, builtIn: true) }
            + userFiles.map { (name: $0.name, contents: $0.contents, builtIn: false) }
        var errors = readErrors
        var byID: [String: Rule] = [:]
        var order: [String] = []
        var causes: [Cause: CauseInfo] = [:]
        var replaced: [String: SourceLocation] = [:]
        var builtInIDs = Set<String>()
        // The files are parsed on every core (YAML is most of start-up), then merged in order.
        final class Parsed: @unchecked Sendable {
            // Each slot is written by exactly one iteration, and read after all of them.
            let slots: UnsafeMutableBufferPointer<RuleFileParser.Contents>
            init(_ n: Int) { slots = .allocate(capacity: n) }
            deinit { _ = slots.deinitialize(); slots.deallocate() }
        }
        let parsed = Parsed(files.count)
        DispatchQueue.concurrentPerform(iterations: files.count) { i in
            (parsed.slots.baseAddress! + i).initialize(to: RuleFileParser.parse(files[i].contents, file: files[i].name))
        }
        for (index, file) in files.enumerated() {
            let contents = parsed.slots[index]
            errors += contents.errors
            var seenHere: [String: SourceLocation] = [:]
            for rule in contents.rules {
                if let first = seenHere[rule.id] {
                    errors.append(RuleFileError(location: rule.location, ruleID: rule.id,
                                                message: "duplicate id (first defined at \(first))"))
                    continue
                }
                seenHere[rule.id] = rule.location
                if let existing = byID[rule.id] {
                    // Built-in files must not repeat ids; a user file replaces on purpose.
                    if file.builtIn || !builtInIDs.contains(rule.id) {
                        errors.append(RuleFileError(location: rule.location, ruleID: rule.id,
                                                    message: "duplicate id (first defined at \(existing.location))"))
                        continue
                    }
                    replaced[rule.id] = existing.location
                } else {
                    order.append(rule.id)
                }
                if file.builtIn { builtInIDs.insert(rule.id) }
                byID[rule.id] = rule
            }
            for (cause, info) in contents.causes { causes[cause] = info }
        }
        for cause in Cause.allCases where causes[cause] == nil {
            errors.append(RuleFileError(location: SourceLocation(file: "rules/causes.yaml", line: 1), ruleID: nil,
                                        message: "no description for cause `\(cause.rawValue)`"))
        }
        if !errors.isEmpty { throw RuleLoadError(errors: errors) }
        return RuleSet(rules: order.compactMap { byID[$0] }, causes: causes, replaced: replaced)
    }

    // MARK: classification

    /// Classifies a record; nil when it reports no pull failure.
    ///
    /// A record is a pull failure when a failure-context rule (`backoff`, `unknown`) or a
    /// stand-alone rule matches. Among the rules that apply, the highest priority wins; rules
    /// with `requires_failure` apply only to pull failures. Image and registry come from
    /// `PullTargetExtraction` (a rule's `image` capture, the record's `image=` field, the
    /// outermost reference in the message, else the registry request URL). Results are
    /// remembered per worker by message (`MatchScratch`).
    public func classify(_ record: Record, scratch: MatchScratch) -> Classification? {
        // The result depends only on the message and the record's `image=` field.
        let key = ClassificationKey(message: record.message, image: record.field("image"))
        if let known = scratch.classifications[key] { return known }
        let result = classifyUncached(record, scratch: scratch)
        if scratch.classifications.count >= MatchScratch.classificationCacheLimit {
            scratch.classifications.removeAll(keepingCapacity: true)
        }
        scratch.classifications[key] = result
        return result
    }

    private func classifyUncached(_ record: Record, scratch: MatchScratch) -> Classification? {
        // The Engine API's status is not the registry's: the cause rules read the message
        // without it (the failure contexts still see it).
        let causeMessage = Self.maskingEngineAPIStatus(record.message, scratch: scratch)
        // containers/image lists the mirrors it tried before the primary error
        // (`REF: (Mirrors also failed: [m: err]): REF: err`): the primary error decides; the
        // mirrors' errors only when it states no cause.
        if let primary = Self.maskingMirrorErrors(record.message) {
            var masked = record
            masked.message = primary
            if let result = classifyMessage(masked, causeMessage: causeMessage.flatMap(Self.maskingMirrorErrors), scratch: scratch),
               result.cause != .unknown, result.cause != .backoff {
                return result
            }
        }
        return classifyMessage(record, causeMessage: causeMessage, scratch: scratch)
    }

    /// Notes which of `ruleLiterals` are in `raw` (in `scratch`), runs `body`, and clears them.
    private func withLiteralsOf(_ raw: UnsafeRawBufferPointer, scratch: MatchScratch, _ body: () -> Void) {
        if scratch.literalPresent.count != ruleLiterals.literals.count {
            scratch.literalPresent = [Bool](repeating: false, count: ruleLiterals.literals.count)
        }
        ruleLiterals.forEachMatch(in: raw) { literal, _ in
            if !scratch.literalPresent[literal] { scratch.literalPresent[literal] = true; scratch.presentLiterals.append(literal) }
        }
        defer {
            for l in scratch.presentLiterals { scratch.literalPresent[l] = false }
            scratch.presentLiterals.removeAll(keepingCapacity: true)
        }
        body()
    }

    /// Classifies `record`; the cause rules read `causeMessage` when given (the message with
    /// words that are not the registry's blanked out), else the message.
    private func classifyMessage(_ record: Record, causeMessage: String? = nil, scratch: MatchScratch) -> Classification? {
        var matches: [(rule: Rule, captures: [String: String])] = []
        func run(_ rule: Rule, _ literals: [Int], _ raw: UnsafeRawBufferPointer) -> Bool {
            if !literals.isEmpty, !literals.contains(where: { scratch.literalPresent[$0] }) { return false }
            switch rule.regex.match(raw, scratch: scratch) {
            case .match(let c):
                let captures = c.named
                if let unless = rule.unless, case .match = unless.match(raw, scratch: scratch) { return false }
                matches.append((rule, captures))
                return true
            case .limitHit:
                scratch.limitHits += 1
            case .noMatch, .error:
                break
            }
            return false
        }
        // Step 2 in precedence order: the first cause rule that matches wins, and none ranked
        // below the best match so far can, so they are not run.
        func causes(_ raw: UnsafeRawBufferPointer, above best: Int) {
            for i in causeRules.indices where causeRules[i].priority >= best {
                if run(causeRules[i], causeLiterals[i], raw) { break }
            }
        }
        var failure: Int?
        var subject = record.message
        subject.withUTF8 { bytes in
            let raw = UnsafeRawBufferPointer(bytes)
            withLiteralsOf(raw, scratch: scratch) {
                // Step 1 first: most records the gate lets through are not failures, and the
                // cause rules need not run for them.
                // Only the stand-alone rules one of whose literals is in the message, in precedence
                // order (their indices). By index: iterating the array would copy each rule.
                scratch.candidateRules.removeAll(keepingCapacity: true)
                scratch.candidateRules.append(contentsOf: standAloneAlways)
                for l in scratch.presentLiterals { scratch.candidateRules.append(contentsOf: standAloneByLiteral[l]) }
                if scratch.candidateRules.count > 1 { scratch.candidateRules.sort() }
                var previous = -1
                for i in scratch.candidateRules where i != previous {
                    previous = i
                    _ = run(standAlone[i], [], raw)
                }
                guard let best = matches.map(\.rule.priority).max() else { return }
                // A push, an upload, a login: not a pull failure, whatever matched.
                for i in vetoes.indices {
                    if run(vetoes[i], vetoLiterals[i], raw) {
                        matches.removeAll()
                        return
                    }
                }
                if causeMessage == nil { causes(raw, above: best) } else { failure = best }
            }
        }
        if let best = failure, var subject = causeMessage {
            subject.withUTF8 { bytes in
                let raw = UnsafeRawBufferPointer(bytes)
                withLiteralsOf(raw, scratch: scratch) { causes(raw, above: best) }
            }
        }
        // By precedence: once the record is a failure, the first match wins.
        matches.sort { a, b in a.rule.priority != b.rule.priority ? a.rule.priority > b.rule.priority : a.rule.id < b.rule.id }
        guard let winner = matches.first else { return nil }
        let capturedImage = winner.captures["image"] ?? matches.lazy.compactMap { $0.captures["image"] }.first
        let capturedRegistry = winner.captures["registry"]
        let target = PullTargetExtraction.target(in: record, capturedImage: capturedImage, capturedRegistry: capturedRegistry,
                                                 dnsHostIsRegistry: winner.rule.cause != .proxyError)
        var result = Classification(cause: winner.rule.cause, ruleID: winner.rule.id, image: target.image)
        result.registry = target.registry
        result.repository = target.repository
        result.captures = winner.captures
        return result
    }
}

extension RuleSet {
    /// The Docker Engine API's own status as its clients print it: docker-py's `500 Server
    /// Error for http+docker://…: Internal Server Error (…)` and `500 Server Error: Internal
    /// Server Error for url: http+docker://…`, dockerode's `(HTTP code 500) server error - `,
    /// docker-java's `…Exception: Status 500: `. The group `mask` is the status words.
    static let engineAPIStatus = try! Regex(
        #"(?|\b(?<mask>\d{3} (?:Server|Client) Error)(?=(?:: [A-Za-z ]+)? for (?:url: )?http\+docker://)"#
        + #"|: (?<mask>[A-Z][A-Za-z]*(?: [A-Z][A-Za-z]*)*) for url: http\+docker://"#
        + #"|http\+docker://\S+: (?<mask>[A-Z][A-Za-z]*(?: [A-Z][A-Za-z]*)*)(?= \(|\s*$)"#
        + #"|(?<mask>\(HTTP code \d{3}\) (?:server|client) error - )|Exception: (?<mask>Status \d{3}: ))"#)

    /// `message` with the Engine API's status words blanked out (same length, spaces), or nil
    /// when there are none. The daemon answers its client 500 (or 404) when a pull fails,
    /// whatever the registry said: that status is not the registry's, and the daemon's message
    /// after it says why the pull failed.
    static func maskingEngineAPIStatus(_ message: String, scratch: MatchScratch) -> String? {
        var text = message
        let mentioned = text.withUTF8 { m in
            engineAPIWords.contains { w in w.withUnsafeBytes { ByteSearch.find($0, in: UnsafeRawBufferPointer(m)) != nil } }
        }
        guard mentioned else { return nil }
        var bytes = Array(message.utf8)
        var from = 0
        var masked = false
        while from < bytes.count {
            let found: Range<Int>? = bytes.withUnsafeBytes { all in
                guard case .match(let c) = engineAPIStatus.match(UnsafeRawBufferPointer(rebasing: all[from...]), scratch: scratch),
                      let r = c.range("mask") else { return nil }
                return (r.lowerBound + from)..<(r.upperBound + from)
            }
            guard let found, !found.isEmpty else { break }
            for i in found { bytes[i] = UInt8(ascii: " ") }
            masked = true
            from = found.upperBound
        }
        return masked ? String(decoding: bytes, as: UTF8.self) : nil
    }

    /// One of these is in every message `engineAPIStatus` matches.
    private static let engineAPIWords = ["http+docker://", "(HTTP code ", "Exception: Status "].map { Array($0.utf8) }

    private static let mirrorsPrefix = Array("(Mirrors also failed: [".utf8)

    /// `message` with the bracketed list of a `(Mirrors also failed: [ … ])` section blanked
    /// out (same length, spaces), or nil when there is none.
    static func maskingMirrorErrors(_ text: String) -> String? {
        var text = text
        return text.withUTF8 { maskingMirrorErrors(in: $0) }
    }

    private static func maskingMirrorErrors(in message: UnsafeBufferPointer<UInt8>) -> String? {
        let prefix = mirrorsPrefix
        guard let start = prefix.withUnsafeBytes({ ByteSearch.find($0, in: UnsafeRawBufferPointer(message)) }) else { return nil }
        var depth = 1
        var end = start + prefix.count
        while end < message.count, depth > 0 {
            if message[end] == UInt8(ascii: "[") { depth += 1 } else if message[end] == UInt8(ascii: "]") { depth -= 1 }
            end += 1
        }
        var masked = Array(message)
        for i in (start + prefix.count)..<(end - (depth == 0 ? 1 : 0)) { masked[i] = UInt8(ascii: " ") }
        return String(decoding: masked, as: UTF8.self)
    }

    /// The veto that matches `record`'s message, if any (for `explain`: why a line that
    /// reads like a failure is not one). Vetoes apply only to records a failure rule matches.
    public func veto(for record: Record, scratch: MatchScratch) -> Rule? {
        var subject = record.message
        return subject.withUTF8 { bytes in
            vetoes.first { if case .match = $0.regex.match(UnsafeRawBufferPointer(bytes), scratch: scratch) { true } else { false } }
        }
    }
}

/// What a classification depends on: the message and the record's `image=` field.
struct ClassificationKey: Hashable {
    var message: String
    var image: String?
}

/// All problems of a rule load.
public struct RuleLoadError: Error, CustomStringConvertible {
    /// Each problem, with file and line.
    public var errors: [RuleFileError]
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}

/// The result of classifying one record.
public struct Classification: Sendable, Equatable {
    /// The root cause.
    public var cause: Cause
    /// The rule that decided it.
    public var ruleID: String
    /// The image as written in the record.
    public var image: String?
    /// Registry host from the normalized image (or the rule's `registry` capture).
    public var registry: String?
    /// Repository path from the normalized image.
    public var repository: String?
    /// The winning rule's named captures.
    public var captures: [String: String] = [:]

    /// A classification.
    public init(cause: Cause, ruleID: String, image: String?) {
        self.cause = cause
        self.ruleID = ruleID
        self.image = image
    }
}

/// The literal prefilter: a line can be a pull failure only if it contains one of these
/// (taken from the `literals` of the rules that mark failures on their own). It may let
/// extra lines through, never drop a match: a test runs every sample through it.
public struct Gate: Sendable {
    /// The literals, as bytes.
    public let literals: [[UInt8]]
    /// The multi-literal search over them.
    public let search: LiteralSet

    /// A gate for `literals`. A literal with `"` or `\` is also searched in its escaped forms,
    /// once and twice (`Get "https` → `Get \"https` in klog and containerd's quoted fields,
    /// `Get \\\"https` in those lines shipped as JSON), so the rules' literals can be written as
    /// the message reads. `needs`: for a conditional literal, the words one of which must be in
    /// the same line for it to count (its escaped forms inherit them).
    public init(literals: [String], needs: [String: [String]] = [:]) {
        var all: [[UInt8]: [[UInt8]]] = [:]
        // The same bytes from two literals: unconditional if either is, else either's words.
        func add(_ bytes: [UInt8], _ words: [[UInt8]]) {
            guard let known = all[bytes] else { all[bytes] = words; return }
            all[bytes] = known.isEmpty || words.isEmpty ? [] : Array(Set(known + words)).sorted { $0.lexicographicallyPrecedes($1) }
        }
        for literal in literals {
            let bytes = Array(literal.utf8)
            let words = (needs[literal] ?? []).map { Array($0.utf8) }
            add(bytes, words)
            if bytes.contains(UInt8(ascii: "\"")) || bytes.contains(UInt8(ascii: "\\")), let once = JSONValidation.escaped(bytes) {
                add(once, words)
                if let twice = JSONValidation.escaped(once) { add(twice, words) }
            }
        }
        self.literals = all.keys.sorted { $0.lexicographicallyPrecedes($1) }
        self.search = LiteralSet(self.literals, needs: self.literals.map { all[$0] ?? [] })
    }

    /// True when `bytes` contains any literal.
    public func passes(_ bytes: UnsafeRawBufferPointer) -> Bool { search.containsAny(bytes) }

    /// `passes` for a string.
    public func passes(_ s: String) -> Bool {
        var copy = s
        return copy.withUTF8 { passes(UnsafeRawBufferPointer($0)) }
    }
}

/// A `MatchScratch` per thread, for the few places that match outside a worker's scratch.
final class ThreadLocalScratch: @unchecked Sendable {
    // pthread keys are process-wide and the value is only touched by its own thread.
    private var key = pthread_key_t()
    init() {
        pthread_key_create(&key) { ptr in if let ptr { Unmanaged<MatchScratch>.fromOpaque(ptr).release() } }
    }
    func get() -> MatchScratch {
        if let p = pthread_getspecific(key) { return Unmanaged<MatchScratch>.fromOpaque(p).takeUnretainedValue() }
        let s = MatchScratch()
        pthread_setspecific(key, Unmanaged.passRetained(s).toOpaque())
        return s
    }
}
