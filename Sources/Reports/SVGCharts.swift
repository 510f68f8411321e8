import Indicators

/// Inline SVG charts: line small multiples, hourly profiles and interval (forest) plots.
///
/// Why: charts that need no JavaScript, no CDN and print sharply; every chart carries a `<title>`
/// and an `aria-label`, and the numbers behind it are always in a table beside it.
public enum SVGChart {
    /// A y-scale shared by several charts (small multiples on one scale), with 100 always inside.
    public static func indexScale(_ series: [[SeriesPoint]]) -> ClosedRange<Double> {
        var lo = 100.0
        var hi = 100.0
        for s in series {
            for p in s {
                if let v = p.value, v.isFinite {
                    lo = min(lo, v)
                    hi = max(hi, v)
                }
            }
        }
        let pad = max(5, (hi - lo) * 0.08)
        lo = max(0, (lo - pad) / 10).rounded(.down) * 10
        hi = ((hi + pad) / 10).rounded(.up) * 10
        return lo...hi
    }

    /// A daily line chart of an index: the series in the accent colour, an optional `overlay`
    /// (the network) dashed, a reference line at 100, gaps where values are missing, missing days
    /// shaded, first and last day under the axis.
    public static func indexLine(
        series: [SeriesPoint], overlay: [SeriesPoint]? = nil, scale: ClosedRange<Double>,
        title: String, width: Int = 260, height: Int = 120
    ) -> String {
        let left = 34.0
        let right = 6.0
        let top = 6.0
        let bottom = 18.0
        let w = Double(width)
        let h = Double(height)
        let plotW = w - left - right
        let plotH = h - top - bottom
        let all = series + (overlay ?? [])
        guard let first = all.map(\.day).min(), let last = all.map(\.day).max() else {
            return empty(title: title, width: width, height: height)
        }
        let span = max(1, Double(last.rawValue - first.rawValue))
        let yspan = max(1e-9, scale.upperBound - scale.lowerBound)
        func x(_ d: DayNumber) -> Double { left + Double(d.rawValue - first.rawValue) / span * plotW }
        func y(_ v: Double) -> Double {
            let c = min(max(v, scale.lowerBound), scale.upperBound)
            return top + (1 - (c - scale.lowerBound) / yspan) * plotH
        }
        var svg = open(title: title, width: width, height: height)
        svg += "<rect x=\"\(n(left))\" y=\"\(n(top))\" width=\"\(n(plotW))\" height=\"\(n(plotH))\" fill=\"#f7f9fb\"/>"
        // Missing days of the main series, shaded (a gap is not a zero).
        let dayW = max(1, plotW / span)
        for p in series where p.value == nil {
            svg +=
                "<rect x=\"\(n(x(p.day) - dayW / 2))\" y=\"\(n(top))\" width=\"\(n(dayW))\" height=\"\(n(plotH))\" fill=\"#e3e6ea\"/>"
        }
        // Grid: low, 100, high.
        for v in [scale.lowerBound, 100, scale.upperBound] {
            let yy = y(v)
            let dash = v == 100 ? " stroke-dasharray=\"3 2\"" : ""
            svg +=
                "<line x1=\"\(n(left))\" x2=\"\(n(w - right))\" y1=\"\(n(yy))\" y2=\"\(n(yy))\" stroke=\"\(v == 100 ? "#8894a0" : "#d5dbe1")\"\(dash)/>"
            svg +=
                "<text x=\"\(n(left - 3))\" y=\"\(n(yy + 3.5))\" text-anchor=\"end\">\(BelgianFormat.number(v, decimals: 0))</text>"
        }
        if let overlay {
            svg +=
                "<path d=\"\(path(overlay, x: x, y: y))\" fill=\"none\" stroke=\"#c05a00\" stroke-width=\"1.2\" stroke-dasharray=\"4 2\"/>"
        }
        svg +=
            "<path d=\"\(path(series, x: x, y: y))\" fill=\"none\" stroke=\"#0b5fa5\" stroke-width=\"1.3\" stroke-linejoin=\"round\"/>"
        svg += "<text x=\"\(n(left))\" y=\"\(n(h - 4))\">\(BelgianFormat.day(first))</text>"
        svg += "<text x=\"\(n(w - right))\" y=\"\(n(h - 4))\" text-anchor=\"end\">\(BelgianFormat.day(last))</text>"
        return svg + "</svg>"
    }

