// The slots of the larson trace: a table (itself from malloc) of (block, size, seed). The pattern
// byte at offset i of a block with seed s is a hash of (s, i); a freed block's bytes are checked
// in full before it is freed, so any overlap between live blocks or any stray write shows.
import KernelLog

struct Slot {
    var block: UnsafeMutableRawPointer?
    var size: Int
    var seed: UInt64
}

struct SlotTable {
    private let slots: UnsafeMutablePointer<Slot>
    let count: Int

    init?(count: Int) {
        guard let raw = CAllocation.calloc(count, MemoryLayout<Slot>.stride) else { return nil }
        slots = raw.bindMemory(to: Slot.self, capacity: count)
        self.count = count
    }

    static func patternByte(seed: UInt64, offset: Int) -> UInt8 {
        var z = seed &+ UInt64(offset) &* 0x9E37_79B9_7F4A_7C15
        z ^= z >> 31
        return UInt8(truncatingIfNeeded: z)
    }

    static func seed(slot: Int, step: Int) -> UInt64 { UInt64(slot) << 32 | UInt64(step) }

    /// Checks the first `prefix` bytes (all of them by default) of the slot's block.
    func verify(_ index: Int, prefix: Int? = nil) -> Bool {
        let slot = slots[index]
        guard let block = slot.block else { return true }
        let bytes = block.assumingMemoryBound(to: UInt8.self)
        for offset in 0 ..< (prefix ?? slot.size) where bytes[offset] != Self.patternByte(seed: slot.seed, offset: offset) {
            Console.line("larson").word("FAILED").phrase("reason", "pattern damaged").dec("slot", index)
                .dec("offset", offset).dec("size", slot.size).end()
            return false
        }
        return true
    }

    private func fill(_ index: Int, from start: Int = 0) {
        let slot = slots[index]
        let bytes = slot.block!.assumingMemoryBound(to: UInt8.self)
        for offset in start ..< slot.size { bytes[offset] = Self.patternByte(seed: slot.seed, offset: offset) }
    }

    /// Frees the slot's block after verifying it, then malloc + fill.
    mutating func replace(_ index: Int, size: Int, step: Int) -> Int32 {
        guard verify(index) else { return 2 }
        CAllocation.free(slots[index].block)
        guard let block = CAllocation.malloc(size) else { return 1 }
        slots[index] = Slot(block: block, size: size, seed: Self.seed(slot: index, step: step))
        fill(index)
        return 0
    }

    /// As replace, with calloc: the new block must read as zero before it is filled.
    mutating func replaceZeroed(_ index: Int, size: Int, step: Int) -> Int32 {
        guard verify(index) else { return 2 }
        CAllocation.free(slots[index].block)
        guard let block = CAllocation.calloc(1, size) else { return 1 }
        let bytes = block.assumingMemoryBound(to: UInt8.self)
        for offset in 0 ..< size where bytes[offset] != 0 {
            Console.line("larson").word("FAILED").phrase("reason", "calloc memory not zero").dec("size", size).end()
            return 3
        }
        slots[index] = Slot(block: block, size: size, seed: Self.seed(slot: index, step: step))
        fill(index)
        return 0
    }

    /// realloc the slot's block (or malloc an empty slot): the common prefix must survive; the
    /// rest is filled. The seed stays, so the prefix pattern stays valid.
    mutating func reallocate(_ index: Int, size: Int, step: Int) -> Int32 {
        guard slots[index].block != nil else { return replace(index, size: size, step: step) }
        guard verify(index) else { return 2 }
        let kept = min(size, slots[index].size)
        guard let block = CAllocation.realloc(slots[index].block, size) else { return 1 }
        slots[index].block = block
        slots[index].size = size
        guard verify(index, prefix: kept) else { return 2 }
        fill(index, from: kept)
        return 0
    }

    /// Verifies and frees every block.
    mutating func freeAll() -> Int32 {
        for index in 0 ..< count {
            guard verify(index) else { return 2 }
            CAllocation.free(slots[index].block)
            slots[index].block = nil
        }
        return 0
    }

    /// Frees the table itself.
    func release() { CAllocation.free(UnsafeMutableRawPointer(slots)) }
}
