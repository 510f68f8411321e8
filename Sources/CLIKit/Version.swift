/// TownBench's version, printed by `--version` on both executables.
///
/// Why here: the one place the version is set. `deploy/package.sh` reads it from the built
/// binary's `--version`, and a test checks it against the newest entry of `CHANGELOG.md`.
public let townBenchVersion = "0.4.0"
