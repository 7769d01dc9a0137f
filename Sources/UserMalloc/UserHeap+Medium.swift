// The medium tier: 4 KiB < size <= 128 KiB (and aligned requests up to 4 KiB alignment) from
// regions of 16 ... 256 KiB (the first ones small, later ones growing with the tier: SpanSizing.swift) with
// boundary tags and TLSF-style bins (see MediumBlocks.swift for layout and invariants). Empty
// regions are kept up to max(1, peak live / 256 KiB) for hysteresis; further ones go back at once.
//
// Shape of the hot paths (round 16): a medium malloc is one out-of-line call from malloc
// (UserHeap.allocateBeyondSmall, which inlines allocateMediumInline), a medium free one from free
// (UserHeap.freeBeyondSmall, which inlines locateMedium and releaseMediumBlock); the bins'
// insert/remove/takeFirst, the split (carve) and the merges are inline in them, and each header
// word is loaded once and its size handed on (the bins took a block and re-read its size to find
// the bin). Before, a medium malloc made 5 calls (allocateMedium, takeFirst, splitTail,
// insertFree, insert) and a free 4 (locateMedium, releaseMediumBlock, remove, insert), and the
// bitmap search copied the bitmap to the stack. A block taken off the bins has an in-use
// successor, so its split tail is binned without insertFree's forward-merge test, and a block
// kept whole gets its size word only (its successor's previousSize is already right).
// Measured with callgrind (bench wrappers malloc + free + realloc + calloc, main e91f007 ->
// round 16, with realloc's own change in UserHeap+Realloc.swift): trace-git-log 80.76 -> 67.85 M
// Ir (medium malloc ~240 -> ~130 instructions, medium free ~240 -> ~160), Bcm 342.5 -> 290.7 K;
// trace-gcc-compile 52.30 -> 49.39 M; trace-perl-concordance 167.20 -> 157.74 M;
// trace-swiftc-memorycore 138.77 -> 133.70 M; trace-python-ast 66.37 -> 65.64 M; glibc-thread
// 98.92 -> 96.69 M; D1 misses within +0.1 %, footprints and peak held bytes of all 18 malloc
// scenarios unchanged (no policy changed).
// Tried and dropped: when the split tail stays in the taken block's bin, putting it in the
// block's place (IntrusiveList replace) instead of pop + push: git-log 67.99 -> 68.97 M Ir (the
// extra bin computation cost more than the bitmap clear and set it saved).
// Measured in round 21, not landed (branch r21-medium-quick): a quick cache of freed medium
// blocks kept whole (still marked in use, with a quick bit that free and realloc check for
// double frees) for the next malloc of their bin, 4 per bin in the heap's own state (no link in a
// freed block), at most 1/8 or 1/16 of the regions and 256 KiB, flushed to the bins before a new
// region and on trim, never keeping a region from emptying (a cachedBytes count per region;
// without that rule trace-sample's idle memory and peaks moved: large mappings given back before
// peaks 5.7 -> 17.7 MB per run, 1.37 -> 0.88 of the fastest peer), realloc growing into a cached
// successor as into a free one. Real programs ask again for exact medium sizes (git-log's 7 184-
// and 32 784-byte blocks are 75 % of its 30 936 medium mallocs per replay; in a free, the
// successor is free 94 % of the time, so each pair pays a merge and a split), but the cache did
// not pay in time: git-log's replay 41.9 -> 40.0 M Ir (medium free 4.85 -> 4.07 M, malloc 4.04 ->
// 2.62 M) yet ratio_vs_best_peer 0.79 -> 0.79-0.81, gcc 1.00 -> 0.97-1.01, clang-compile 1.13 ->
// 0.99-1.11, sample 1.40 -> 1.23-1.29 (its steady replays +11 % Ir: realloc moved bigger blocks,
// 161 -> 248 K Ir of memcpy), swiftc 1.05 -> 0.97-0.98 (3 interleaved runs each, mimalloc and
// tcmalloc present); footprints gcc 1.46 -> 1.40, sqlite-index 1.12 -> 1.05, but glibc-thread
// 2.71 -> 2.76-3.10 and clang-compile 1.32 -> 1.34 (cached blocks scatter the regions' free room).
// A first version copied the 2 KiB cache value to the stack on every medium malloc (a
// non-mutating accessor on a stored property of the heap: memcpy 7.7 M Ir per replay): the rule
// at the end of UserHeap.swift holds for inlined accessors too.

