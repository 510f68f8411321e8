/// Why a node command failed, with a sentence that tells the node admin what to do.
///
/// Import errors carry the file, line and column of the offending input, so an admin can open
/// the file at that spot; nothing was written when one is thrown (imports are one transaction).
public struct NodeError: Error, CustomStringConvertible, Sendable {
    /// A stable classification; new cases may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        public var description: String { name }

        /// `init` found a node already in the directory.
        public static let nodeExists = Code(name: "node_exists")
        /// No node in the directory (run `init` first).
        public static let noNode = Code(name: "no_node")
        /// An argument or setting is invalid (a usage error).
        public static let invalidArgument = Code(name: "invalid_argument")
        /// Input data is malformed or inconsistent (bad CSV/JSON, unknown sensor, …).
        public static let badInput = Code(name: "bad_input")
        /// An input row conflicts with a stored one (same key, other value) and `--replace` was not given.
        public static let conflict = Code(name: "conflict")
        /// The file could not be read.
        public static let io = Code(name: "io")
        /// The coordinator's log or a checkpoint failed a check (`verify`, `checkpoint compare`):
        /// bad signature, missing or altered submission, rewritten history, split view.
        public static let verificationFailed = Code(name: "verification_failed")
        /// The node stopped reading the coordinator's answer: a redirect (the node never carries its
        /// token to another address) or a body larger than the endpoint's limit.
        public static let answerRefused = Code(name: "answer_refused")
        /// An import with `--rejects` stored its good rows and wrote the refused ones to the rejects
        /// file (exit code 3: partly imported).
        public static let rowsRejected = Code(name: "rows_rejected")
        /// No verified checkpoint is stored yet (run `verify`).
        public static let noCheckpoint = Code(name: "no_checkpoint")
        /// The node reports to no network of that name (see `networks`).
        public static let noNetwork = Code(name: "no_network")
        /// A command for several networks worked for some and failed for others (each is named).
        public static let partialFailure = Code(name: "partial_failure")

        public static func ~= (pattern: Code, error: any Error) -> Bool {
            (error as? NodeError)?.code == pattern
        }
    }

    /// Where in an input file the problem is.
    public struct Location: Sendable, Hashable, CustomStringConvertible {
        public var file: String
        /// 1-based line number.
        public var line: Int
        /// 1-based column (byte offset within the line), or nil for a whole-line problem.
        public var column: Int?
        public var description: String {
            column.map { "\(file):\(line):\($0)" } ?? "\(file):\(line)"
        }
    }

    /// What the admin can do about it, as the library knows it; a front end phrases it in its own
    /// terms (the CLI as a command line with its flags: `townbench-node` maps it).
    public enum Remedy: Sendable, Hashable, CustomStringConvertible {
        /// A setting of a network on the node in `directory`.
        public enum Setting: String, Sendable, Hashable {
            case tenant
            case coordinator = "coordinator URL"
            case coordinatorKey = "pinned coordinator key"
            case token = "town token"
        }
        /// Give `network` these settings (or add it, when `settings` holds its tenant).
        case configure(directory: String, network: String, settings: [Setting])
        /// Verify `network`'s log first, so that a checkpoint is stored.
        case verify(directory: String, network: String)
        /// Name one network: the node has several.
        case nameNetwork

        public var description: String {
            switch self {
            case .configure(_, let network, let settings):
                return "set the \(settings.map(\.rawValue).joined(separator: ", ")) of network '\(network)' (the coordinator's operator gives them)"
            case .verify(_, let network): return "verify the log of network '\(network)' first"
            case .nameNetwork: return "name one network"
            }
        }
    }

    public let code: Code
    public let message: String
    public let location: Location?
    public let remedy: Remedy?

    public init(_ code: Code, _ message: String, at location: Location? = nil, remedy: Remedy? = nil) {
        self.code = code
        self.message = message
        self.location = location
        self.remedy = remedy
    }

    public var description: String {
        let text = remedy.map { "\(message): \($0)" } ?? message
        return location.map { "\($0): \(text)" } ?? text
    }

    /// Whether this is bad data (exit code 65, `EX_DATAERR`) rather than a usage error or failure;
    /// a coordinator log that fails verification is bad data from the coordinator.
    public var isDataError: Bool { code == .badInput || code == .conflict || code == .verificationFailed }
}
