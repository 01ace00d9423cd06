import Yams

/// Explanation and remediation of one cause, from `rules/causes.yaml`.
public struct CauseInfo: Sendable {
    /// Short title ("Tag or digest not found").
    public var title: String
    /// One paragraph: what it means.
    public var explanation: String
    /// Steps, with `{image} {registry} {repository} {node} {namespace} {pod}` placeholders.
    public var remediation: [String]
    /// One-line incident summary template (rendered by PullwatchReport.IncidentText), when given.
    public var summary: String?
    /// Where it was defined.
    public var location: SourceLocation
}

/// Parses rule files and cause files. Every problem is collected with its file and line;
/// nothing is silently ignored (unknown keys are errors).
public enum RuleFileParser {
    /// What one file contained.
    public struct Contents: Sendable {
        /// Rules, in file order.
        public var rules: [Rule] = []
        /// Cause descriptions (from a file with a top-level `causes:`).
        public var causes: [Cause: CauseInfo] = [:]
        /// Problems.
        public var errors: [RuleFileError] = []
    }

    static let ruleKeys: Set<String> = ["id", "cause", "pattern", "title", "severity", "priority", "requires_failure",
                                        "literals", "gate_needs", "samples", "non_samples", "unless"]
    static let sampleKeys: Set<String> = ["line", "image", "registry", "node", "pod", "namespace"]
    static let causeKeys: Set<String> = ["title", "explanation", "remediation", "summary"]