import MemoryCore

extension UserHeap {
    /// A payload of >= byteCount bytes aligned to `alignment` (power of two <= 4096), or nil.
    /// (Out of line for calloc, posix_memalign and light classes; malloc inlines the body.)
    @inlinable mutating func allocateMedium(byteCount: Int, alignment: Int) -> UInt? {
        allocateMediumInline(byteCount: byteCount, alignment: alignment)
    }

    /// allocateMedium's body, inlined into malloc's one out-of-line call beyond the small tier
    /// (UserHeap.allocateBeyondSmall), where the alignment is 16: that saves a call and the
    /// alignment tests on every medium malloc.
    @inlinable @inline(__always) mutating func allocateMediumInline(byteCount: Int, alignment: Int) -> UInt? {
        let blockSize = max((byteCount &+ 15) & ~15 &+ MediumBlock.headerBytes, MediumBlock.minimumBytes)
        let searchSize = alignment <= 16 ? blockSize : blockSize + alignment + MediumBlock.minimumBytes
        let bin = MediumBins.bin(ofRequest: searchSize)
        var block: MediumBlock
        if let found = bins.firstNonEmpty(atLeast: bin) {
            block = bins.takeFirst(bin: found)
        } else {
            guard let found = takeFitOrMapRegion(searchSize: searchSize, bin: bin) else { return nil }
            block = found
        }
        if alignment > 16 { block = splitForAlignment(block, alignment: alignment) }
        let size = carve(block, keeping: blockSize)
        let region = RegionRef(containing: block.address)
        if region.header.usedBytes == 0 { emptyRegionCount -= 1 }
        region.header.usedBytes &+= UInt64(size)
        counters.liveMediumBlocks += 1
        counters.liveMediumBytes += size - MediumBlock.headerBytes
        counters.noteLive(size - MediumBlock.headerBytes)
        return block.payload
    }

    /// allocateMedium when no bin holds a block that surely fits: the first blocks of the bin
    /// `searchSize` falls in (MediumBins.takeFit), else a new region; nil when out of memory.
    /// Out of line, so that the bin hit is all of allocateMedium's common path.
    @inlinable @inline(never) mutating func takeFitOrMapRegion(searchSize: Int, bin: Int) -> MediumBlock? {
        if let fit = bins.takeFit(atLeast: searchSize) { return fit }
        guard mapRegion(servingBin: bin) else { return nil }
        return bins.firstNonEmpty(atLeast: bin).map { bins.takeFirst(bin: $0) }
    }

    /// Marks the first `keeping` bytes of `block` (free, just taken off the bins) in use and bins
    /// the rest as a free block when it is big enough; returns the size the block ends up with.
    /// The successor of a binned block is in use (no two free blocks are adjacent, and the
    /// sentinel ends every region), so the tail needs no forward merge (insertFree's), and a
    /// block kept whole has its successor's previousSize right already: only its size word is
    /// written (writeHeader would touch the successor's line for nothing).
    @inlinable @inline(__always) mutating func carve(_ block: MediumBlock, keeping: Int) -> Int {
        let total = block.size
        let rest = total &- keeping
        guard rest >= MediumBlock.minimumBytes else {
            block.writeSizeWord(size: total, inUse: true)
            return total
        }
        let tail = MediumBlock(address: block.address &+ UInt(keeping))
        tail.writeHeader(size: rest, inUse: false)
        RegionRef(containing: tail.address).setBlockStart(Self.offset(of: tail), true)
        bins.insert(tail, size: rest)
        block.writeHeader(size: keeping, inUse: true)  // and the tail's previousSize
        return keeping
    }

