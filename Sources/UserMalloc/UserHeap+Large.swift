// The large tier: requests above 128 KiB (or aligned beyond 4 KiB) get a mapping of their own,
// unmapped again by free(). Layout: a 64-byte LargeHeader at the 64 KiB-aligned mapping base, the
// user pointer at base + userOffset, userOffset = alignUp(64, alignment) (= alignment when that
// is >= 64 KiB, so the user pointer's granule still lies inside this mapping and nowhere else).
//   mappedBytes = pageAlignUp(userOffset + byteCount),  usable = mappedBytes - userOffset
// Only the user pointer's granule is registered: a pointer elsewhere in the block is reported as
// interior when it is in that granule and as foreign beyond it.

import MemoryCore

extension UserHeap {
    /// A fresh (zero-filled) large block, or nil when the source refuses or sizes overflow.
    @inlinable mutating func allocateLarge(byteCount: Int, alignment: Int) -> UInt? {
        let alignment = max(alignment, 16)
        let userOffset = max(alignment, LargeRef.headerBytes)
        // At least one byte past userOffset, so the user pointer (and its granule) lies inside the mapping.
        let (unrounded, overflow) = userOffset.addingReportingOverflow(max(byteCount, 16))
        guard !overflow, unrounded <= Int.max - userPageSize else { return nil }
        let mappedBytes = (unrounded + userPageSize - 1) & ~(userPageSize - 1)
        guard reserveDirectoryRoom(1),
              let base = mapFromSource(byteCount: mappedBytes, alignment: max(alignment, SpanRef.byteCount)) else {
            return nil
        }
        let block = LargeRef.format(base)
        block.header.canary = canarySeed ^ UInt64(block.address)
        block.header.mappedBytes = UInt64(mappedBytes)
        block.header.userOffset = UInt64(userOffset)
        block.header.usableBytes = UInt64(mappedBytes - userOffset)
        let user = block.address &+ UInt(userOffset)
        directory.insert(address: user, value: UInt64(block.address) | OwnerKind.large.rawValue)
        linkLarge(block)
        counters.largeBlocks += 1
        counters.noteLive(mappedBytes - userOffset)
        return user
    }

    /// Checks that `address` is the user pointer of `block`.
    @inlinable mutating func locateLarge(_ address: UInt, block: LargeRef) -> HeapError? {
        guard block.header.canary == canarySeed ^ UInt64(block.address) else {
            return .corruptedHeader(VirtualAddress(UInt64(block.address)))
        }
        guard address == block.address &+ UInt(block.header.userOffset) else {
            return .interiorPointer(VirtualAddress(UInt64(address)))
        }
        return nil
    }

    @inlinable mutating func freeLarge(_ address: UInt, block: LargeRef) -> HeapError? {
        if let error = locateLarge(address, block: block) { return error }
        directory.remove(address: address)
        let next = block.header.next
        let previous = block.header.previous
        if next != 0 { LargeRef(base: next).header.previous = previous }
        if previous != 0 { LargeRef(base: previous).header.next = next } else { largeHead = next }
        counters.largeBlocks -= 1
        counters.noteLive(-Int(block.header.usableBytes))
        unmapToSource(block.base, byteCount: Int(block.header.mappedBytes))
        return nil
    }

    @inlinable mutating func linkLarge(_ block: LargeRef) {
        block.header.next = largeHead
        block.header.previous = 0
        if largeHead != 0 { LargeRef(base: largeHead).header.previous = block.address }
        largeHead = block.address
    }
}
