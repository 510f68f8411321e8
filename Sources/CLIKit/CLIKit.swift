import Foundation

/// A command of a TownBench executable, declared once: its name, abstract, options and
/// positionals. From that one declaration come the parser (unknown options refused per command),
/// the usage line and the help's OPTIONS section. Why our own instead of swift-argument-parser:
/// the project takes no SwiftPM dependencies; this keeps its conventions (help to stdout with exit
/// 0; `Error:` + usage on stderr with exit 64 for usage errors) without macros or reflection.
///
/// A leaf command's `parse` reads and validates every value and returns what to run: nothing is
/// written before every option of the line was parsed and checked.
public struct Command: Sendable {
    public var name: String
    public var abstract: String
    /// Text before OPTIONS (formats, what the command does).
    public var discussion: String
    public var options: [any OptionDeclaration]
    public var positionals: [Positional]
    /// Text after OPTIONS.
    public var epilogue: String
    public var subcommands: [Command]
    public var parse: (@Sendable (ParsedArguments) throws -> Run)?

    public init(name: String, abstract: String, discussion: String = "", options: [any OptionDeclaration] = [],
                positionals: [Positional] = [], epilogue: String = "",
                parse: @escaping @Sendable (ParsedArguments) throws -> Run) {
        self.name = name
        self.abstract = abstract
        self.discussion = discussion
        self.options = options
        self.positionals = positionals
        self.epilogue = epilogue
        self.subcommands = []
        self.parse = parse
    }

    /// A command that only groups subcommands.
    public init(name: String, abstract: String, subcommands: [Command]) {
        self.name = name
        self.abstract = abstract
        self.discussion = ""
        self.options = []
        self.positionals = []
        self.epilogue = ""
        self.subcommands = subcommands
        self.parse = nil
    }

    /// Every option this command accepts, in declaration order.
    public var specs: [OptionSpec] { options.flatMap(\.specs) }

    /// The synopsis after the parent's path: required options bare, optional ones in brackets, then positionals.
    public var usage: String {
        ([name] + options.map(\.usage).filter { !$0.isEmpty } + positionals.map(\.name)).joined(separator: " ")
    }
}

/// What a command does once its whole line was parsed and validated.
public typealias Run = () throws -> Void

/// One accepted `--name`: a flag (no value) or an option with a value.
public struct OptionSpec: Sendable {
    public var name: String
    /// `nil` for a flag.
    public var valueName: String?
    public var help: String
    public var isRequired: Bool
    /// Said after "missing --name VALUE" when a required option is absent, e.g. "the node's directory".
    public var hint: String?

    public init(name: String, valueName: String?, help: String, isRequired: Bool = false, hint: String? = nil) {
        self.name = name
        self.valueName = valueName
        self.help = help
        self.isRequired = isRequired
        self.hint = hint
    }

    /// The same option with another help sentence (a shared option explained for one command).
    public func withHelp(_ text: String) -> OptionSpec {
        var copy = self
        copy.help = text
        return copy
    }

    var label: String { "--\(name)" + (valueName.map { " \($0)" } ?? "") }
    var usage: String { isRequired ? label : "[\(label)]" }
}

/// Something a command lists in `options`: an `Option`, a `Flag` or an `OptionGroup`.
public protocol OptionDeclaration: Sendable {
    var specs: [OptionSpec] { get }
    /// Its part of the usage line.
    var usage: String { get }
}

extension OptionDeclaration {
    public var usage: String { specs.map(\.usage).joined(separator: " ") }
}

/// A value type an option can hold without a custom parse function (like swift-argument-parser's
/// `ExpressibleByArgument`): `nil` for text that is not a value; `expectation` completes
/// "--name must be …".
public protocol ExpressibleByArgument: Sendable {
    init?(argument: String)
    static var expectation: String { get }
}

extension String: ExpressibleByArgument {
    public init?(argument: String) { self = argument }
    public static var expectation: String { "text" }
}

extension Int: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
    public static var expectation: String { "a whole number" }
}

extension UInt64: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
    public static var expectation: String { "a whole number" }
}