    /// Cuts a free gap (>= minimumBytes) off the front of `block` so that the rest's payload is
    /// aligned; the gap goes back to the bins. Returns the aligned block (still marked free).
    @inlinable mutating func splitForAlignment(_ block: MediumBlock, alignment: Int) -> MediumBlock {
        let a = UInt(alignment)
        var payload = (block.payload &+ a &- 1) & ~(a &- 1)
        while payload != block.payload && payload &- block.payload < UInt(MediumBlock.minimumBytes) { payload &+= a }
        let gap = Int(payload &- block.payload)
        guard gap > 0 else { return block }
        let total = block.size
        block.writeHeader(size: gap, inUse: false)
        let aligned = MediumBlock(address: block.address &+ UInt(gap))
        aligned.writeHeader(size: total - gap, inUse: false)
        RegionRef(containing: aligned.address).setBlockStart(Self.offset(of: aligned), true)
        bins.insert(block)
        return aligned
    }

    /// Splits the tail beyond `keeping` bytes off `block` into a free block when it is big enough;
    /// returns the size `block` ends up with.
    @inlinable mutating func splitTail(of block: MediumBlock, keeping: Int) -> Int {
        let total = block.size
        guard total - keeping >= MediumBlock.minimumBytes else { return total }
        let tail = MediumBlock(address: block.address &+ UInt(keeping))
        tail.writeHeader(size: total - keeping, inUse: false)
        tail.previousSize = keeping
        RegionRef(containing: tail.address).setBlockStart(Self.offset(of: tail), true)
        insertFree(coalescingForward: tail)
        return keeping
    }

    /// Inserts a free block, first merging it with a free successor (needed when a split tail
    /// lands next to a free block, e.g. on an in-place shrink).
    @inlinable mutating func insertFree(coalescingForward block: MediumBlock) {
        let size = block.size
        let next = block.following
        let nextWord = next.sizeWord
        guard nextWord & MediumBlock.inUseBit == 0 else { return bins.insert(block, size: size) }
        let nextSize = Int(truncatingIfNeeded: nextWord & MediumBlock.sizeMask)
        bins.remove(next, size: nextSize)
        RegionRef(containing: next.address).setBlockStart(Self.offset(of: next), false)
        block.writeHeader(size: size &+ nextSize, inUse: false)
        bins.insert(block, size: size &+ nextSize)
    }

    @inlinable @inline(__always) static func offset(of block: MediumBlock) -> Int {
        Int(block.address & UInt(RegionRef.alignment &- 1))
    }

    /// Checks that `address` is the payload of an in-use block of `region`. Inlined into free
    /// (freeBeyondSmall) and realloc (locate), each of which has one call site.
    @inlinable @inline(__always) mutating func locateMedium(
        _ address: UInt, region: RegionRef
    ) -> Result<MediumBlock, HeapError> {
        let where_ = VirtualAddress(UInt64(address))
        guard region.header.canary == secret ^ UInt64(region.address) else {
            return .failure(.corruptedHeader(VirtualAddress(UInt64(region.address))))
        }
        let blockOffset = Int(address & UInt(RegionRef.alignment &- 1)) &- MediumBlock.headerBytes
        let sentinelOffset = region.sentinelOffset
        guard blockOffset + MediumBlock.headerBytes < region.byteCount else {
            // Past a short region's mapped bytes: the rest of its 256 KiB slot is not the heap's.
            return .failure(.foreignPointer(where_))
        }
        guard address & 15 == 0, blockOffset >= RegionRef.firstBlockOffset, blockOffset < sentinelOffset,
            region.isBlockStart(blockOffset)
        else { return .failure(.interiorPointer(where_)) }
        let block = MediumBlock(address: address &- UInt(MediumBlock.headerBytes))
        let blockWhere = VirtualAddress(UInt64(block.address))
        guard block.hasValidTag, block.size >= MediumBlock.minimumBytes,
            blockOffset + block.size <= sentinelOffset
        else { return .failure(.corruptedBoundaryTag(blockWhere)) }
        guard block.isInUse else { return .failure(.doubleFree(where_)) }
        let next = block.following
        guard next.hasValidTag, next.previousSize == block.size else { return .failure(.corruptedBoundaryTag(blockWhere)) }
        return .success(block)
    }

