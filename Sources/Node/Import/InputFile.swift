// Opening an import's input file: only a regular file (or a link to one) is read, and every way
// a path can be wrong gets its own message naming the path and the remedy.
import Foundation
import Indicators
#if canImport(Glibc)
import Glibc
#endif

/// Opens input files for the importers.
///
/// Why: `open(2)` on a FIFO blocks until a writer appears, a directory opens fine and fails later
/// with a Cocoa error number, and strerror's words ("no such file" for a symlink loop, "You don't
/// have permission" for a FIFO through Foundation) send an admin the wrong way. The file is opened
/// with `O_NONBLOCK` and checked with `fstat` on the descriptor that is then read, so what was
/// checked is what is read.
enum InputFile {
    /// A read-only descriptor of the regular file at `path` (blocking reads); the caller closes it.
    static func open(_ path: String) throws -> Int32 {
        let fd = Glibc.open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw openError(path, errno: errno) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let code = errno
            close(fd)
            throw NodeError(.io, "cannot read \(path): \(String(cString: strerror(code)))")
        }
        let kind = info.st_mode & S_IFMT
        guard kind == S_IFREG else {
            close(fd)
            throw NodeError(.io, "\(path) is \(describe(kind)), not a regular file: \(remedy(kind))")
        }
        // Reads of a regular file never block anyway; clear the flag to read it plainly.
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        return fd
    }

    /// Checks that `path` is a readable regular file (opens and closes it).
    static func check(_ path: String) throws {
        close(try open(path))
    }

    /// The whole file, refused if larger than `limit` bytes (`tooLarge` gets the size in bytes).
    static func read(_ path: String, limit: Int, tooLarge: (Int) -> NodeError) throws -> Data {
        let fd = try open(path)
        var info = stat()
        if fstat(fd, &info) == 0, Int(info.st_size) > limit {
            close(fd)
            throw tooLarge(Int(info.st_size))
        }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        do {
            return try handle.readToEnd() ?? Data()
        } catch {
            throw NodeError(.io, "cannot read \(path): \(error.localizedDescription). Check the disk and the file, then import again")
        }
    }

    static func openError(_ path: String, errno code: Int32) -> NodeError {
        switch code {
        case ENOENT:
            let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: path)).map { " (it is a symbolic link to \($0), which does not exist)" } ?? ""
            return NodeError(.io, "cannot read \(path): no such file\(target). Check the path (a relative path starts in \(FileManager.default.currentDirectoryPath))")
        case ELOOP:
            return NodeError(.io, "cannot read \(path): it is a symbolic link that leads back to itself (a loop of links). Give the real file's path, or point the link at the file")
        case EACCES, EPERM:
            return NodeError(.io, "cannot read \(path): no permission to read it as this user. Make it readable (e.g. `chmod u+r`) or run the import as its owner")
        case ENOTDIR:
            return NodeError(.io, "cannot read \(path): a part of the path before the file name is not a directory. Check the path")
        case ENAMETOOLONG:
            return NodeError(.io, "cannot read \(path): the path is too long. Move the file to a shorter path")
        default:
            return NodeError(.io, "cannot read \(path): \(String(cString: strerror(code))). Check the path and permissions")
        }
    }

    static func describe(_ kind: mode_t) -> String {
        switch kind {
        case S_IFDIR: "a directory"
        case S_IFIFO: "a named pipe (FIFO)"
        case S_IFSOCK: "a socket"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        default: "a special file"
        }
    }

    static func remedy(_ kind: mode_t) -> String {
        kind == S_IFDIR
            ? "give the path of the export file inside it (one file per import)"
            : "save the export to a regular file first, then import that file"
    }
}

extension LocalClock {
    /// `2025-06-02 00:00` in the town's time zone: how an admin wrote the time.
    func wallTime(_ epoch: Int64) -> String {
        let local = epoch + Int64(offset(at: epoch))
        let day = DayNumber(Int(local >= 0 ? local / 86_400 : (local - 86_399) / 86_400))
        let seconds = Int(local - Int64(day.rawValue) * 86_400)
        return "\(day) " + String(format: "%02d:%02d", seconds / 3600, seconds % 3600 / 60)
    }

    /// `2025-01-05 06:00 local (2025-01-04T17:00:00Z)`: a stored instant in a message, as the
    /// file most likely wrote it (local wall time) and unambiguously (UTC, which tells the two
    /// occurrences of the repeated autumn hour apart).
    func described(_ epoch: Int64) -> String {
        "\(wallTime(epoch)) local (\(epoch.utcString))"
    }
}
