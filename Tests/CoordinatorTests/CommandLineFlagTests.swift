@testable import Coordinator
import Foundation
import Testing
import TestSupport

/// The library's errors describe the problem; the command line names its flags (issue 21).
@Suite struct CommandLineFlagTests {
    @Test func libraryMessagesNameNoFlags() throws {
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("townbench-none-\(UUID().uuidString)")
        let notADirectory = try #require(throws: CoordinatorError.self) { try CoordinatorDirectory.open(missing) }
        #expect(!notADirectory.message.contains("--"), "\(notADirectory.message)")
        try withTemporaryDirectory { dir in
            let coordinator = try CoordinatorDirectory.create(at: dir.appendingPathComponent("coord"))
            let again = try #require(throws: CoordinatorError.self) { try CoordinatorDirectory.create(at: coordinator.url) }
            #expect(!again.message.contains("--"), "\(again.message)")
            let database = try #require(throws: CoordinatorError.self) {
                try CoordinatorDatabase.open("mysql://db", directory: coordinator)
            }
            #expect(!database.message.contains("--"), "\(database.message)")
        }
    }

    @Test func theCommandLineNamesTheFlag() throws {
        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("coord").path
            let missing = try ProcessTests.run(["tenant", "policy", "--dir", path, "--tenant", "daks"])
            #expect(missing.status == 1 && missing.stderr.contains("--dir \(path)") && missing.stderr.contains("init --dir"), "\(missing.stderr)")
            #expect(try ProcessTests.run(["init", "--dir", path]).status == 0)
            let database = try ProcessTests.run(["tenant", "policy", "--dir", path, "--tenant", "daks", "--database", "mysql://db"])
            #expect(database.status == 64 && database.stderr.contains("--database"), "\(database.stderr)")
        }
    }
}
