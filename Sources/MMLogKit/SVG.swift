// Small SVG and HTML building blocks: escaping, axes, scales.
import Foundation

enum HTML {
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(character)
            }
        }
        return out
    }
}

/// A linear map from data to pixels.
struct Scale {
    var domain: (Double, Double)
    var range: (Double, Double)

    func callAsFunction(_ value: Double) -> Double {
        let span = domain.1 - domain.0
        guard span != 0 else { return range.0 }
        return range.0 + (value - domain.0) / span * (range.1 - range.0)
    }

    /// Round tick values (1, 2, 5 x 10^n steps), about `count` of them.
    func ticks(_ count: Int, binary: Bool = false) -> [Double] {
        let span = domain.1 - domain.0
        guard span > 0 else { return [domain.0] }
        let rough = span / Double(count)
        // Powers of two read better for byte axes: use them when the domain is large and whole.
        let magnitude = pow(10, floor(log10(rough)))
        var step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= rough } ?? rough
        if binary { step = pow(2, ceil(log2(rough))) }
        var ticks: [Double] = []
        var tick = ceil(domain.0 / step) * step
        while tick <= domain.1 + step * 1e-9 {
            ticks.append(tick)
            tick += step
        }
        return ticks
    }
}

enum SVGAxis {
    /// A time axis along the bottom of a chart.
    static func time(_ x: Scale, y: Double, unit: String) -> String {
        var out = "<g class=\"axis\">"
        out += "<line x1=\"\(f(x.range.0))\" y1=\"\(f(y))\" x2=\"\(f(x.range.1))\" y2=\"\(f(y))\"/>"
        for tick in x.ticks(8) {
            let px = x(tick)
            out += "<line x1=\"\(f(px))\" y1=\"\(f(y))\" x2=\"\(f(px))\" y2=\"\(f(y + 4))\"/>"
            out +=
                "<text x=\"\(f(px))\" y=\"\(f(y + 16))\" text-anchor=\"middle\">\(HTML.escape(Format.time(tick, unit: unit)))</text>"
        }
        return out + "</g>"
    }

    /// A value axis on the left with horizontal grid lines.
    static func values(_ y: Scale, x0: Double, x1: Double, label: (Double) -> String) -> String {
        var out = "<g class=\"axis\">"
        for tick in y.ticks(4, binary: y.domain.1 >= 4096) {
            let py = y(tick)
            out += "<line class=\"grid\" x1=\"\(f(x0))\" y1=\"\(f(py))\" x2=\"\(f(x1))\" y2=\"\(f(py))\"/>"
            out += "<text x=\"\(f(x0 - 6))\" y=\"\(f(py + 4))\" text-anchor=\"end\">\(HTML.escape(label(tick)))</text>"
        }
        return out + "</g>"
    }
}

/// Pixel numbers with at most one decimal, so the page stays small.
func f(_ value: Double) -> String {
    let rounded = (value * 10).rounded() / 10
    return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
}
