import Indicators
// The charts that keep a 300-town network readable (issue 17): every town as one dot of a ranked
// chart, and the spread of each peer group as a box on one scale with the network's.

extension SVGChart {
    /// One town of a ranked dot chart.
    public struct RankedDot: Sendable, Hashable {
        public var label: String
        public var value: Double
        /// Drawn in the accent colour (a chosen group's town); the others grey when any is highlighted.
        public var isHighlighted: Bool
        public init(label: String, value: Double, isHighlighted: Bool = false) {
            self.label = label
            self.value = value
            self.isHighlighted = isHighlighted
        }
    }

    /// The scale of index values, with 100 inside and round ends (as ``indexScale(_:)``).
    static func valueScale(_ values: [Double]) -> ClosedRange<Double> {
        indexScale([values.map { SeriesPoint(day: DayNumber(0), value: $0) }])
    }

    /// Every town as a dot, ranked from the highest index (left) to the lowest, over the network's
    /// quartile band (`lower`…`upper`) and its median (dashed); `groupMedian` a solid line. Each dot
    /// carries its town's name and value as a tooltip. Linear in the towns.
    public static func rankedDots(
        _ dots: [RankedDot], median: Double?, lower: Double?, upper: Double?, groupMedian: Double? = nil,
        title: String, width: Int = 860, height: Int = 220
    ) -> String {
        let ranked = dots.filter(\.value.isFinite).sorted { ($0.value, $1.label) > ($1.value, $0.label) }
        guard !ranked.isEmpty else { return empty(title: title, width: width, height: height) }
        let left = 38.0, right = 8.0, top = 8.0, bottom = 20.0
        let w = Double(width), h = Double(height)
        let plotW = w - left - right, plotH = h - top - bottom
        let scale = valueScale(ranked.map(\.value) + [median, lower, upper, groupMedian].compactMap { $0 })
        let yspan = max(1e-9, scale.upperBound - scale.lowerBound)
        func y(_ v: Double) -> Double { top + (1 - (min(max(v, scale.lowerBound), scale.upperBound) - scale.lowerBound) / yspan) * plotH }
        let step = plotW / Double(ranked.count)
        func x(_ i: Int) -> Double { left + (Double(i) + 0.5) * step }
        var svg = open(title: title, width: width, height: height)
        if let lower, let upper, lower.isFinite, upper.isFinite {
            svg += "<rect x=\"\(n(left))\" y=\"\(n(y(upper)))\" width=\"\(n(plotW))\" height=\"\(n(y(lower) - y(upper)))\" fill=\"#f3e3d3\"/>"
        }
        for v in [scale.lowerBound, 100, scale.upperBound] {
            svg += "<line x1=\"\(n(left))\" x2=\"\(n(w - right))\" y1=\"\(n(y(v)))\" y2=\"\(n(y(v)))\" stroke=\"#d5dbe1\"/>"
            svg += "<text x=\"\(n(left - 3))\" y=\"\(n(y(v) + 3.5))\" text-anchor=\"end\">\(BelgianFormat.number(v, decimals: 0))</text>"
        }
        if let median, median.isFinite {
            svg += "<line x1=\"\(n(left))\" x2=\"\(n(w - right))\" y1=\"\(n(y(median)))\" y2=\"\(n(y(median)))\" stroke=\"#c05a00\" stroke-width=\"1.2\" stroke-dasharray=\"5 3\"/>"
        }
        let anyHighlighted = ranked.contains(where: \.isHighlighted)
        let radius = min(4, max(1.6, step * 0.45))
        // Grey dots first, highlighted ones on top.
        for pass in [false, true] {
            for (i, dot) in ranked.enumerated() where dot.isHighlighted == pass {
                let fill = anyHighlighted && !pass ? "#b4bcc5" : "#0b5fa5"
                svg += "<circle cx=\"\(n(x(i)))\" cy=\"\(n(y(dot.value)))\" r=\"\(n(radius))\" fill=\"\(fill)\"><title>"
                svg += "\(i + 1). \(HTML.escape(dot.label)) · \(BelgianFormat.number(dot.value))</title></circle>"
            }
        }
        if let groupMedian, groupMedian.isFinite {
            svg += "<line x1=\"\(n(left))\" x2=\"\(n(w - right))\" y1=\"\(n(y(groupMedian)))\" y2=\"\(n(y(groupMedian)))\" stroke=\"#0b5fa5\" stroke-width=\"1.4\"/>"
        }
        svg += "<text x=\"\(n(x(0)))\" y=\"\(n(h - 5))\" text-anchor=\"middle\">1</text>"
        if ranked.count > 1 {
            svg += "<text x=\"\(n(x(ranked.count - 1)))\" y=\"\(n(h - 5))\" text-anchor=\"middle\">\(ranked.count)</text>"
        }
        return svg + "</svg>"
    }