    /// An hourly profile: the town's shares as bars, the peers' as a line with dots, opening hours
    /// shaded and lunchtime (12–14 h) framed.
    /// With `lower` and `upper`, the peers' middle half (quartiles) is drawn as a band.
    public static func hourly(
        town: [Double?], peers: [Double?], openingHours: Range<Int>?, title: String,
        width: Int = 520, height: Int = 170, lower: [Double?]? = nil, upper: [Double?]? = nil
    ) -> String {
        let left = 34.0
        let right = 6.0
        let top = 8.0
        let bottom = 20.0
        let w = Double(width)
        let h = Double(height)
        let plotW = w - left - right
        let plotH = h - top - bottom
        let maxShare = max(0.05, (town + peers + (upper ?? [])).compactMap { $0 }.filter(\.isFinite).max() ?? 0.05) * 1.1
        let slot = plotW / 24
        func y(_ v: Double) -> Double { top + (1 - min(max(v, 0), maxShare) / maxShare) * plotH }
        var svg = open(title: title, width: width, height: height)
        if let open = openingHours, !open.isEmpty {
            let lo = Double(max(0, open.lowerBound))
            let hi = Double(min(24, open.upperBound))
            svg +=
                "<rect x=\"\(n(left + lo * slot))\" y=\"\(n(top))\" width=\"\(n((hi - lo) * slot))\" height=\"\(n(plotH))\" fill=\"#eaf2fa\"/>"
        }
        svg +=
            "<rect x=\"\(n(left + 12 * slot))\" y=\"\(n(top))\" width=\"\(n(2 * slot))\" height=\"\(n(plotH))\" fill=\"none\" stroke=\"#8894a0\" stroke-dasharray=\"2 2\"/>"
        for v in [0, maxShare / 2, maxShare] {
            let yy = y(v)
            svg += "<line x1=\"\(n(left))\" x2=\"\(n(w - right))\" y1=\"\(n(yy))\" y2=\"\(n(yy))\" stroke=\"#d5dbe1\"/>"
            svg +=
                "<text x=\"\(n(left - 3))\" y=\"\(n(yy + 3.5))\" text-anchor=\"end\">\(BelgianFormat.number(v * 100, decimals: 0))%</text>"
        }
        if let lower, let upper, lower.count == 24, upper.count == 24,
           (0..<24).allSatisfy({ (lower[$0]?.isFinite ?? false) && (upper[$0]?.isFinite ?? false) }) {
            let top = (0..<24).map { n(left + (Double($0) + 0.5) * slot) + " " + n(y(upper[$0] ?? 0)) }
            let bottom = (0..<24).reversed().map { n(left + (Double($0) + 0.5) * slot) + " " + n(y(lower[$0] ?? 0)) }
            svg += "<path d=\"M" + (top + bottom).joined(separator: "L") + "Z\" fill=\"#c05a00\" fill-opacity=\"0.18\" stroke=\"none\"/>"
        }
        for (hour, share) in town.prefix(24).enumerated() {
            guard let share, share.isFinite else { continue }
            svg +=
                "<rect x=\"\(n(left + Double(hour) * slot + slot * 0.15))\" y=\"\(n(y(share)))\" width=\"\(n(slot * 0.7))\" height=\"\(n(top + plotH - y(share)))\" fill=\"#0b5fa5\"/>"
        }
        var d = ""
        var pen = false
        for (hour, share) in peers.prefix(24).enumerated() {
            guard let share, share.isFinite else {
                pen = false
                continue
            }
            d += (pen ? "L" : "M") + n(left + (Double(hour) + 0.5) * slot) + " " + n(y(share))
            pen = true
        }
        if !d.isEmpty { svg += "<path d=\"\(d)\" fill=\"none\" stroke=\"#c05a00\" stroke-width=\"1.6\"/>" }
        for (hour, share) in peers.prefix(24).enumerated() {
            guard let share, share.isFinite else { continue }
            svg +=
                "<circle cx=\"\(n(left + (Double(hour) + 0.5) * slot))\" cy=\"\(n(y(share)))\" r=\"2\" fill=\"#c05a00\"/>"
        }
        for hour in stride(from: 0, to: 24, by: 3) {
            svg +=
                "<text x=\"\(n(left + (Double(hour) + 0.5) * slot))\" y=\"\(n(h - 5))\" text-anchor=\"middle\">\(hour) h</text>"
        }
        return svg + "</svg>"
    }

    /// One row of an interval plot.
    public struct IntervalRow: Sendable, Hashable {
        public var label: String
        public var estimate: Estimate?
        /// `true` draws the row in the peer colour (e.g. the peer-adjusted figure).
        public var isSecondary: Bool
        public init(label: String, estimate: Estimate?, isSecondary: Bool = false) {
            self.label = label
            self.estimate = estimate
            self.isSecondary = isSecondary
        }
    }