    /// free() of a pointer the directory places in a medium region (inlined into freeBeyondSmall:
    /// a medium free is one out-of-line call from free's fast path).
    @inlinable @inline(__always) mutating func freeMedium(_ address: UInt, region: RegionRef) -> HeapError? {
        switch locateMedium(address, region: region) {
        case .failure(let error): return error
        case .success(let block):
            releaseMediumBlock(block, region: region)
            return nil
        }
    }

    /// Frees a validated in-use block: merge with free neighbours, bin it, maybe drop the region.
    /// Each header word is loaded once (size, light class and in-use bit of the block; size and
    /// in-use bit of each neighbour) and handed to the bins.
    @inlinable @inline(__always) mutating func releaseMediumBlock(_ block: MediumBlock, region: RegionRef) {
        let word = block.sizeWord
        let size = Int(truncatingIfNeeded: word & MediumBlock.sizeMask)
        if let index = MediumBlock.lightClass(ofSizeWord: word) { lightBytes[index] -= size }
        region.header.usedBytes &-= UInt64(size)
        counters.liveMediumBlocks -= 1
        counters.liveMediumBytes -= size - MediumBlock.headerBytes
        counters.noteFreed(size - MediumBlock.headerBytes)
        var start = block
        var merged = size
        let next = MediumBlock(address: block.address &+ UInt(size))
        let nextWord = next.sizeWord
        if nextWord & MediumBlock.inUseBit == 0 {
            let nextSize = Int(truncatingIfNeeded: nextWord & MediumBlock.sizeMask)
            bins.remove(next, size: nextSize)
            region.setBlockStart(Self.offset(of: next), false)
            merged &+= nextSize
        }
        let previousSize = block.previousSize
        if previousSize != 0 {
            let previous = MediumBlock(address: block.address &- UInt(previousSize))
            let previousWord = previous.sizeWord
            if previousWord & MediumBlock.inUseBit == 0 {
                let size = Int(truncatingIfNeeded: previousWord & MediumBlock.sizeMask)
                bins.remove(previous, size: size)
                region.setBlockStart(Self.offset(of: block), false)
                start = previous
                merged &+= size
            }
        }
        start.writeHeader(size: merged, inUse: false)
        bins.insert(start, size: merged)
        if region.header.usedBytes == 0 { regionBecameEmpty(region) }
    }

    /// Keeps empty regions up to the peak live bytes (at least one); unmaps any further one, and
    /// one the tier has outgrown (smaller than any region it would map now: SpanSizing.isOutgrown).
    @inlinable @inline(never) mutating func regionBecameEmpty(_ region: RegionRef) {
        if emptyRegionCount >= max(1, counters.peakLiveBytes / RegionRef.alignment)
            || SpanSizing.isOutgrown(regionBytes: region.byteCount, heldBytes: counters.mediumRegionBytes)
        {
            releaseRegion(region)
        } else {
            emptyRegionCount += 1
        }
    }

