// Medium blocks (4 KiB < size <= 128 KiB): boundary-tagged blocks inside 16-256 KiB regions, kept in
// segregated free lists (TLSF-style bins) so that both allocation and free are O(1).
//
// Block layout (all offsets in bytes, every block 16-aligned, size a multiple of 16, >= 64):
//   word 0: tag (0xB10C << 48) | light class (bits 40-47) | size | inUse (bit 0)
//           size counts the 16-byte header; light class is c + 1 for an in-use block that serves
//           small size class c while c is light (UserHeap+Light.swift), 0 otherwise (every
//           writeHeader clears it: a free block and a medium block carry 0)
//   word 1: size of the physically previous block (0 for the first block of a region)
//   payload (user bytes) from +16; while free, payload words 0 and 1 are the bin's next/previous
// Region layout: header (64) | block-start bitmap (2048) | blocks ... | sentinel (16, in use,
// size 0) at regionBytes - 16 (regions are 16 ... 256 KiB, all aligned to 256 KiB).
//
// Bins: bin(size) = 8 * floor(log2 size) + (size >> (floor(log2 size) - 3)) & 7; a free block of
// size s sits in bin(s), whose sizes span [low(b), low(b + 1)). A request of n bytes searches
// from bin(n + 2^(floor(log2 n) - 3) - 1), where every block is >= n, through a 3-word bitmap of
// non-empty bins: a good fit in constant time.
//
// Invariants (checkInvariants): the blocks of a region tile [firstBlockOffset, sentinelOffset);
// next.previousSize == size for every block; no two free blocks are adjacent; the start bitmap
// has a bit exactly at each block start; every free block is in bin(size) and every bin member
// is free; nonEmpty bit b == (heads[b] != 0); region.usedBytes == sum of in-use block sizes.

import MemoryCore

/// A medium block, by the address of its header.
@usableFromInline struct MediumBlock: Equatable {
    @inlinable static var tag: UInt64 { 0xB10C << 48 }
    @inlinable static var tagMask: UInt64 { 0xFFFF << 48 }
    /// Regions are at most 256 KiB, so sizes fit far below bit 40.
    @inlinable static var sizeMask: UInt64 { 0x0000_00FF_FFFF_FFF0 }
    @inlinable static var lightClassShift: UInt64 { 40 }
    @inlinable static var lightClassMask: UInt64 { 0xFF << 40 }
    @inlinable static var inUseBit: UInt64 { 1 }
    @inlinable static var headerBytes: Int { 16 }
    /// Smallest block: header + two free-list links + 16 spare bytes (smaller splits are kept).
    @inlinable static var minimumBytes: Int { 64 }

    @usableFromInline let address: UInt

    @inlinable @inline(__always) init(address: UInt) { self.address = address }

    @inlinable @inline(__always) var sizeWord: UInt64 { loadWord(at: address, 0) }
    @inlinable @inline(__always) var hasValidTag: Bool { sizeWord & Self.tagMask == Self.tag }
    @inlinable @inline(__always) var size: Int { Int(truncatingIfNeeded: sizeWord & Self.sizeMask) }
    @inlinable @inline(__always) var isInUse: Bool { sizeWord & Self.inUseBit != 0 }
    @inlinable @inline(__always) var payload: UInt { address &+ UInt(Self.headerBytes) }
    /// The small class this in-use block serves as a light block, or nil for a medium block.
    @inlinable var lightClass: Int? { Self.lightClass(ofSizeWord: sizeWord) }

    /// The light class a header word names (see lightClass).
    @inlinable @inline(__always) static func lightClass(ofSizeWord word: UInt64) -> Int? {
        let field = Int(truncatingIfNeeded: (word & lightClassMask) &>> lightClassShift)
        return field == 0 ? nil : field &- 1
    }

    /// Marks an in-use block as serving small class `index` (0 ..< SizeClass.count).
    @inlinable func markLight(classIndex index: Int) {
        storeWord(sizeWord & ~Self.lightClassMask | UInt64(index &+ 1) &<< Self.lightClassShift, at: address, 0)
    }
    @inlinable @inline(__always) var following: MediumBlock { MediumBlock(address: address &+ UInt(size)) }

    @inlinable @inline(__always) var previousSize: Int {
        get { Int(truncatingIfNeeded: loadWord(at: address, 1)) }
        nonmutating set { storeWord(UInt64(truncatingIfNeeded: newValue), at: address, 1) }
    }

    /// Writes the header word only: for a block whose size does not change, so that the
    /// following block's previousSize tag is already right.
    @inlinable @inline(__always) func writeSizeWord(size: Int, inUse: Bool) {
        storeWord(Self.tag | UInt64(truncatingIfNeeded: size) | (inUse ? Self.inUseBit : 0), at: address, 0)
    }

    /// Writes the header word and the following block's previousSize tag.
    @inlinable @inline(__always) func writeHeader(size: Int, inUse: Bool) {
        storeWord(Self.tag | UInt64(truncatingIfNeeded: size) | (inUse ? Self.inUseBit : 0), at: address, 0)
        storeWord(UInt64(truncatingIfNeeded: size), at: address &+ UInt(size), 1)
    }
}

