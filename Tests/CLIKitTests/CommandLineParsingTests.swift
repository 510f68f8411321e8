@testable import CLIKit
import Foundation
import Synchronization
import Testing

/// What a test command ran.
final class Recorder: Sendable {
    let lines = Mutex<[String]>([])
}

/// The declarative command line: one declaration gives the parser, the usage line, the help's
/// OPTIONS and the order parse-and-validate, then run.
@Suite struct CommandLineParsingTests {
    static let dir = Option<String>("dir", "DIR", "The directory.", required: true, hint: "the node's directory")
    static let count = Option.integer("count", "N", "How many.", in: 1...10)
    static let name = Option<String>("name", "NAME", "A name,\nover two lines.")
    static let json = Flag.json("Print as JSON.")
    static let pair = OptionGroup<(Int?, Int?)>([
        OptionSpec(name: "low", valueName: "N", help: "Lowest."),
        OptionSpec(name: "high", valueName: "N", help: "Highest."),
    ], usage: "[--low N --high N]") { arguments in
        let low = arguments.text("low").flatMap(Int.init), high = arguments.text("high").flatMap(Int.init)
        guard (low == nil) == (high == nil) else { throw UsageError("--low and --high go together") }
        return (low, high)
    }

    /// A command that records whether it ran and what it read.
    static func tool(ran: Recorder) -> Command {
        let leaf = Command(name: "write", abstract: "Write something.", discussion: "Writes a file.",
                           options: [dir, count, name, pair, json], positionals: [Positional("FILE")],
                           epilogue: "Nothing else.") { arguments in
            let dir = try arguments.required(dir)
            let count = try arguments(count) ?? 1
            let json = arguments(json)
            _ = try arguments(pair)
            let file = arguments.positionals[0]
            return { ran.lines.withLock { $0.append("\(dir) \(count) \(json) \(file)") } }
        }
        return Command(name: "tool", abstract: "A tool.", subcommands: [leaf])
    }

    func resolve(_ arguments: [String], ran: Recorder = Recorder()) -> Resolution {
        CLIKit.resolve(executable: "tool", version: "1.0", root: Self.tool(ran: ran), arguments: arguments)
    }

    func usageError(_ arguments: [String]) -> String? {
        if case .usageError(let message, _, _) = resolve(arguments) { return message }
        return nil
    }

    @Test func parsesTypedValuesThenRuns() throws {
        let ran = Recorder()
        guard case .run(let run, _, _) = resolve(["write", "--dir=d", "--count", "3", "--json", "--", "--file"], ran: ran) else {
            Issue.record("not parsed")
            return
        }
        #expect(ran.lines.withLock { $0 }.isEmpty)
        try run()
        #expect(ran.lines.withLock { $0 } == ["d 3 true --file"])
    }

    @Test func refusesWhatTheCommandDoesNotDeclare() {
        #expect(usageError(["write", "--dir", "d", "--dri", "x", "f"]) == "unknown option --dri. Did you mean '--dir'?")
        #expect(usageError(["write", "--dir", "d", "--force", "f"]) == "unknown option --force")
        #expect(usageError(["write", "--dir", "d", "--json=yes", "f"]) == "--json takes no value")
        #expect(usageError(["write", "--dir", "d", "--name", "a", "--name", "b", "f"]) == "--name is given twice")
        #expect(usageError(["write", "--dir", "d", "--name"]) == "--name needs a value")
        #expect(usageError(["write", "f"]) == "missing --dir DIR (the node's directory)")
        #expect(usageError(["write", "--dir", "", "f"]) == "missing --dir DIR (the node's directory)")
        #expect(usageError(["write", "--dir", "d"]) == "missing FILE")
        #expect(usageError(["write", "--dir", "d", "f", "g"]) == "unexpected argument 'g'")
        #expect(usageError(["wirte"]) == "unknown command 'wirte'. Did you mean 'write'?")
    }

    /// A bad value anywhere on the line is refused before the command runs: nothing half-done.
    @Test func validatesEverythingBeforeRunning() {
        let ran = Recorder()
        for line in [["write", "--dir", "d", "f", "--count", "11"], ["write", "--dir", "d", "f", "--low", "1"],
                     ["write", "--dir", "d", "f", "--bogus"]] {
            if case .run(let run, _, _) = resolve(line, ran: ran) { try? run() }
        }
        #expect(ran.lines.withLock { $0 }.isEmpty)
        #expect(usageError(["write", "--dir", "d", "f", "--count", "11"]) == "--count must be a whole number from 1 to 10, not '11'")
        #expect(usageError(["write", "--dir", "d", "f", "--low", "1"]) == "--low and --high go together")
    }

    @Test func helpAndUsageComeFromTheDeclaration() {
        guard case .output(let help) = resolve(["help", "write"]) else { Issue.record("no help"); return }
        #expect(help == """
            OVERVIEW: Write something.

            USAGE: tool write --dir DIR [--count N] [--name NAME] [--low N --high N] [--json] FILE

            Writes a file.

            OPTIONS:
              --dir DIR    The directory.
              --count N    How many.
              --name NAME  A name,
                           over two lines.
              --low N      Lowest.
              --high N     Highest.
              --json       Print as JSON.

            Nothing else.

            """)
        guard case .output(let same) = resolve(["write", "--dir", "d", "--help"]) else { Issue.record("no help"); return }
        #expect(same == help)
        guard case .output(let version) = resolve(["--version"]) else { Issue.record("no version"); return }
        #expect(version == "tool 1.0")
        guard case .usageError(_, let usage, let see) = resolve(["write"]) else { Issue.record("no usage error"); return }
        #expect(usage == "Usage: tool write --dir DIR [--count N] [--name NAME] [--low N --high N] [--json] FILE")
        #expect(see == "tool write")
    }

    @Test func expressibleByArgumentNamesWhatItExpects() throws {
        let number = Option<Int>("n", "N", "A number.")
        let command = Command(name: "c", abstract: "", options: [number]) { _ in {} }
        #expect(throws: UsageError.self) { try ParsedArguments(["--n", "x"], command: command)(number) }
        do {
            _ = try ParsedArguments(["--n", "x"], command: command)(number)
        } catch let error as UsageError {
            #expect(error.message == "--n must be a whole number, not 'x'")
        }
        #expect(try ParsedArguments(["--n", "-4"], command: command)(number) == -4)
    }
}