    /// Maps, registers and formats a region holding one free block that bin `bin` can serve
    /// (its size from SpanSizing); false when out of memory.
    @inlinable mutating func mapRegion(servingBin bin: Int) -> Bool {
        guard let bytes = SpanSizing.regionByteCount(servingBin: bin, heldBytes: counters.mediumRegionBytes) else {
            return false
        }
        let granules = (bytes + SpanRef.alignment - 1) >> GranuleMap.granuleShift
        // A recycled mapping's old bytes do not matter past the zeroed header and bitmap: every
        // block header is written before it is read.
        guard
            let (base, _) = mapCovered(byteCount: bytes, alignment: RegionRef.alignment, headerBytes: RegionRef.firstBlockOffset)
        else { return false }
        let region = RegionRef.format(base, byteCount: bytes)
        region.header.canary = secret ^ UInt64(region.address)
        for granule in 0 ..< granules {
            directory.insert(
                address: region.address &+ UInt(granule << GranuleMap.granuleShift),
                value: UInt64(region.address) | OwnerKind.medium.rawValue)
        }
        let first = MediumBlock(address: region.address &+ UInt(RegionRef.firstBlockOffset))
        let sentinel = MediumBlock(address: region.address &+ UInt(region.sentinelOffset))
        first.previousSize = 0  // no predecessor (a recycled mapping is not zero there)
        first.writeHeader(size: region.sentinelOffset - RegionRef.firstBlockOffset, inUse: false)
        storeWord(MediumBlock.tag | MediumBlock.inUseBit, at: sentinel.address, 0)
        region.setBlockStart(RegionRef.firstBlockOffset, true)
        bins.insert(first)
        linkRegion(region)
        emptyRegionCount += 1
        counters.mediumRegions += 1
        counters.mediumRegionBytes += bytes
        return true
    }

    @inlinable mutating func linkRegion(_ region: RegionRef) { regions.pushFront(region) }

    /// Unmaps an empty region (its single free block leaves the bins first).
    @inlinable mutating func releaseRegion(_ region: RegionRef) {
        unmapToSource(region.base, byteCount: unregisterRegion(region))
    }

    /// Takes an empty region out of the bins, the region list, the granule map and the counts;
    /// returns its bytes (the caller unmaps or recycles the mapping: UserHeap+Mapping.swift).
    @inlinable mutating func unregisterRegion(_ region: RegionRef) -> Int {
        bins.remove(MediumBlock(address: region.address &+ UInt(RegionRef.firstBlockOffset)))
        regions.remove(region)
        let bytes = region.byteCount
        for granule in 0 ..< region.granuleCount {
            directory.remove(address: region.address &+ UInt(granule << GranuleMap.granuleShift))
        }
        counters.mediumRegions -= 1
        counters.mediumRegionBytes -= bytes
        return bytes
    }

    /// trim() for the medium tier.
    @inlinable mutating func releaseEmptyRegions() {
        var cursor = regions.first
        while let region = cursor {
            cursor = regions.next(after: region)
            if region.header.usedBytes == 0 {
                releaseRegion(region)
                emptyRegionCount -= 1
            }
        }
    }

    /// Resizes a validated in-use medium block in place when possible: shrinking splits the tail
    /// off; growing absorbs a free successor. Returns false when the block must move.
    @inlinable mutating func resizeMediumInPlace(_ block: MediumBlock, byteCount: Int) -> Bool {
        let needed = max((byteCount &+ 15) & ~15 &+ MediumBlock.headerBytes, MediumBlock.minimumBytes)
        let size = block.size
        let region = RegionRef(containing: block.address)
        var available = size
        let next = block.following
        if needed > size {
            guard !next.isInUse, size + next.size >= needed else { return false }
            bins.remove(next)
            region.setBlockStart(Self.offset(of: next), false)
            available = size + next.size
            block.writeHeader(size: available, inUse: true)
        }
        let kept = splitTail(of: block, keeping: needed)
        block.writeHeader(size: kept, inUse: true)
        region.header.usedBytes = region.header.usedBytes &- UInt64(size) &+ UInt64(kept)
        counters.liveMediumBytes += kept - size
        counters.noteLive(kept - size)
        return true
    }
}
