// Physical addresses and frame numbers.
//
// A physical address names a byte of RAM as the CPU's memory bus sees it; a frame number names a
// 4 KiB physical frame (address >> 12). They are distinct types so that a frame number can never
// be passed where a byte address is expected, or the other way round.

/// Size of one physical frame (and of one virtual page): 4 KiB.
public let frameSize: UInt64 = 4096
/// log2(frameSize).
public let frameShift: UInt64 = 12

/// A byte address in physical memory.
public struct PhysicalAddress: Hashable, Comparable, Sendable {
    public var raw: UInt64

    @inlinable public init(_ raw: UInt64) { self.raw = raw }

    @inlinable public static func < (a: Self, b: Self) -> Bool { a.raw < b.raw }

    /// The frame that contains this address.
    @inlinable public var containingFrame: FrameNumber { FrameNumber(raw >> frameShift) }

    /// True when the address is the first byte of a frame.
    @inlinable public var isFrameAligned: Bool { raw & (frameSize - 1) == 0 }

    /// The address moved forward by `bytes`, or nil if that would pass 2^64.
    @inlinable public func adding(_ bytes: UInt64) -> PhysicalAddress? {
        let (sum, overflow) = raw.addingReportingOverflow(bytes)
        return overflow ? nil : PhysicalAddress(sum)
    }

    /// Rounded down to a multiple of `alignment` (a power of two).
    @inlinable public func alignedDown(to alignment: UInt64) -> PhysicalAddress {
        PhysicalAddress(MemoryCore.alignDown(raw, to: alignment))
    }

    /// Rounded up to a multiple of `alignment` (a power of two), or nil if that would pass 2^64.
    @inlinable public func alignedUp(to alignment: UInt64) -> PhysicalAddress? {
        MemoryCore.alignUp(raw, to: alignment).map(PhysicalAddress.init)
    }
}

/// The number of a 4 KiB physical frame: frame n covers bytes [n * 4096, (n + 1) * 4096).
public struct FrameNumber: Hashable, Comparable, Strideable, Sendable {
    public var raw: UInt64

    @inlinable public init(_ raw: UInt64) { self.raw = raw }

    @inlinable public static func < (a: Self, b: Self) -> Bool { a.raw < b.raw }

    /// The address of the frame's first byte.
    @inlinable public var startAddress: PhysicalAddress { PhysicalAddress(raw << frameShift) }

    @inlinable public func distance(to other: FrameNumber) -> Int64 {
        Int64(bitPattern: other.raw &- raw)
    }

    @inlinable public func advanced(by n: Int64) -> FrameNumber {
        FrameNumber(UInt64(bitPattern: Int64(bitPattern: raw) &+ n))
    }

    /// True when the frame number is a multiple of `alignment` frames (a power of two).
    @inlinable public func isAligned(to alignment: UInt64) -> Bool { raw & (alignment &- 1) == 0 }
}
