public import Federation
public import Foundation

/// A coordinator's directory: `coordinator.sqlite` (the store), `coordinator.key` (the
/// 32-byte Ed25519 seed that signs reports and checkpoints, mode 0600) and `coordinator.name`
/// (the name its tenants' log origins start with).
///
/// Why: `init` creates both once; every other command and `serve` open them by `--dir`, so an
/// operator backs up one directory.
public struct CoordinatorDirectory: Sendable {
    public let url: URL
    public var databaseURL: URL { url.appendingPathComponent("coordinator.sqlite") }
    public var keyURL: URL { url.appendingPathComponent("coordinator.key") }
    public var nameURL: URL { url.appendingPathComponent("coordinator.name") }

    /// Creates the directory, the store and a fresh signing key. Refuses a directory that holds a coordinator.
    /// `name` goes into every checkpoint's origin (`<name>/townbench/<tenant>`) and cannot change
    /// afterwards without towns seeing a different log: use the public host name.
    public static func create(at url: URL, name: String = CoordinatorService.defaultName) throws -> CoordinatorDirectory {
        let dir = CoordinatorDirectory(url: url)
        let fm = FileManager.default
        let key = try Ed25519.PrivateKey()
        _ = try CheckpointSigner(name: name, key: key)  // refuses a name a note cannot carry, before anything is written
        if fm.fileExists(atPath: dir.keyURL.path) || fm.fileExists(atPath: dir.databaseURL.path) {
            throw CoordinatorError(.directory, "\(url.path) already holds a coordinator. Choose another directory, or use the existing one.")
        }
        do {
            try fm.createDirectory(at: url, withIntermediateDirectories: true)
            try Data((name + "\n").utf8).write(to: dir.nameURL)
            guard fm.createFile(atPath: dir.keyURL.path, contents: Data(try key.seed()), attributes: [.posixPermissions: 0o600]) else {
                throw CoordinatorError(.directory, "Cannot write \(dir.keyURL.path). Check the directory's permissions.")
            }
            let store = try SQLiteCoordinatorStore(path: dir.databaseURL.path)
            try store.close()
        } catch let error as CoordinatorError {
            throw error
        } catch {
            throw CoordinatorError(.directory, "Cannot create a coordinator in \(url.path): \(error). Check the path and permissions.")
        }
        return dir
    }

    /// An existing coordinator directory.
    public static func open(_ url: URL) throws -> CoordinatorDirectory {
        let dir = CoordinatorDirectory(url: url)
        guard FileManager.default.fileExists(atPath: dir.keyURL.path), FileManager.default.fileExists(atPath: dir.databaseURL.path) else {
            throw CoordinatorError(.directory, "\(url.path) is not a coordinator directory (it has no signing key or no store). Create a coordinator there first, or give an existing one's directory.")
        }
        return dir
    }

    public func openStore() throws -> SQLiteCoordinatorStore { try SQLiteCoordinatorStore(path: databaseURL.path) }

    /// The coordinator's name (``CoordinatorService/defaultName`` for a directory made before names).
    public func name() -> String {
        guard let text = try? String(contentsOf: nameURL, encoding: .utf8) else { return CoordinatorService.defaultName }
        let name = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return name.isEmpty ? CoordinatorService.defaultName : name
    }

    /// The signer of this coordinator's checkpoints.
    public func checkpointSigner() throws -> CheckpointSigner { try CheckpointSigner(name: name(), key: try signingKey()) }

    public func signingKey() throws -> Ed25519.PrivateKey {
        guard let seed = FileManager.default.contents(atPath: keyURL.path), seed.count == 32 else {
            throw CoordinatorError(.directory, "\(keyURL.path) is not a 32-byte Ed25519 seed. Restore it from your backup.")
        }
        return try Ed25519.PrivateKey(seed: [UInt8](seed))
    }
}
