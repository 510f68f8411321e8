import Foundation

/// A command of a TownBench executable: its name, one-line abstract, usage and help text, and
/// what it runs. Why our own instead of a package: the project takes no SwiftPM dependencies, and
/// the executables need only flags, options, subcommands and swift-argument-parser's conventions
/// (help to stdout with exit 0; `Error:` + usage on stderr with exit 64 for usage errors).
public struct Command: Sendable {
    public var name: String
    public var abstract: String
    /// Synopsis lines after the executable's name, e.g. `import --dir DIR --format FORMAT FILE`.
    public var usage: String
    /// Longer help: options, one sentence each.
    public var help: String
    public var subcommands: [Command]
    /// Options of this command that take no value (besides `--json`, `--replace`, `--help`, …).
    public var flags: Set<String>
    public var run: (@Sendable (inout Arguments) throws -> Void)?

    public init(name: String, abstract: String, usage: String = "", help: String = "", subcommands: [Command] = [],
                flags: Set<String> = [], run: (@Sendable (inout Arguments) throws -> Void)? = nil) {
        self.flags = flags
        self.name = name
        self.abstract = abstract
        self.usage = usage
        self.help = help
        self.subcommands = subcommands
        self.run = run
    }
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
}

/// The arguments of one command: `--name value` options, `--flag` flags and positionals, consumed
/// as the command reads them so leftovers can be reported as unknown.
public struct Arguments {
    private var options: [String: String] = [:]
    private var flags: Set<String> = []
    public private(set) var positionals: [String] = []
    private var consumed: Set<String> = []

    /// Parses `arguments`; `flagNames` take no value, every other `--name` takes one (`--name value` or `--name=value`).
    public init(_ arguments: [String], flagNames: Set<String>) throws {
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
            if flagNames.contains(name) {
                if value != nil { throw UsageError("--\(name) takes no value") }
                flags.insert(name)
                continue
            }
            if value == nil {
                guard index < arguments.count else { throw UsageError("--\(name) needs a value") }
                value = arguments[index]
                index += 1
            }
            if options[name] != nil { throw UsageError("--\(name) is given twice") }
            options[name] = value
        }
    }

    /// The value of `--name`, if given.
    public mutating func option(_ name: String) -> String? {
        consumed.insert(name)
        return options[name]
    }

    /// The value of `--name`, or a usage error saying it is required.
    public mutating func required(_ name: String, _ what: String) throws -> String {
        guard let value = option(name), !value.isEmpty else { throw UsageError("missing --\(name) \(what)") }
        return value
    }

    /// Whether `--name` was given.
    public mutating func flag(_ name: String) -> Bool {
        consumed.insert(name)
        return flags.contains(name)
    }

    /// Exactly one positional argument, or a usage error.
    public func single(_ what: String) throws -> String {
        guard positionals.count == 1 else {
            throw UsageError(positionals.isEmpty ? "missing \(what)" : "expected one \(what), got \(positionals.count): \(positionals.joined(separator: " "))")
        }
        return positionals[0]
    }

    /// Throws for options or flags the command never asked about (typos such as `--dri`).
    public func checkAllConsumed(positionals allowed: Int = 0) throws {
        if let unknown = Set(options.keys).union(flags).subtracting(consumed).sorted().first {
            throw UsageError("unknown option --\(unknown)")
        }
        if positionals.count > allowed {
            throw UsageError("unexpected argument '\(positionals[allowed])'")
        }
    }
}

/// Runs an executable's command tree and exits: help and `--version` to stdout (exit 0), errors
/// to stderr as `Error: …` with the usage and a pointer to `--help`.
public func runCommandLine(executable: String, version: String, root: Command, arguments: [String] = Array(CommandLine.arguments.dropFirst())) -> Never {
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
    if remaining.contains("--version") && path.count == 1 {
        print("\(executable) \(version)")
        exit(0)
    }
    if remaining.contains("--help") || remaining.contains("-h") || (command.run == nil && remaining.isEmpty) {
        print(helpText(command, name: commandName, parentName: parentName))
        exit(0)
    }
    guard let run = command.run else {
        var message = "unknown command '\(remaining[0])'"
        if let guess = command.subcommands.map(\.name).min(by: { editDistance($0, remaining[0]) < editDistance($1, remaining[0]) }),
           editDistance(guess, remaining[0]) <= 2 {
            message += ". Did you mean '\(guess)'?"
        }
        fail(message, usage: "Usage: \(commandName) <subcommand>", see: commandName, code: 64)
    }
    do {
        var parsed = try Arguments(remaining, flagNames: command.flags.union(["json", "replace", "help", "force", "dry-run", "verbose", "quiet"]))
        try run(&parsed)
        exit(0)
    } catch let error as UsageError {
        fail(error.message, usage: usageText(command, name: parentName), see: commandName, code: 64)
    } catch let error as any ExitCodeProviding {
        fail("\(error)", usage: nil, see: nil, code: error.exitCode)
    } catch {
        fail("\(error)", usage: nil, see: nil, code: 1)
    }
}

private func fail(_ message: String, usage: String?, see: String?, code: Int32) -> Never {
    var text = "Error: \(message)\n"
    if let usage { text += usage + "\n" }
    if let see { text += "See '\(see) --help'.\n" }
    FileHandle.standardError.write(Data(text.utf8))
    exit(code)
}

private func usageText(_ command: Command, name: String) -> String {
    if command.usage.isEmpty { return "Usage: \(name) <subcommand>" }
    return command.usage.split(separator: "\n").enumerated()
        .map { ($0.offset == 0 ? "Usage: " : "       ") + name + " " + $0.element }.joined(separator: "\n")
}

private func helpText(_ command: Command, name: String, parentName: String) -> String {
    let usage = command.usage.isEmpty ? "Usage: \(name) <subcommand>" : usageText(command, name: parentName)
    var text = "OVERVIEW: \(command.abstract)\n\n\(usage.replacingOccurrences(of: "Usage:", with: "USAGE:"))\n"
    if !command.help.isEmpty { text += "\n" + command.help + "\n" }
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
