extension IndicatorMath {
    /// The `p` quantile of sorted values with linear interpolation between order statistics
    /// (Hyndman–Fan type 7, the spreadsheet `PERCENTILE.INC`); nil when empty.
    ///
    /// Why here: the peers' bands (day shape, lots), the peer groups' spread and the conversion
    /// benchmark's quartiles must interpolate alike, so there is one definition.
    public static func quantile(_ sorted: [Double], _ p: Double) -> Double? {
        guard !sorted.isEmpty, p >= 0, p <= 1 else { return nil }
        let x = p * Double(sorted.count - 1)
        let lo = Int(x.rounded(.down)), hi = Int(x.rounded(.up))
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (x - Double(lo))
    }
}