    /// A forest plot of fractions (uplifts): a dot per row with its interval as a whisker and a
    /// line at 0 %. Rows without an estimate say "–".
    public static func intervals(_ rows: [IntervalRow], title: String, width: Int = 860) -> String {
        let labelW = 280.0
        let right = 20.0
        let rowH = 22.0
        let top = 6.0
        let bottom = 20.0
        let w = Double(width)
        let h = top + bottom + rowH * Double(max(1, rows.count))
        var lo = 0.0
        var hi = 0.0
        for r in rows {
            guard let e = r.estimate else { continue }
            for v in [e.value, e.low, e.high].compactMap({ $0 }) where v.isFinite {
                lo = min(lo, v)
                hi = max(hi, v)
            }
        }
        let pad = max(0.05, (hi - lo) * 0.06)
        lo -= pad
        hi += pad
        let plotW = w - labelW - right
        func x(_ v: Double) -> Double { labelW + (min(max(v, lo), hi) - lo) / (hi - lo) * plotW }
        var svg = open(title: title, width: width, height: Int(h.rounded(.up)))
        // Stripes first, then the 0 % line over them, then the rows.
        for i in stride(from: 0, to: rows.count, by: 2) {
            let cy = top + rowH * (Double(i) + 0.5)
            svg += "<rect x=\"0\" y=\"\(n(cy - rowH / 2))\" width=\"\(n(w))\" height=\"\(n(rowH))\" fill=\"#f7f9fb\"/>"
        }
        svg += "<line x1=\"\(n(x(0)))\" x2=\"\(n(x(0)))\" y1=\"\(n(top))\" y2=\"\(n(h - bottom))\" stroke=\"#8894a0\"/>"
        for (i, r) in rows.enumerated() {
            let cy = top + rowH * (Double(i) + 0.5)
            let colour = r.isSecondary ? "#c05a00" : "#0b5fa5"
            svg +=
                "<text x=\"\(n(labelW - 8))\" y=\"\(n(cy + 4))\" text-anchor=\"end\" style=\"font-size:12px\">\(HTML.escape(truncate(r.label, 42)))</text>"
            guard let e = r.estimate, e.value.isFinite else {
                svg += "<text x=\"\(n(x(0) + 4))\" y=\"\(n(cy + 4))\">\(BelgianFormat.missing)</text>"
                continue
            }
            if let l = e.low, let u = e.high, l.isFinite, u.isFinite {
                svg +=
                    "<line x1=\"\(n(x(l)))\" x2=\"\(n(x(u)))\" y1=\"\(n(cy))\" y2=\"\(n(cy))\" stroke=\"\(colour)\" stroke-width=\"2\"/>"
            }
            svg += "<circle cx=\"\(n(x(e.value)))\" cy=\"\(n(cy))\" r=\"4\" fill=\"\(colour)\"/>"
        }
        for v in [lo + pad, 0, hi - pad] where abs(v) > 1e-9 || v == 0 {
            svg +=
                "<text x=\"\(n(x(v)))\" y=\"\(n(h - 5))\" text-anchor=\"middle\">\(BelgianFormat.percent(v, decimals: 0, signed: true))</text>"
        }
        return svg + "</svg>"
    }

    // MARK: helpers

    static func open(title: String, width: Int, height: Int) -> String {
        let t = HTML.escape(title)
        return
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(width) \(height)\" width=\"\(width)\" height=\"\(height)\" role=\"img\" aria-label=\"\(t)\"><title>\(t)</title>"
    }

    static func empty(title: String, width: Int, height: Int) -> String {
        open(title: title, width: width, height: height)
            + "<text x=\"\(width / 2)\" y=\"\(height / 2)\" text-anchor=\"middle\">\(BelgianFormat.missing)</text></svg>"
    }

    static func path(_ points: [SeriesPoint], x: (DayNumber) -> Double, y: (Double) -> Double) -> String {
        var d = ""
        var pen = false
        for p in points.sorted(by: { $0.day < $1.day }) {
            guard let v = p.value, v.isFinite else {
                pen = false
                continue
            }
            d += (pen ? "L" : "M") + n(x(p.day)) + " " + n(y(v))
            pen = true
        }
        return d.isEmpty ? "M0 0" : d
    }

    static func truncate(_ s: String, _ max: Int) -> String {
        s.count <= max ? s : String(s.prefix(max - 1)) + "…"
    }

    /// A coordinate with one decimal and a dot (SVG syntax, not Belgian).
    static func n(_ v: Double) -> String {
        guard v.isFinite else { return "0" }
        let r = (v * 10).rounded() / 10
        return r == r.rounded() ? String(Int(r)) : String(r)
    }
}
