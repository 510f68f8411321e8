/// The one error type of the `Indicators` module.
///
/// Why: callers (the node's CLI, the coordinator's API) must tell a user what went wrong with the
/// data they passed in, so every failure carries a stable ``code`` and a sentence that says what
/// to do. Insufficient data is *not* an error: indicators return a result whose value is `nil`.
public struct IndicatorsError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A stable, growable error code (a struct over an internal enum, so cases can be added).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        enum Kind: Hashable, Sendable {
            case invalidDate, dayOutOfRange, sensorOutOfRange, invalidPanelShape, invalidArgument
        }
        let kind: Kind
        /// A date string is not an ISO `YYYY-MM-DD` civil date.
        public static let invalidDate = Code(kind: .invalidDate)
        /// A day lies outside the panel's day range.
        public static let dayOutOfRange = Code(kind: .dayOutOfRange)
        /// A sensor row index lies outside the panel.
        public static let sensorOutOfRange = Code(kind: .sensorOutOfRange)
        /// A panel was given arrays whose sizes do not match its shape.
        public static let invalidPanelShape = Code(kind: .invalidPanelShape)
        /// An argument (lag, hour, range) is outside what the definition allows.
        public static let invalidArgument = Code(kind: .invalidArgument)

        public var description: String {
            switch kind {
            case .invalidDate: "invalid-date"
            case .dayOutOfRange: "day-out-of-range"
            case .sensorOutOfRange: "sensor-out-of-range"
            case .invalidPanelShape: "invalid-panel-shape"
            case .invalidArgument: "invalid-argument"
            }
        }

        /// Lets `catch IndicatorsError.Code.invalidDate` style matching work.
        public static func ~= (code: Code, error: any Error) -> Bool {
            (error as? IndicatorsError)?.code == code
        }
    }

    /// What kind of failure this is.
    public let code: Code
    /// A sentence naming the offending value and what to do about it.
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(message) [\(code)]" }
}
