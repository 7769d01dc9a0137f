// Debug fills: poison on free (written in BuddyCore+Free), verified here on hand-out; pattern
// fill of new blocks; poisoning every free block when the switch is turned on.

import MemoryCore

extension BuddyCore {
    /// Verifies the poison of a block being handed out (the first 16 bytes held list links) and
    /// applies the allocation fill.
    @usableFromInline mutating func applyDebugOnHandOut(_ block: VirtualAddress, order: Int) {
        let bytes = BlockOrder(order).byteCount
        if debugOptions.contains(.poisonFreed),
            let offset = BlockMemory.firstMismatch(
                VirtualAddress(block.raw + 16), byteCount: bytes - 16,
                expected: HeapDebugOptions.poisonByte)
        {
            counters.useAfterFreeWrites += 1
            lastEvent = .useAfterFreeWrite(block: block, order: BlockOrder(order), offset: offset + 16)
        }
        if debugOptions.contains(.fillAllocated) {
            BlockMemory.fill(block, byteCount: bytes, with: HeapDebugOptions.allocatedByte)
        }
    }

    /// Changes the switches; turning poisoning on poisons every free and cached block so that the
    /// next hand-out check holds.
    @usableFromInline mutating func setDebugOptions(_ options: HeapDebugOptions) {
        let poisonTurnedOn = options.contains(.poisonFreed) && !debugOptions.contains(.poisonFreed)
        debugOptions = options
        if poisonTurnedOn {
            Self.poisonListed(&freeLists)
            Self.poisonListed(&cacheLists)
        }
    }

    /// `inout` only so the lists are read in place: by value, each call copied the core and the
    /// lists (a 10 KiB frame in the slab heap's setter).
    private static func poisonListed(_ lists: inout BlockLists) {
        for order in 0 ..< maximumOrderCount {
            for block in lists.lists[order] {
                let bytes = BlockOrder(order).byteCount
                BlockMemory.fill(VirtualAddress(block.address.raw + 16), byteCount: bytes - 16, with: HeapDebugOptions.poisonByte)
            }
        }
    }
}

extension BuddyCore {
    mutating func noteSourceViolation(_ event: HeapEvent) {
        counters.sourceContractViolations += 1
        lastEvent = event
    }
}