    /// One row of a spread chart: a label, the values as dots (may be empty), the box and median.
    public struct SpreadRow: Sendable, Hashable {
        public var label: String
        public var values: [Double]
        public var spread: IndexSpread
        /// A highlighted row (the chosen group) gets a bold label.
        public var isHighlighted: Bool
        public init(label: String, values: [Double] = [], spread: IndexSpread, isHighlighted: Bool = false) {
            self.label = label
            self.values = values
            self.spread = spread
            self.isHighlighted = isHighlighted
        }
    }

    /// Rows of spreads on one index scale: each row's values as small dots, its quartiles as a box
    /// and its median as a bar; `marker` (a town's own index) as a large dot on every row.
    public static func spreads(_ rows: [SpreadRow], marker: Double? = nil, title: String, width: Int = 860) -> String {
        let labelW = 230.0, right = 14.0, rowH = 26.0, top = 6.0, bottom = 20.0
        let w = Double(width)
        let h = top + bottom + rowH * Double(max(1, rows.count))
        var all: [Double] = rows.flatMap { r in r.values + [r.spread.median, r.spread.lowerQuartile, r.spread.upperQuartile].compactMap { $0 } }
        if let marker { all.append(marker) }
        let scale = valueScale(all.filter(\.isFinite))
        let span = max(1e-9, scale.upperBound - scale.lowerBound)
        let plotW = w - labelW - right
        func x(_ v: Double) -> Double { labelW + (min(max(v, scale.lowerBound), scale.upperBound) - scale.lowerBound) / span * plotW }
        var svg = open(title: title, width: width, height: Int(h.rounded(.up)))
        for i in stride(from: 0, to: rows.count, by: 2) {
            svg += "<rect x=\"0\" y=\"\(n(top + rowH * Double(i)))\" width=\"\(n(w))\" height=\"\(n(rowH))\" fill=\"#f7f9fb\"/>"
        }
        svg += "<line x1=\"\(n(x(100)))\" x2=\"\(n(x(100)))\" y1=\"\(n(top))\" y2=\"\(n(h - bottom))\" stroke=\"#8894a0\" stroke-dasharray=\"3 2\"/>"
        for (i, row) in rows.enumerated() {
            let cy = top + rowH * (Double(i) + 0.5)
            let weight = row.isHighlighted ? ";font-weight:700" : ""
            let label = truncate(row.label, 34) + " (\(row.spread.towns))"
            svg += "<text x=\"\(n(labelW - 8))\" y=\"\(n(cy + 4))\" text-anchor=\"end\" style=\"font-size:12px\(weight)\">\(HTML.escape(label))</text>"
            for v in row.values where v.isFinite {
                svg += "<circle cx=\"\(n(x(v)))\" cy=\"\(n(cy))\" r=\"2\" fill=\"#8894a0\" fill-opacity=\"0.6\"/>"
            }
            if let lo = row.spread.lowerQuartile, let hi = row.spread.upperQuartile, lo.isFinite, hi.isFinite {
                svg += "<rect x=\"\(n(x(lo)))\" y=\"\(n(cy - 7))\" width=\"\(n(max(1, x(hi) - x(lo))))\" height=\"14\" fill=\"#f3e3d3\" fill-opacity=\"0.7\" stroke=\"#c05a00\"/>"
            }
            if let m = row.spread.median, m.isFinite {
                svg += "<line x1=\"\(n(x(m)))\" x2=\"\(n(x(m)))\" y1=\"\(n(cy - 9))\" y2=\"\(n(cy + 9))\" stroke=\"#c05a00\" stroke-width=\"2.5\"><title>\(HTML.escape(row.label)) · \(BelgianFormat.number(m))</title></line>"
            } else {
                svg += "<text x=\"\(n(labelW + 4))\" y=\"\(n(cy + 4))\">\(BelgianFormat.missing)</text>"
            }
            if let marker, marker.isFinite {
                svg += "<circle cx=\"\(n(x(marker)))\" cy=\"\(n(cy))\" r=\"4.5\" fill=\"#0b5fa5\" stroke=\"#ffffff\"/>"
            }
        }
        for v in [scale.lowerBound, 100, scale.upperBound] {
            svg += "<text x=\"\(n(x(v)))\" y=\"\(n(h - 5))\" text-anchor=\"middle\">\(BelgianFormat.number(v, decimals: 0))</text>"
        }
        return svg + "</svg>"
    }
}
