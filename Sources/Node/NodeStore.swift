public import Foundation
internal import Federation
internal import Storage

/// A town's node: its directory, its SQLite store and its identity (town, tenant, time zone, key).
///
/// Why one type: every command starts by opening the node, and the node's settings (above all its
/// time zone, which decides every local day) must come from one place. The raw rows never leave
/// this store; only signed aggregates do (see `Federation/PROTOCOL.md`).
public final class NodeStore {
    /// The settings chosen at `init`.
    public struct Settings: Sendable, Equatable {
        public var town: String
        /// The tenant given to `init` (its first network's); each network's is in ``networks()``.
        public var tenant: String
        /// IANA zone of the town's local days and hours (default `Europe/Brussels`).
        public var timeZone: String
    }

    public let directory: URL
    public let settings: Settings
    let db: Connection

    /// `DIR/node.sqlite`
    public static func storeURL(in directory: URL) -> URL { directory.appendingPathComponent("node.sqlite") }
    /// `DIR/keys/`, mode 0700: the node's private signing key lives here, mode 0600.
    public static func keysURL(in directory: URL) -> URL { directory.appendingPathComponent("keys", isDirectory: true) }

    /// Creates a new node in `directory` (created if missing): its store and its Ed25519 key pair.
    /// Refuses when a node is already there, so nothing is ever overwritten.
    public static func create(in directory: URL, town: String, tenant: String,
                              timeZone: String = "Europe/Brussels") throws -> NodeStore {
        for (flag, value) in [("--town", town), ("--tenant", tenant)] where !Identifier.isValid(value) {
            throw NodeError(.invalidArgument, "\(flag) '\(value)' is not a valid id: use 1–64 lowercase letters, digits, '-', '_' or '.', e.g. harelbeke")
        }
        guard AggregateLimits.isTimeZoneName(timeZone), TimeZone(identifier: timeZone) != nil else {
            throw NodeError(.invalidArgument, "--time-zone '\(timeZone)' is not an IANA time zone; use e.g. Europe/Brussels")
        }
        let fileManager = FileManager.default
        let store = storeURL(in: directory), keys = keysURL(in: directory)
        if fileManager.fileExists(atPath: store.path) || fileManager.fileExists(atPath: keys.path) {
            throw NodeError(.nodeExists, "\(directory.path) already holds a node; nothing was changed. Use another --dir, or remove that node's directory first if you really mean to start over")
        }
        do {
            try fileManager.createDirectory(at: directory, withIntermediateDirectories: true)
            try fileManager.createDirectory(at: keys, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        } catch {
            throw NodeError(.io, "cannot create \(directory.path): \(error.localizedDescription)")
        }
        do {
            let key = try Ed25519.PrivateKey()
            try writeSecret(Hex.encode(try key.seed()) + "\n", to: keys.appendingPathComponent("signing.key"))
            try (Hex.encode(key.publicKey.rawRepresentation) + "\n")
                .write(to: keys.appendingPathComponent("signing.pub"), atomically: true, encoding: .utf8)
            let salt = try SecureRandom.bytes(count: 32)
            let db = try Connection(path: store.path)
            try NodeSchema.migrator.migrate(db)
            try db.transaction {
                for (k, v) in [("town", town), ("tenant", tenant), ("time_zone", timeZone),
                               ("key_id", key.publicKey.keyID), ("sensor_salt", Hex.encode(salt)),
                               ("created_at", ISO8601DateFormatter().string(from: Date()))] {
                    try db.run("INSERT INTO meta (key, value) VALUES (?, ?)", [.text(k), .text(v)])
                }
                // The tenant of `init` is the first network (more with `configure --network`).
                try db.run("INSERT INTO networks (name, tenant, token_file) VALUES (?, ?, 'keys/coordinator.token')",
                           [.text(Network.defaultName), .text(tenant)])
            }
            try db.close()
        } catch {
            // Leave no half-made node behind: the admin can simply run init again.
            try? fileManager.removeItem(at: keys)
            for suffix in ["", "-wal", "-shm"] { try? fileManager.removeItem(atPath: store.path + suffix) }
            throw error
        }
        return try open(directory)
    }

    /// Opens the node in `directory`, applying any new schema migrations.
    public static func open(_ directory: URL) throws -> NodeStore {
        let store = storeURL(in: directory)
        guard FileManager.default.fileExists(atPath: store.path) else {
            throw NodeError(.noNode, "no node in \(directory.path): run `townbench-node init --dir \(directory.path) --town TOWN --tenant TENANT` first")
        }
        let db = try Connection(path: store.path)
        try NodeSchema.migrator.migrate(db)
        var meta: [String: String] = [:]
        for row in try db.query("SELECT key, value FROM meta") { meta[try row.string("key")] = try row.string("value") }
        guard let town = meta["town"], let tenant = meta["tenant"], let zone = meta["time_zone"] else {
            throw NodeError(.noNode, "\(store.path) is not a complete node store (missing settings); restore it from a backup or init a new node")
        }
        return NodeStore(directory: directory, db: db, settings: Settings(town: town, tenant: tenant, timeZone: zone))
    }

    private init(directory: URL, db: Connection, settings: Settings) {
        self.directory = directory
        self.db = db
        self.settings = settings
    }

    /// The town's time zone.
    public var timeZone: TimeZone { TimeZone(identifier: settings.timeZone) ?? TimeZone(secondsFromGMT: 0)! }

    /// A value from the `meta` table.
    func meta(_ key: String) throws -> String? {
        try db.queryFirst("SELECT value FROM meta WHERE key = ?", [.text(key)])?.string("value")
    }

    /// Writes a file readable by its owner only (mode 0600), refusing to replace an existing one.
    static func writeSecret(_ text: String, to url: URL) throws {
        let fd = Foundation.open(url.path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { throw NodeError(.io, "cannot create \(url.path): \(String(cString: strerror(errno)))") }
        defer { Foundation.close(fd) }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(fd) == 0 else {
            throw NodeError(.io, "cannot write \(url.path): \(String(cString: strerror(errno)))")
        }
    }
}
