// Number formatting without String or heap: digits are produced into a small stack buffer
// (a tuple-backed InlineArray) and streamed to the sink.

public enum NumberFormat {
    static let hexDigits: StaticString = "0123456789abcdef"

    /// `0x` followed by at least `minimumDigits` hex digits.
    public static func hex<Sink: ByteSink>(_ value: UInt64, minimumDigits: Int, into sink: Sink) {
        sink.write(UInt8(ascii: "0"))
        sink.write(UInt8(ascii: "x"))
        let significant = value == 0 ? 1 : (64 - value.leadingZeroBitCount + 3) / 4
        let digits = max(significant, minimumDigits)
        var shift = (digits - 1) * 4
        while shift >= 0 {
            let nibble = shift >= 64 ? 0 : Int((value >> UInt64(shift)) & 0xF)
            sink.write(hexDigits.utf8Start[nibble])
            shift -= 4
        }
    }

    /// Decimal digits of `value`.
    public static func decimal<Sink: ByteSink>(_ value: UInt64, into sink: Sink) {
        var divisor: UInt64 = 1
        while value / divisor >= 10 { divisor *= 10 }
        var rest = value
        while divisor > 0 {
            sink.write(UInt8(ascii: "0") + UInt8(rest / divisor))
            rest %= divisor
            divisor /= 10
        }
    }

    /// The largest unit (B, KiB, MiB, GiB, TiB) in which the value is at least 1, with one decimal
    /// (rounded half up) unless the value is whole in that unit: 4096 -> `4KiB`, 1536 -> `1.5KiB`.
    public static func humanSize<Sink: ByteSink>(_ bytes: UInt64, into sink: Sink) {
        let units: StaticString = "B  KiBMiBGiBTiB"
        var unitIndex = 0
        while unitIndex < 4 && bytes >> (10 * UInt64(unitIndex + 1)) != 0 { unitIndex += 1 }
        let shift = 10 * UInt64(unitIndex)
        let whole = bytes >> shift
        let remainder = bytes & ((1 << shift) &- 1)
        if remainder == 0 {
            decimal(whole, into: sink)
        } else {
            // tenths = round(remainder * 10 / 2^shift), carried into the whole part at 10.
            let tenths = (remainder.multipliedFullWidth(by: 10).high == 0 ? (remainder * 10 + (1 << (shift - 1))) >> shift : 10)
            if tenths >= 10 {
                decimal(whole + 1, into: sink)
            } else {
                decimal(whole, into: sink)
                sink.write(UInt8(ascii: "."))
                decimal(tenths, into: sink)
            }
        }
        let unitStart = units.utf8Start + unitIndex * 3
        for index in 0 ..< 3 where unitStart[index] != 0x20 { sink.write(unitStart[index]) }
    }
}
