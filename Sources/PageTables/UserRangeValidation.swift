// Validating (address, length) pairs that arrive from user space in memory syscalls (map, unmap,
// protect, brk, buffers), before anything is decoded further: decode -> validate -> invoke.
//
// The result is the page-rounded half-open range [start, end) with
//   start = alignDown(address, 4 KiB),  end = alignDown(address + length - 1, 4 KiB) + 4 KiB,
//   UserSpace.start <= start < end <= UserSpace.end.
// Every sum is computed with overflow reporting, and the last byte (address + length - 1) is used
// instead of the end so that a range ending exactly at 2^64 is still representable. Checks run in
// this order, so each hostile input has exactly one, stable, answer:
//   zeroLength -> misaligned -> tooLarge -> wrapsAround -> touchesKernel -> outsideUserRange

import MemoryCore

/// Why a user-supplied range was refused.
public enum UserRangeError: Error, Equatable, Sendable {
    /// length == 0.
    case zeroLength
    /// The address is not page-aligned and the call requires it (`.pageAlignedAddress`).
    case misaligned
    /// length > UserSpace.byteCount: no placement could ever fit.
    case tooLarge
    /// address + length - 1 passes 2^64 - 1.
    case wrapsAround
    /// Some byte lies in kernel memory: below `UserSpace.start` (the shared identity map, PML4 slot 0,
    /// including the null page) or in the canonical higher half (>= 0xFFFF_8000_0000_0000).
    case touchesKernel
    /// Some byte lies past `UserSpace.end`: the guard slot 255 or the non-canonical hole.
    case outsideUserRange

    /// The name in log lines (a refused syscall's `reason=`).
    public var name: StaticString {
        switch self {
        case .zeroLength: "zero-length"
        case .misaligned: "misaligned"
        case .tooLarge: "too-large"
        case .wrapsAround: "wraps-around"
        case .touchesKernel: "touches-kernel"
        case .outsideUserRange: "outside-user-range"
        }
    }
}

/// How a syscall treats an unaligned address.
public enum UserRangeAlignment: Hashable, Sendable {
    /// The address must be page-aligned (map, unmap, protect); the length is rounded up.
    case pageAlignedAddress
    /// Any address; the range is widened outwards to whole pages (buffers the kernel reads or writes).
    case roundOutward
}

/// A page-aligned, half-open virtual range [start, end) inside `UserSpace`.
public struct UserRange: Hashable, Sendable {
    public var start: VirtualAddress
    public var end: VirtualAddress

    /// [start, end): both 4 KiB-aligned, start <= end (validateUserRange makes every checked one).
    @inlinable public init(start: VirtualAddress, end: VirtualAddress) {
        self.start = start
        self.end = end
    }

    /// Number of 4 KiB pages: (end - start) / 4 KiB.
    @inlinable public var pageCount: UInt64 { (end.raw - start.raw) >> frameShift }
    @inlinable public var byteCount: UInt64 { end.raw - start.raw }
}

/// First byte of the canonical higher half (kernel territory).
let higherHalfStart: UInt64 = 0xFFFF_8000_0000_0000

/// The page-rounded user range covering [address, address + length), or the first reason (in the
/// order listed in the file header) why it is not a valid user range. Pure and overflow-safe.
public func validateUserRange(
    address: UInt64, length: UInt64, alignment: UserRangeAlignment
) throws(UserRangeError) -> UserRange {
    guard length != 0 else { throw .zeroLength }
    if alignment == .pageAlignedAddress && address & (frameSize - 1) != 0 { throw .misaligned }
    guard length <= UserSpace.byteCount else { throw .tooLarge }
    let (lastByte, overflow) = address.addingReportingOverflow(length - 1)
    guard !overflow else { throw .wrapsAround }
    guard address >= UserSpace.start.raw, address < higherHalfStart, lastByte < higherHalfStart else {
        throw .touchesKernel
    }
    guard lastByte < UserSpace.end.raw else { throw .outsideUserRange }
    // lastByte < UserSpace.end (page-aligned), so neither rounding can overflow or leave the range.
    return UserRange(
        start: VirtualAddress(alignDown(address, to: frameSize)),
        end: VirtualAddress(alignDown(lastByte, to: frameSize) + frameSize))
}
