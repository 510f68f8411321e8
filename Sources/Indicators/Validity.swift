/// How a vendor's sensor reports, which decides how its day is judged valid.
///
/// Why: a day-validity rule written for counters that report every interval ("share of expected
/// intervals present ≥ 0.9") would throw away every day of a Telraam-style camera, which sees
/// daylight only and is up 70–75% of the time while it is light, with counts already scaled up
/// for the downtime. So validity is defined per vendor kind (catalogue: `Indicators/README.md`).
public enum VendorKind: String, Sendable, CaseIterable, Codable {
    /// Reports a count for every interval of the day (CrowdScan, Citymesh, The Retail Factory,
    /// Movias, card spending). Optional vendor uptime per interval.
    case intervalCounter = "interval-counter"
    /// Telraam-style camera: hourly rows with an uptime 0–1, counts scaled up for downtime,
    /// daylight only. An hour is valid at uptime ≥ 0.5.
    case telraamCamera = "telraam-camera"

    /// The kind of a vendor named in a sensor list: names containing "telraam" are cameras,
    /// every other vendor reports intervals. Matching ignores case.
    public init(vendor: String) {
        self = vendor.lowercased().contains("telraam") ? .telraamCamera : .intervalCounter
    }
}

/// The coverage figures the node keeps per (sensor, local day, measure).
///
/// Why: validity must be decided from the same few numbers on the node and on the coordinator;
/// this is the shape both have.
public struct SensorDayCoverage: Sendable, Hashable, Codable {
    /// Σ interval minutes present that day.
    public var coveredMinutes: Double
    /// Σ interval minutes × vendor uptime (equals `coveredMinutes` for vendors without uptime).
    public var uptimeMinutes: Double
    /// Hours whose vendor uptime is ≥ 0.5 (Telraam-style cameras; 0 is fine for others).
    public var validHours: Int
    /// Minutes in the local day: 1440, or 1380 / 1500 at the DST changes (the caller's job).
    public var expectedMinutes: Int

    public init(coveredMinutes: Double, uptimeMinutes: Double? = nil, validHours: Int = 0, expectedMinutes: Int = 1440)
    {
        self.coveredMinutes = coveredMinutes
        self.uptimeMinutes = uptimeMinutes ?? coveredMinutes
        self.validHours = validHours
        self.expectedMinutes = expectedMinutes
    }
}

/// Turns a ``SensorDayCoverage`` into valid / invalid, per ``VendorKind`` (version 1).
///
/// Why: every indicator uses only valid sensor-days, and like-for-like comparisons need the
/// same rule everywhere; the thresholds are part of the standard, so they are versioned here.
///
/// - Interval counters: valid when `uptimeMinutes / expectedMinutes ≥ minimumUptimeShare`
///   (0.9). Without vendor uptime this is the share of the day's intervals present.
/// - Telraam-style cameras: valid when `validHours ≥ minimumValidHours` (6). The vendor uptime
///   is *not* compared with 0.9: the camera is dark at night and typically up 70–75% of daylight
///   hours, and its counts are already scaled up for downtime. Six valid hours are reachable on
///   the shortest December day in Flanders (about 8 hours of daylight).
public struct ValidityRule: Sendable, Hashable {
    /// Interval counters: minimum share of the day's expected minutes covered (× uptime).
    public var minimumUptimeShare: Double
    /// Telraam-style cameras: minimum number of hours with uptime ≥ 0.5.
    public var minimumValidHours: Int

    public init(minimumUptimeShare: Double, minimumValidHours: Int) {
        self.minimumUptimeShare = minimumUptimeShare
        self.minimumValidHours = minimumValidHours
    }

    /// The catalogue's version-1 rule: 0.9 for interval counters, 6 valid hours for cameras.
    public static let v1 = ValidityRule(minimumUptimeShare: 0.9, minimumValidHours: 6)

    /// The uptime an hour must reach to count as a valid Telraam hour.
    public static let telraamHourMinimumUptime = 0.5

    /// Whether a sensor's day counts.
    public func isValid(_ coverage: SensorDayCoverage, vendorKind: VendorKind) -> Bool {
        switch vendorKind {
        case .intervalCounter:
            guard coverage.expectedMinutes > 0 else { return false }
            return coverage.uptimeMinutes / Double(coverage.expectedMinutes) >= minimumUptimeShare
        case .telraamCamera:
            return coverage.validHours >= minimumValidHours
        }
    }
}
