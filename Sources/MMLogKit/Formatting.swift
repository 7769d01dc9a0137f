// Number formatting shared by the report, the page and the trace.
import Foundation

public enum Format {
    static func bytes(_ value: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var amount = Double(value), unit = 0
        while abs(amount) >= 1024 && unit < units.count - 1 {
            amount /= 1024
            unit += 1
        }
        return unit == 0 ? "\(value) B" : String(format: amount.rounded() == amount ? "%.0f %@" : "%.1f %@", amount, units[unit])
    }

    static func frames(_ count: Int) -> String { "\(count) (\(bytes(count * 4096)))" }

    /// Time in the model's unit: microseconds as ms/s, or line numbers.
    static func time(_ value: Double, unit: String) -> String {
        guard unit == "us" else { return "line \(Int(value))" }
        if value >= 1_000_000 { return String(format: "%.3f s", value / 1_000_000) }
        return String(format: "%.1f ms", value / 1000)
    }

    static func hex(_ value: UInt64) -> String { "0x" + String(value, radix: 16) }

    static func percent(_ part: Double, _ whole: Double) -> String {
        whole == 0 ? "-" : String(format: "%.1f%%", 100 * part / whole)
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    static func padLeft(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }
}

extension Format {
    public static func bytesDescription(_ value: Int) -> String { bytes(value) }
}
