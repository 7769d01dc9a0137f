// Ratios and means in log lines without floating point (the kernel and user programs build
// with no SSE): `key=W.FF`, a quotient rounded to two decimals.

extension LogLine {
    /// `key=W.FF`: numerator / denominator rounded to nearest hundredth (`key=inf` when the
    /// denominator is 0). Exact for denominators below 2^57 (the remainder times 100 fits).
    @discardableResult public func hundredths(_ key: StaticString, _ numerator: UInt64, over denominator: UInt64) -> Self {
        field(key) {
            guard denominator != 0 else { return write("inf") }
            var whole = numerator / denominator
            var fraction = ((numerator % denominator) &* 100 &+ denominator / 2) / denominator
            if fraction == 100 {
                whole += 1
                fraction = 0
            }
            NumberFormat.decimal(whole, into: sink)
            sink.write(UInt8(ascii: "."))
            if fraction < 10 { sink.write(UInt8(ascii: "0")) }
            NumberFormat.decimal(fraction, into: sink)
        }
    }
}
