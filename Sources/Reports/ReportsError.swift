/// The one error type of the Reports module.
///
/// Why: rendering never fails, but writing a report's files or encoding its JSON can; the
/// description says which file and what to do.
public struct ReportsError: Error, CustomStringConvertible, Sendable {
    /// What went wrong; a struct so cases can be added without breaking callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        /// A report file or directory could not be written.
        public static let writeFailed = Code(name: "writeFailed")
        /// The model could not be encoded as JSON (a non-finite number).
        public static let encodingFailed = Code(name: "encodingFailed")
        public var description: String { name }

        /// Lets `catch ReportsError.Code.writeFailed` match a thrown ``ReportsError``.
        public static func ~= (code: Code, error: any Error) -> Bool {
            (error as? ReportsError)?.code == code
        }
    }

    public let code: Code
    public let description: String

    public init(_ code: Code, _ description: String) {
        self.code = code
        self.description = description
    }
}