/// While free, a medium block is on its bin's list; its links are payload words 0 and 1.
extension MediumBlock: IntrusiveListNode {
    @inlinable @inline(__always) init(nodeAddress: UInt) { self.init(address: nodeAddress) }
    @inlinable @inline(__always) var nodeAddress: UInt { address }
    @inlinable static var linkOffset: Int { 16 }
}

/// Segregated free lists of medium blocks, across all regions.
@usableFromInline struct MediumBins {
    @inlinable static var binCount: Int { 160 }

    @usableFromInline var lists: InlineArray<160, IntrusiveStack<MediumBlock>> = InlineArray(repeating: IntrusiveStack())
    @usableFromInline var nonEmpty: InlineArray<3, UInt64> = InlineArray(repeating: 0)

    @inlinable init() {}

    /// The bin a free block of `size` bytes (>= 64) belongs to.
    @inlinable @inline(__always) static func bin(ofFreeSize size: Int) -> Int {
        let f = floorLog2Int(size)
        return f &<< 3 &+ (size &>> (f &- 3)) & 7
    }

    /// The smallest block size bin `bin` holds: (8 + bin mod 8) * 2^(bin / 8 - 3).
    @inlinable static func lowestSize(ofBin bin: Int) -> Int {
        (8 &+ bin & 7) &<< (bin &>> 3 &- 3)
    }

    /// The first bin all of whose blocks are >= `size` bytes.
    @inlinable @inline(__always) static func bin(ofRequest size: Int) -> Int {
        let f = floorLog2Int(size)
        return bin(ofFreeSize: size &+ (1 &<< (f &- 3)) &- 1)
    }

    /// The first non-empty bin at or after `bin`, or nil. The three bitmap words are read with
    /// constant indices (a loop over a variable word index made Swift copy the bitmap to the stack
    /// on every medium malloc).
    @inlinable @inline(__always) func firstNonEmpty(atLeast bin: Int) -> Int? {
        let word = bin &>> 6
        let from = ~UInt64(0) &<< UInt64(bin & 63)
        if word == 0 {
            let bits = nonEmpty[0] & from
            if bits != 0 { return bits.trailingZeroBitCount }
        }
        if word <= 1 {
            let bits = nonEmpty[1] & (word == 1 ? from : ~0)
            if bits != 0 { return 64 &+ bits.trailingZeroBitCount }
        }
        if word <= 2 {
            let bits = nonEmpty[2] & (word == 2 ? from : ~0)
            if bits != 0 { return 128 &+ bits.trailingZeroBitCount }
        }
        return nil
    }

    @inlinable @inline(__always) mutating func insert(_ block: MediumBlock) { insert(block, size: block.size) }

    /// Bins a free block whose size (its header's) the caller has at hand.
    @inlinable @inline(__always) mutating func insert(_ block: MediumBlock, size: Int) {
        let bin = Self.bin(ofFreeSize: size)
        lists[bin].pushFront(block)
        nonEmpty[bin &>> 6] |= 1 &<< UInt64(bin & 63)
    }

    /// Takes the first block of bin `bin`. Precondition: the bin is non-empty.
    @inlinable @inline(__always) mutating func takeFirst(bin: Int) -> MediumBlock {
        let block = lists[bin].popFirst().unsafelyUnwrapped
        if lists[bin].isEmpty { nonEmpty[bin &>> 6] &= ~(1 &<< UInt64(bin & 63)) }
        return block
    }

    /// A block of >= `size` bytes from the bin `size` itself falls in (whose blocks the
    /// constant-time search skips, as not all of them fit), looking at most at its first
    /// `fitScanLimit` blocks; nil when none fits. Asked only before a new region would be mapped:
    /// a freed block of exactly the size asked for again (a light class's block, a buffer
    /// reallocated to its old size) is reused instead of costing a region.
    @inlinable mutating func takeFit(atLeast size: Int) -> MediumBlock? {
        let bin = Self.bin(ofFreeSize: size)
        var scanned = 0
        for block in lists[bin] {
            if block.size >= size {
                remove(block)
                return block
            }
            scanned += 1
            if scanned == Self.fitScanLimit { return nil }
        }
        return nil
    }

    @inlinable static var fitScanLimit: Int { 16 }

    @inlinable @inline(__always) mutating func remove(_ block: MediumBlock) { remove(block, size: block.size) }

    /// Unbins a free block of `size` bytes (its header's size, which the caller has at hand).
    @inlinable @inline(__always) mutating func remove(_ block: MediumBlock, size: Int) {
        let bin = Self.bin(ofFreeSize: size)
        if lists[bin].remove(block) { nonEmpty[bin &>> 6] &= ~(1 &<< UInt64(bin & 63)) }
    }
}

/// floor(log2(value)) for value > 0.
@inlinable @inline(__always) func floorLog2Int(_ value: Int) -> Int { 63 - value.leadingZeroBitCount }
