import Foundation
#if canImport(Glibc)
import Glibc
#endif
@testable import Node
import TestSupport
import Testing

/// `townbench-node import` given a path that is not a regular file (issue 16): each case gets a
/// message naming the path and the remedy, exit 1, and nothing is imported; a FIFO is refused
/// without waiting for a writer.
@Suite struct InputFileTests {
    let node = Repository.executable("townbench-node")

    func importing(_ fixture: NodeFixture, _ format: String, _ path: String) throws -> ProcessResult {
        try runProcess(node, ["import", "--dir", fixture.store.directory.path, "--format", format, path])
    }

    @Test(arguments: ["telraam", "counts", "events"])
    func aDirectoryIsNamedAsOne(format: String) throws {
        try withTemporaryDirectory { dir in
            let fixture = try NodeFixture(in: dir)
            let folder = dir.appendingPathComponent("exports")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let result = try importing(fixture, format, folder.path)
            #expect(result.status == 1)
            #expect(result.stderr == "Error: \(folder.path) is a directory, not a regular file: give the path of the export file inside it (one file per import)\n")
        }
    }

    /// A FIFO nobody writes to: refused at once. (Should an importer open it blocking, the writer
    /// thread below ends the wait, so the test fails instead of hanging.)
    @Test(arguments: ["telraam", "counts", "sensors"])
    func aNamedPipeIsRefusedWithoutBlocking(format: String) throws {
        try withTemporaryDirectory { dir in
            let fixture = try NodeFixture(in: dir, sensors: false)
            let fifo = dir.appendingPathComponent("export.json").path
            #expect(mkfifo(fifo, 0o600) == 0)
            let writer = Thread {
                let fd = open(fifo, O_WRONLY)  // returns once anyone opens the FIFO for reading
                if fd >= 0 { close(fd) }
            }
            writer.start()
            let result = format == "sensors"
                ? try runProcess(node, ["sensors", "import", "--dir", fixture.store.directory.path, fifo])
                : try importing(fixture, format, fifo)
            // Release the writer thread (it waits for a reader).
            let reader = open(fifo, O_RDONLY | O_NONBLOCK)
            if reader >= 0 { close(reader) }
            #expect(result.status == 1)
            #expect(result.stderr == "Error: \(fifo) is a named pipe (FIFO), not a regular file: save the export to a regular file first, then import that file\n")
            #expect(try fixture.query("SELECT COUNT(*) FROM imports").first?.int64(0) == 0)
        }
    }

    @Test func aSymbolicLinkLoopAndADanglingLinkAreToldApart() throws {
        try withTemporaryDirectory { dir in
            let fixture = try NodeFixture(in: dir)
            let a = dir.appendingPathComponent("a.csv").path, b = dir.appendingPathComponent("b.csv").path
            try FileManager.default.createSymbolicLink(atPath: a, withDestinationPath: b)
            try FileManager.default.createSymbolicLink(atPath: b, withDestinationPath: a)
            let loop = try importing(fixture, "counts", a)
            #expect(loop.status == 1)
            #expect(loop.stderr == "Error: cannot read \(a): it is a symbolic link that leads back to itself (a loop of links). Give the real file's path, or point the link at the file\n")

            let dangling = dir.appendingPathComponent("dangling.csv").path
            let missing = dir.appendingPathComponent("gone.csv").path
            try FileManager.default.createSymbolicLink(atPath: dangling, withDestinationPath: missing)
            let result = try importing(fixture, "counts", dangling)
            #expect(result.status == 1)
            #expect(result.stderr.hasPrefix("Error: cannot read \(dangling): no such file (it is a symbolic link to \(missing), which does not exist). Check the path"), "\(result.stderr)")

            // A link to a regular file is read as the file.
            let real = try fixture.write("real.csv", "sensor,start,minutes,measure,count\nped-markt,2025-06-02T08:00:00Z,60,pedestrians,5\n")
            let link = dir.appendingPathComponent("link.csv").path
            try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: real)
            #expect(try importing(fixture, "counts", link).status == 0)
        }
    }

    /// An event whose end is not after its start shows both times as written, in local time, and
    /// says which way round they are (a date-only end covers its whole day).
    @Test(arguments: [
        ("2025-06-02,2025-06-01", "the event ends before it starts: it starts 2025-06-02 00:00 and ends with the whole day 2025-06-01 (local time, Europe/Brussels). Make end later than start"),
        ("2025-06-07T10:00:00Z,2025-06-07T09:00:00Z", "the event ends before it starts: it starts 2025-06-07 12:00 and ends 2025-06-07 11:00 (local time, Europe/Brussels). Make end later than start"),
        ("2025-06-07T10:00:00,2025-06-07T10:00:00", "the event ends when it starts, so it lasts no time: it starts 2025-06-07 10:00 and ends 2025-06-07 10:00 (local time, Europe/Brussels). Make end later than start"),
    ] as [(String, String)])
    func anEventThatEndsBeforeItStartsShowsLocalTimes(_ input: (String, String)) throws {
        try withTemporaryDirectory { dir in
            let fixture = try NodeFixture(in: dir)
            let file = try fixture.write("e.csv", "id,name,zone,start,end,kind\nx,X,markt,\(input.0),event\n")
            let error = try #require(throws: NodeError.self) { try fixture.store.importFile(file, format: .events) }
            #expect(error.message == input.1)
            #expect(error.location?.line == 2)
        }
    }
}