/// A `--name VALUE` option of type `Value`.
public struct Option<Value: Sendable>: OptionDeclaration {
    public var spec: OptionSpec
    /// Turns the text into a value or throws a `UsageError` naming the option and what it must be.
    public var convert: @Sendable (String) throws -> Value
    public var specs: [OptionSpec] { [spec] }

    public init(_ name: String, _ valueName: String, _ help: String, required: Bool = false, hint: String? = nil,
                convert: @escaping @Sendable (String) throws -> Value) {
        spec = OptionSpec(name: name, valueName: valueName, help: help, isRequired: required, hint: hint)
        self.convert = convert
    }

    /// The same option, required (for a command where it must be given).
    public func required(hint: String? = nil) -> Option {
        var copy = self
        copy.spec.isRequired = true
        if let hint { copy.spec.hint = hint }
        return copy
    }

    /// The same option with another help sentence.
    public func help(_ text: String) -> Option {
        var copy = self
        copy.spec.help = text
        return copy
    }
}

extension Option where Value: ExpressibleByArgument {
    public init(_ name: String, _ valueName: String, _ help: String, required: Bool = false, hint: String? = nil) {
        self.init(name, valueName, help, required: required, hint: hint) { text in
            guard let value = Value(argument: text) else { throw UsageError("--\(name) must be \(Value.expectation), not '\(text)'") }
            return value
        }
    }
}

extension Option where Value == Int {
    /// A whole number in `range`; the error names the flag and the range.
    public static func integer(_ name: String, _ valueName: String, _ help: String, in range: ClosedRange<Int>,
                               required: Bool = false) -> Option {
        Option(name, valueName, help, required: required) { text in
            guard let value = Int(text), range.contains(value) else {
                throw UsageError("--\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound), not '\(text)'")
            }
            return value
        }
    }
}

/// A `--name` flag that takes no value.
public struct Flag: OptionDeclaration {
    public var spec: OptionSpec
    public var specs: [OptionSpec] { [spec] }
    public init(_ name: String, _ help: String) { spec = OptionSpec(name: name, valueName: nil, help: help) }

    /// `--json`, with the command's own sentence.
    public static func json(_ help: String) -> Flag { Flag("json", help) }
}

/// Options that several commands share and read into one value (like swift-argument-parser's
/// `@OptionGroup`): e.g. `--dir`, or `--period` / `--from` / `--to` parsed into one period.
public struct OptionGroup<Value: Sendable>: OptionDeclaration {
    public var specs: [OptionSpec]
    public var usageText: String?
    public var read: @Sendable (ParsedArguments) throws -> Value
    public var usage: String { usageText ?? specs.map(\.usage).joined(separator: " ") }

    public init(_ specs: [OptionSpec], usage: String? = nil, read: @escaping @Sendable (ParsedArguments) throws -> Value) {
        self.specs = specs
        self.usageText = usage
        self.read = read
    }
}

/// A positional argument, e.g. `FILE`.
public struct Positional: Sendable {
    public var name: String
    public init(_ name: String) { self.name = name }
}

/// A usage mistake: a missing or unknown option, a bad value. Exit code 64 (`EX_USAGE`).
public struct UsageError: Error, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// An error that knows its exit code (65 for bad data, 1 for other failures).
public protocol ExitCodeProviding: Error {
    var exitCode: Int32 { get }
    /// The error as the command line states it after `Error: `: where an executable maps a
    /// library's remedy to its own commands and flags (default: the error's description).
    var commandLineMessage: String { get }
}

extension ExitCodeProviding {
    public var commandLineMessage: String { "\(self)" }
}

/// A command line parsed against one command's declared options: unknown options, flags given a
/// value, options given twice, missing required options and extra positionals are refused here,
/// before the command reads anything.
public struct ParsedArguments: Sendable {
    private var values: [String: String] = [:]
    private var flags: Set<String> = []
    public private(set) var positionals: [String] = []