    /// A plain scalar's YAML boolean (`true`/`false`, and YAML 1.1's yes/no/on/off, any case).
    static func bool(_ node: Node) -> Bool? {
        guard let s = node.scalar, s.style == .plain || s.style == .any else { return nil }
        switch s.string.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: return nil
        }
    }

    /// Parses `text`, reporting locations in `file`.
    public static func parse(_ text: String, file: String) -> Contents {
        var out = Contents()
        func loc(_ node: Node?) -> SourceLocation { SourceLocation(file: file, line: node?.mark?.line ?? 1) }
        let root: Node?
        do {
            // No implicit tag resolution: Yams' default resolver runs seven NSRegularExpression
            // tests on every scalar (a third of start-up); the one boolean key is read by `bool`.
            root = try Yams.compose(yaml: text, .basic)
        } catch let error as YamlError {
            out.errors.append(RuleFileError(location: SourceLocation(file: file, line: yamlErrorLine(error) ?? 1), ruleID: nil,
                                            message: "invalid YAML: \(yamlErrorProblem(error))"))
            return out
        } catch {
            out.errors.append(RuleFileError(location: SourceLocation(file: file, line: 1), ruleID: nil, message: "invalid YAML: \(error)"))
            return out
        }
        guard let root else { return out }
        guard let top = root.mapping else {
            out.errors.append(RuleFileError(location: loc(root), ruleID: nil, message: "expected a mapping with `rules:` or `causes:`"))
            return out
        }
        for (keyNode, value) in top {
            switch keyNode.string {
            case "rules":
                guard let list = value.sequence else {
                    out.errors.append(RuleFileError(location: loc(value), ruleID: nil, message: "`rules` must be a list"))
                    continue
                }
                for item in list { parseRule(item, file: file, into: &out) }
            case "causes":
                guard let map = value.mapping else {
                    out.errors.append(RuleFileError(location: loc(value), ruleID: nil,
                                                    message: "`causes` must be a mapping of cause id to description"))
                    continue
                }
                for (k, v) in map { parseCause(k, v, file: file, into: &out) }
            default:
                out.errors.append(RuleFileError(location: loc(keyNode), ruleID: nil,
                                                message: "unknown key `\(keyNode.string ?? "?")` (expected `rules` or `causes`)"))
            }
        }
        return out
    }

    static func yamlErrorLine(_ e: YamlError) -> Int? {
        switch e {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): return mark.line
        default: return nil
        }
    }

    static func yamlErrorProblem(_ e: YamlError) -> String {
        switch e {
        case .scanner(let context, let problem, _, _), .parser(let context, let problem, _, _), .composer(let context, let problem, _, _):
            return [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " ")
        default: return "\(e)"
        }
    }

    static func parseCause(_ keyNode: Node, _ value: Node, file: String, into out: inout Contents) {
        let location = SourceLocation(file: file, line: keyNode.mark?.line ?? 1)
        guard let id = keyNode.string, let cause = Cause(rawValue: id) else {
            out.errors.append(RuleFileError(location: location, ruleID: nil, message: "unknown cause id `\(keyNode.string ?? "?")`"))
            return
        }
        guard let map = value.mapping else {
            out.errors.append(RuleFileError(location: location, ruleID: nil, message: "cause `\(id)` must be a mapping"))
            return
        }
        var title: String?, explanation: String?, remediation: [String] = [], summary: String?
        for (k, v) in map {
            let key = k.string ?? ""
            switch key {
            case "title": title = v.string
            case "explanation": explanation = v.string
            case "remediation": remediation = v.sequence?.compactMap(\.string) ?? []
            case "summary": summary = v.string
            default:
                out.errors.append(RuleFileError(location: SourceLocation(file: file, line: k.mark?.line ?? location.line), ruleID: nil,
                                                message: "cause `\(id)`: unknown key `\(key)` "
                                                    + "(expected one of \(causeKeys.sorted().joined(separator: ", ")))"))
            }
        }
        guard let title, let explanation, !remediation.isEmpty else {
            out.errors.append(RuleFileError(location: location, ruleID: nil,
                                            message: "cause `\(id)` needs `title`, `explanation` and `remediation` steps"))
            return
        }
        out.causes[cause] = CauseInfo(title: title, explanation: explanation, remediation: remediation, summary: summary,
                                      location: location)
    }

    static func parseRule(_ node: Node, file: String, into out: inout Contents) {
        let location = SourceLocation(file: file, line: node.mark?.line ?? 1)
        guard let map = node.mapping else {
            out.errors.append(RuleFileError(location: location, ruleID: nil, message: "each rule must be a mapping"))
            return
        }
        var fields: [String: Node] = [:]
        var keyLines: [String: Int] = [:]
        var errors: [RuleFileError] = []
        let id = map["id"]?.string
        for (k, v) in map {
            let key = k.string ?? "?"
            if !ruleKeys.contains(key) {
                errors.append(RuleFileError(location: SourceLocation(file: file, line: k.mark?.line ?? location.line), ruleID: id,
                                            message: "unknown key `\(key)` (expected one of \(ruleKeys.sorted().joined(separator: ", ")))"))
            }
            fields[key] = v
            keyLines[key] = v.mark?.line ?? k.mark?.line
        }
        func at(_ key: String) -> SourceLocation { SourceLocation(file: file, line: keyLines[key] ?? location.line) }
        guard let id, !id.isEmpty else {
            out.errors.append(contentsOf: errors)
            out.errors.append(RuleFileError(location: location, ruleID: nil, message: "rule without `id`"))
            return
        }
        guard let causeText = fields["cause"]?.string else {
            out.errors.append(contentsOf: errors + [RuleFileError(location: location, ruleID: id, message: "missing `cause`")])
            return
        }
        // `cause: none`: a veto, not a cause (see Rule.isVeto).
        let isVeto = causeText == "none"
        guard let cause = isVeto ? Cause.unknown : Cause(rawValue: causeText) else {
            out.errors.append(contentsOf: errors + [RuleFileError(location: at("cause"), ruleID: id,
                message: "unknown cause id `\(causeText)` (known: \(Cause.allCases.map(\.rawValue).joined(separator: ", ")), "
                    + "or none for a veto)")])
            return
        }
        guard let pattern = fields["pattern"]?.string else {
            out.errors.append(contentsOf: errors + [RuleFileError(location: location, ruleID: id, message: "missing `pattern`")])
            return
        }
        let regex: Regex
        do {
            regex = try Regex(pattern)
        } catch let e as RegexCompileError {
            out.errors.append(contentsOf: errors + [RuleFileError(location: at("pattern"), ruleID: id, message: e.description)])
            return
        } catch {
            out.errors.append(contentsOf: errors + [RuleFileError(location: at("pattern"), ruleID: id, message: "\(error)")])
            return
        }
        var unless: Regex?
        if let u = fields["unless"]?.string {
            do { unless = try Regex(u) } catch let e as RegexCompileError {
                errors.append(RuleFileError(location: at("unless"), ruleID: id, message: "unless: \(e.description)"))
            } catch {
                errors.append(RuleFileError(location: at("unless"), ruleID: id, message: "unless: \(error)"))
            }
        }
        var priority = cause.defaultPriority
        if let p = fields["priority"] {
            if let v = p.int { priority = v } else {
                errors.append(RuleFileError(location: at("priority"), ruleID: id, message: "`priority` must be an integer"))
            }
        }
        let severity = fields["severity"]?.string ?? "error"
        if !["error", "warning"].contains(severity) {
            errors.append(RuleFileError(location: at("severity"), ruleID: id, message: "`severity` must be `error` or `warning`"))
        }
        var requiresFailure = !cause.isContext
        if let r = fields["requires_failure"] {
            if let b = Self.bool(r) { requiresFailure = b && !cause.isContext } else {
                errors.append(RuleFileError(location: at("requires_failure"), ruleID: id,
                                            message: "`requires_failure` must be true or false"))
            }
        }
        let literals = fields["literals"]?.sequence?.compactMap(\.string).filter { !$0.isEmpty } ?? []
        if !isVeto && (cause.isContext || !requiresFailure) && literals.isEmpty {
            errors.append(RuleFileError(location: location, ruleID: id,
                message: "a rule that marks a pull failure on its own needs `literals` (the gate: text every matching line contains)"))
        }
        var samples: [RuleSample] = []
        for s in fields["samples"]?.sequence ?? [] {
            let sl = SourceLocation(file: file, line: s.mark?.line ?? location.line)
            if let line = s.string {
                samples.append(RuleSample(line: line, location: sl))
                continue
            }
            guard let sm = s.mapping else {
                errors.append(RuleFileError(location: sl, ruleID: id, message: "a sample is a line or a mapping with `line:`"))
                continue
            }
            for (k, _) in sm where !sampleKeys.contains(k.string ?? "") {
                errors.append(RuleFileError(location: SourceLocation(file: file, line: k.mark?.line ?? sl.line), ruleID: id,
                    message: "sample: unknown key `\(k.string ?? "?")` (expected one of \(sampleKeys.sorted().joined(separator: ", ")))"))
            }
            guard let line = sm["line"]?.string else {
                errors.append(RuleFileError(location: sl, ruleID: id, message: "sample without `line`"))
                continue
            }
            samples.append(RuleSample(line: line, image: sm["image"]?.string, registry: sm["registry"]?.string,
                                      node: sm["node"]?.string, pod: sm["pod"]?.string, namespace: sm["namespace"]?.string,
                                      location: sl))
        }
        if samples.isEmpty {
            errors.append(RuleFileError(location: location, ruleID: id, message: "rule has no `samples` (every rule proves itself)"))
        }
        let nonSamples = (fields["non_samples"]?.sequence ?? []).compactMap { n in
            n.string.map { SampleLine(line: $0, location: SourceLocation(file: file, line: n.mark?.line ?? location.line)) }
        }
        out.errors.append(contentsOf: errors)
        var rule = Rule(id: id, cause: cause, pattern: pattern, title: fields["title"]?.string, severity: severity,
                        priority: priority, requiresFailure: requiresFailure, literals: literals, samples: samples,
                        nonSamples: nonSamples, location: location, regex: regex, unless: unless)
        rule.literalBytes = literals.map { Array($0.utf8) }
        // Only a rule without `literals` is prefiltered by what its pattern needs.
        rule.neededBytes = literals.isEmpty ? RegexLiterals.required(pattern) ?? [] : []
        rule.gateNeeds = fields["gate_needs"]?.sequence?.compactMap(\.string).filter { !$0.isEmpty } ?? []
        if fields["gate_needs"] != nil && (rule.gateNeeds.isEmpty || literals.isEmpty) {
            out.errors.append(RuleFileError(location: at("gate_needs"), ruleID: id,
                message: "`gate_needs` is a list of words and needs `literals` beside it"))
        }
        rule.isVeto = isVeto
        out.rules.append(rule)
    }
}
