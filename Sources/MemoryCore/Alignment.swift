// Power-of-two alignment arithmetic, overflow-checked where rounding up can pass the top.
//
// Every allocator in the project aligns through these functions, so each one has its own tests
// (a wrong operator here silently corrupts every layer above).

/// True when `value` is a non-zero power of two.
@inlinable public func isPowerOfTwo(_ value: UInt64) -> Bool {
    value != 0 && value & (value &- 1) == 0
}

/// `value` rounded down to a multiple of `alignment`. Precondition: alignment is a power of two.
@inlinable public func alignDown(_ value: UInt64, to alignment: UInt64) -> UInt64 {
    value & ~(alignment &- 1)
}

/// `value` rounded up to a multiple of `alignment`, or nil when the result does not fit in 64 bits.
/// Precondition: alignment is a power of two.
@inlinable public func alignUp(_ value: UInt64, to alignment: UInt64) -> UInt64? {
    let (sum, overflow) = value.addingReportingOverflow(alignment &- 1)
    return overflow ? nil : sum & ~(alignment &- 1)
}

/// log2 of the smallest power of two >= value (value >= 1). ceilLog2(1) == 0, ceilLog2(5) == 3.
@inlinable public func ceilLog2(_ value: UInt64) -> Int {
    value <= 1 ? 0 : 64 - (value &- 1).leadingZeroBitCount
}

/// log2 of the largest power of two <= value (value >= 1). floorLog2(5) == 2.
@inlinable public func floorLog2(_ value: UInt64) -> Int {
    63 - value.leadingZeroBitCount
}