    public init(_ arguments: [String], command: Command) throws {
        let specs = Dictionary(command.specs.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if argument == "--" {
                positionals += arguments[index...]
                break
            }
            guard argument.hasPrefix("--"), argument.count > 2 else {
                positionals.append(argument)
                continue
            }
            var name = String(argument.dropFirst(2))
            var value: String?
            if let equals = name.firstIndex(of: "=") {
                value = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }
            guard let spec = specs[name] else {
                var message = "unknown option --\(name)"
                if let guess = closest(name, among: specs.keys) { message += ". Did you mean '--\(guess)'?" }
                throw UsageError(message)
            }
            if spec.valueName == nil {
                if value != nil { throw UsageError("--\(name) takes no value") }
                flags.insert(name)
                continue
            }
            if value == nil {
                guard index < arguments.count else { throw UsageError("--\(name) needs a value") }
                value = arguments[index]
                index += 1
            }
            if values[name] != nil { throw UsageError("--\(name) is given twice") }
            values[name] = value
        }
        for spec in command.specs where spec.isRequired && (values[spec.name] ?? "").isEmpty {
            throw UsageError("missing \(spec.label)" + (spec.hint.map { " (\($0))" } ?? ""))
        }
        if positionals.count < command.positionals.count {
            throw UsageError("missing \(command.positionals[positionals.count].name)")
        }
        if positionals.count > command.positionals.count {
            throw UsageError("unexpected argument '\(positionals[command.positionals.count])'")
        }
    }

    /// The raw text of `--name`, if given.
    public func text(_ name: String) -> String? { values[name] }

    /// The value of `option`, if given.
    public func callAsFunction<Value>(_ option: Option<Value>) throws -> Value? {
        try values[option.spec.name].map(option.convert)
    }

    /// The value of a required `option` (its presence was checked when parsing).
    public func required<Value>(_ option: Option<Value>) throws -> Value {
        guard let text = values[option.spec.name], !text.isEmpty else {
            throw UsageError("missing \(option.spec.label)" + (option.spec.hint.map { " (\($0))" } ?? ""))
        }
        return try option.convert(text)
    }

    /// Whether `flag` was given.
    public func callAsFunction(_ flag: Flag) -> Bool { flags.contains(flag.spec.name) }

    /// The value of an option group.
    public func callAsFunction<Value>(_ group: OptionGroup<Value>) throws -> Value { try group.read(self) }
}

private func closest(_ name: String, among names: some Sequence<String>) -> String? {
    guard let guess = names.min(by: { editDistance($0, name) < editDistance($1, name) }),
          editDistance(guess, name) <= 2 else { return nil }
    return guess
}

/// Runs an executable's command tree and exits: help and `--version` to stdout (exit 0), errors
/// to stderr as `Error: …` with the usage and a pointer to `--help`.
public func runCommandLine(executable: String, version: String, root: Command, arguments: [String] = Array(CommandLine.arguments.dropFirst())) -> Never {
    switch resolve(executable: executable, version: version, root: root, arguments: arguments) {
    case .output(let text):
        print(text)
        exit(0)
    case .usageError(let message, let usage, let see):
        fail(message, usage: usage, see: see, code: 64)
    case .run(let run, let usage, let see):
        do {
            try run()
            exit(0)
        } catch let error as UsageError {
            fail(error.message, usage: usage, see: see, code: 64)
        } catch let error as any ExitCodeProviding {
            fail(error.commandLineMessage, usage: nil, see: nil, code: error.exitCode)
        } catch {
            fail("\(error)", usage: nil, see: nil, code: 1)
        }
    }
}

/// What a command line comes to before anything runs: text to print (help, version), a usage
/// error, or a parsed and validated command ready to run. Separate from `runCommandLine` so it can
/// be tested without a process.
public enum Resolution {
    case output(String)
    case usageError(message: String, usage: String, see: String)
    case run(Run, usage: String, see: String)
}

