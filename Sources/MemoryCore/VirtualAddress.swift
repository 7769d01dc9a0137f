// Virtual addresses: what a pointer holds once paging is on.

/// A byte address in a virtual address space.
public struct VirtualAddress: Hashable, Comparable, Sendable {
    public var raw: UInt64

    @inlinable public init(_ raw: UInt64) { self.raw = raw }

    @inlinable public static func < (a: Self, b: Self) -> Bool { a.raw < b.raw }

    /// x86-64 with 4-level paging: bits 63..47 must all equal bit 47.
    @inlinable public var isCanonical: Bool {
        let top = raw >> 47
        return top == 0 || top == 0x1FFFF
    }

    @inlinable public func isAligned(to alignment: UInt64) -> Bool { raw & (alignment &- 1) == 0 }

    @inlinable public func adding(_ bytes: UInt64) -> VirtualAddress? {
        let (sum, overflow) = raw.addingReportingOverflow(bytes)
        return overflow ? nil : VirtualAddress(sum)
    }
}