public func resolve(executable: String, version: String, root: Command, arguments: [String]) -> Resolution {
    var path: [Command] = [root]
    var remaining = arguments
    // `help SUB …` is `SUB … --help`.
    if remaining.first == "help" { remaining = Array(remaining.dropFirst()) + ["--help"] }
    while let next = remaining.first, let sub = path.last?.subcommands.first(where: { $0.name == next }) {
        path.append(sub)
        remaining.removeFirst()
    }
    let command = path[path.count - 1]
    let commandName = ([executable] + path.dropFirst().map(\.name)).joined(separator: " ")
    // Usage lines start with the command's own name, so they follow its parent's path.
    let parentName = ([executable] + path.dropFirst().dropLast().map(\.name)).joined(separator: " ")
    if remaining.contains("--version") && path.count == 1 { return .output("\(executable) \(version)") }
    if remaining.contains("--help") || remaining.contains("-h") || (command.parse == nil && remaining.isEmpty) {
        return .output(helpText(command, name: commandName, parentName: parentName))
    }
    guard let parse = command.parse else {
        var message = "unknown command '\(remaining[0])'"
        if let guess = closest(remaining[0], among: command.subcommands.map(\.name)) { message += ". Did you mean '\(guess)'?" }
        return .usageError(message: message, usage: "Usage: \(commandName) <subcommand>", see: commandName)
    }
    let usage = usageText(command, name: parentName)
    do {
        return .run(try parse(ParsedArguments(remaining, command: command)), usage: usage, see: commandName)
    } catch let error as UsageError {
        return .usageError(message: error.message, usage: usage, see: commandName)
    } catch {
        // A check while parsing that is not about usage (a file to read, a store): run it to report it.
        return .run({ throw error }, usage: usage, see: commandName)
    }
}

private func fail(_ message: String, usage: String?, see: String?, code: Int32) -> Never {
    var text = "Error: \(message)\n"
    if let usage { text += usage + "\n" }
    if let see { text += "See '\(see) --help'.\n" }
    // What the command printed before failing (e.g. an import's summary) comes first, also when
    // stdout is a pipe and still holds it in its buffer.
    fflush(nil)
    FileHandle.standardError.write(Data(text.utf8))
    exit(code)
}

private func usageText(_ command: Command, name: String) -> String {
    command.parse == nil ? "Usage: \(name) \(command.name) <subcommand>" : "Usage: \(name) \(command.usage)"
}

/// The help of `command`: overview, usage, discussion, the OPTIONS generated from its
/// declarations, epilogue, subcommands.
public func helpText(_ command: Command, name: String, parentName: String) -> String {
    let usage = command.parse == nil ? "Usage: \(name) <subcommand>" : usageText(command, name: parentName)
    var text = "OVERVIEW: \(command.abstract)\n\n\(usage.replacingOccurrences(of: "Usage:", with: "USAGE:"))\n"
    if !command.discussion.isEmpty { text += "\n" + command.discussion + "\n" }
    let specs = command.specs
    if !specs.isEmpty {
        text += "\nOPTIONS:\n"
        let width = min(specs.map(\.label.count).max() ?? 0, 24)
        let indent = String(repeating: " ", count: width + 4)
        for spec in specs {
            let lines = spec.help.split(separator: "\n", omittingEmptySubsequences: false)
            if spec.label.count > width {
                text += "  \(spec.label)\n"
                for line in lines { text += indent + line + "\n" }
            } else {
                text += "  \(spec.label)\(String(repeating: " ", count: width - spec.label.count))  \(lines.first ?? "")\n"
                for line in lines.dropFirst() { text += indent + line + "\n" }
            }
        }
    }
    if !command.epilogue.isEmpty { text += "\n" + command.epilogue + "\n" }
    if !command.subcommands.isEmpty {
        text += "\nSUBCOMMANDS:\n"
        let width = command.subcommands.map(\.name.count).max() ?? 0
        for sub in command.subcommands {
            text += "  \(sub.name)\(String(repeating: " ", count: width - sub.name.count))  \(sub.abstract)\n"
        }
        text += "\n  See '\(name) <subcommand> --help' for detailed help.\n"
    }
    return text
}

private func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    var row = Array(0...b.count)
    for i in 1...max(a.count, 1) where !a.isEmpty {
        var previous = row[0]
        row[0] = i
        for j in 1...max(b.count, 1) where !b.isEmpty {
            let current = row[j]
            row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
            previous = current
        }
    }
    return row[b.count]
}

/// Prints a value as pretty JSON with sorted keys (the `--json` output of every command: stable keys).
public func printJSON<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

/// Whether standard error is a terminal (progress is shown only then).
public var standardErrorIsTerminal: Bool { isatty(2) == 1 }
