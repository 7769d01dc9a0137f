// The large tier: requests above 128 KiB (or aligned beyond 4 KiB) get a mapping of their own.
// Layout: a 64-byte LargeHeader at the 64 KiB-aligned mapping base, the user pointer at
// base + userOffset, userOffset = alignUp(64, alignment) (= alignment when that is >= 64 KiB, so
// the user pointer's granule still lies inside this mapping and nowhere else).
//   mappedBytes = pageAlignUp(userOffset + max(byteCount, 16)),  usable = mappedBytes - userOffset
// Only the user pointer's granule is registered: a pointer elsewhere in the block is reported as
// interior when it is in that granule and as foreign beyond it.
//
// Freed mappings go to a cache (at most `largeCacheCapacity` mappings, within the peak live bytes
// plus a page each) instead of straight back to the source: a program that keeps allocating and
// freeing big buffers would otherwise pay a map, an unmap and a fresh page fault per page every
// time (measured: 12x slower than glibc on traces/sample.trace without the cache). A request is
// served, in this order, by (1) a cached mapping that fits it with at most half to spare,
// (2) any other cached mapping (with the alignment) resized to it by the source's remap: the
// pages it already has keep their frames, so only pages beyond them fault (before, a miss mapped
// afresh and faulted in every page: traces/sample.trace mapped ~12 blocks of 150-400 KiB per
// replay, 1 000 page faults for 6 400 calls), or any bigger one taken whole up to 3x the request
// (round 15: shrunk to the request, it gave back pages the block's realloc growth faulted in
// again; see resizeCachedLarge),
// (3) a fresh mapping. The idle bytes of the cache raise the peak held no higher than the idle
// allowance: a mapping that would set a new peak above it first gives idle memory back
// (UserHeap+Mapping.swift, releaseIdleBeforePeak). A cached mapping is unregistered, so a stale
// free of its old pointer is reported as foreign. trim() unmaps the cache.
//
// A new large mapping may also be an idle span, region or cached mapping recycled before a peak
// (UserHeap+Mapping.swift): its bytes are not zero (isZeroed false, its header zeroed).
//
// trace-sample (round 15, faults attributed by mincore in a probe build): every steady-state
// fault (545 per run of 32 replays, 2.66 per 1 000 ops; peers 0) was a page of a realloc growth
// by remap; per run resizeCachedLarge shrank cached mappings by 16 MB and realloc grew blocks
// by 16 MB again. A bigger cached mapping is now taken whole up to 3x (0 faults, footprint
// 1.39 -> 1.44: the price, measured in resizeCachedLarge).
//
// realloc of a large block to another large size resizes its mapping through the page source's
// remap (the kernel's `remap`, Linux's mremap): the pages keep their bytes and move as page-table
// entries when they must, so growing a big buffer costs no copy and never holds old and new
// copies at once. The block keeps its header (it moved with the first page); its granule is
// registered again at the new address. A source that cannot remap makes realloc copy.

import MemoryCore

extension UserHeap {
    @inlinable static var largeCacheCapacity: Int { 32 }

    /// A large block, or nil when the source refuses or sizes overflow. `isZeroed` is true for a
    /// fresh mapping (calloc then skips the memset), false for a recycled one.
    @inlinable mutating func allocateLarge(byteCount: Int, alignment: Int) -> (address: UInt, isZeroed: Bool)? {
        let alignment = max(alignment, 16)
        let userOffset = max(alignment, LargeRef.headerBytes)
        // At least one byte past userOffset, so the user pointer (and its granule) lies inside the mapping.
        let (unrounded, overflow) = userOffset.addingReportingOverflow(max(byteCount, 16))
        guard !overflow, unrounded <= Int.max - userPageSize else { return nil }
        let neededBytes = (unrounded + userPageSize - 1) & ~(userPageSize - 1)
        let mapAlignment = max(alignment, SpanRef.alignment)
        let block: LargeRef
        let isZeroed: Bool
        let closest = closestCachedLarge(neededBytes: neededBytes, alignment: mapAlignment)
        if let cached = takeCachedLarge(closest.fit, neededBytes: neededBytes)
            ?? resizeCachedLarge(closest, neededBytes: neededBytes, alignment: mapAlignment)
        {
            guard coverInMap(cached.address &+ UInt(userOffset), byteCount: 1) else {
                cacheLarge(cached)
                return nil
            }
            block = cached
            isZeroed = false
        } else {
            let recycled = releaseIdleBeforePeak(adding: neededBytes, alignment: mapAlignment)
            if let recycled { BlockBytes.zero(at: UInt(bitPattern: recycled), byteCount: LargeRef.headerBytes) }
            guard let base = recycled ?? mapFromSource(byteCount: neededBytes, alignment: mapAlignment) else { return nil }
            // Only the user pointer's granule is registered, so only it needs the map's window.
            guard coverInMap(UInt(base) &+ UInt(userOffset), byteCount: 1) else {
                unmapToSource(base, byteCount: neededBytes)
                return nil
            }
            block = LargeRef.format(base)
            block.header.canary = secret ^ UInt64(block.address)
            block.header.mappedBytes = UInt64(neededBytes)
            isZeroed = recycled == nil
        }
        let usable = Int(block.header.mappedBytes) - userOffset
        block.header.userOffset = UInt64(userOffset)
        block.header.usableBytes = UInt64(usable)
        let user = block.address &+ UInt(userOffset)
        directory.insert(address: user, value: UInt64(block.address) | OwnerKind.large.rawValue)
        linkLarge(block)
        counters.largeBlocks += 1
        counters.noteLive(usable)
        return (user, isZeroed)
    }

    /// Checks that `address` is the user pointer of `block`.
    @inlinable mutating func locateLarge(_ address: UInt, block: LargeRef) -> HeapError? {
        guard block.header.canary == secret ^ UInt64(block.address) else {
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
        unlinkLarge(block)
        counters.largeBlocks -= 1
        counters.noteFreed(Int(block.header.usableBytes))
        let bytes = Int(block.header.mappedBytes)
        // The bound counts the block's usable bytes (they were live a moment ago, so a lone big
        // buffer freed and allocated again is cached; measured by the ladder program: with its
        // mapped bytes, which exceed its usable bytes by the header page, it never was). The
        // cache may so exceed the peak by at most one page per cached block.
        if counters.cachedLargeBlocks < Self.largeCacheCapacity,
            counters.cachedLargeBytes + Int(block.header.usableBytes) <= counters.peakLiveBytes
        {
            cacheLarge(block)
        } else {
            unmapToSource(block.base, byteCount: bytes)
        }
        return nil
    }

    /// Puts an unregistered large mapping in the cache.
    @inlinable mutating func cacheLarge(_ block: LargeRef) {
        largeCache.pushFront(block)
        counters.cachedLargeBlocks += 1
        counters.cachedLargeBytes += Int(block.header.mappedBytes)
    }

    /// The cached mappings with the alignment closest to neededBytes: the smallest of at least
    /// neededBytes (`fit`) and the largest below it (`below`), nil where there is none. One scan
    /// of the cache (at most 32 mappings) for both of allocateLarge's choices; among equal sizes
    /// the first in the cache.
    @inlinable func closestCachedLarge(neededBytes: Int, alignment: Int) -> (fit: LargeRef?, below: LargeRef?) {
        var fit: LargeRef?
        var below: LargeRef?
        var fitBytes = Int.max
        var belowBytes = 0
        for block in largeCache where block.address & UInt(alignment - 1) == 0 {
            let bytes = Int(block.header.mappedBytes)
            if bytes >= neededBytes {
                guard bytes < fitBytes else { continue }
                (fit, fitBytes) = (block, bytes)
                if bytes == neededBytes { break }
            } else if bytes > belowBytes {
                (below, belowBytes) = (block, bytes)
            }
        }
        return (fit, below)
    }

    /// Removes and returns `fit` (closestCachedLarge's smallest cached mapping of at least
    /// neededBytes) when it is at most 1.5 * neededBytes, else nil. The smallest, not the first:
    /// a first fit could hand a later request's mapping to an earlier one, and that later request
    /// then took a bigger one shrunk by remap or grew a smaller one (round 22, trace-sample:
    /// footprint 1.45 -> 1.40 with best fit). Measured on traces/sample.trace (footprint; ratio
    /// to glibc, same minutes, load 3.5): up to 2x (as before) 1.47, 1.44-1.48x; 1.5x 1.39,
    /// 1.20-1.24x; 1.25x 1.32, 0.67x: every shrinking remap gives pages back that a later growth
    /// faults in again (1 482 remaps per run at 1.25x, 752 at 1.5x), which costs more than the
    /// slack saves.
    @inlinable mutating func takeCachedLarge(_ fit: LargeRef?, neededBytes: Int) -> LargeRef? {
        guard let fit, Int(fit.header.mappedBytes) - neededBytes <= neededBytes / 2 else { return nil }
        uncacheLarge(fit)
        return fit
    }

    /// A cached mapping for a request of neededBytes that takeCachedLarge did not serve, or nil
    /// (empty cache, or the source cannot remap: the mapping stays cached). Picks `below` (the
    /// largest one smaller than needed), grown to neededBytes through the source's remap (its
    /// pages are all kept; only the new ones fault), else `fit` (the smallest bigger one), whole
    /// up to 3 * neededBytes (its slack is the block's: usable), shrunk to that beyond (a huge
    /// freed buffer does not stay held behind a small block). Measured on trace-sample (round 15;
    /// 5 rounds): shrunk to neededBytes (as before) footprint 1.39, 2.66 faults per 1 000 ops,
    /// 29 ns/op (best peer 21); to 1.5x 1.42, 1.88, 28 ns; to 2x 1.43, 1.25, 34 ns; 3x or whole
    /// 1.44, 0.00 faults, 18 ns (remaps per run 1 766 -> 43): each shrink gave back pages that the
    /// block's realloc growth (by remap) faulted in again, 16 MB per run of 32 replays. No other
    /// scenario's footprint moved (python-ast's faults 0.10 -> 0.07).
    @inlinable mutating func resizeCachedLarge(
        _ closest: (fit: LargeRef?, below: LargeRef?), neededBytes: Int, alignment: Int
    ) -> LargeRef? {
        guard let block = closest.below ?? closest.fit else { return nil }
        let bestBytes = Int(block.header.mappedBytes)
        uncacheLarge(block)
        // A bigger one's new size: whole up to 3x (page multiples: neededBytes is one).
        let (tripled, overflow) = neededBytes.multipliedReportingOverflow(by: 3)
        let newBytes = bestBytes <= neededBytes ? neededBytes : overflow ? bestBytes : min(bestBytes, tripled)
        if newBytes == bestBytes { return block }
        guard let base = remapAtSource(block.base, oldByteCount: bestBytes, newByteCount: newBytes, alignment: alignment)
        else {
            cacheLarge(block)
            return nil
        }
        let moved = LargeRef.format(base)
        moved.header.canary = secret ^ UInt64(moved.address)
        moved.header.mappedBytes = UInt64(newBytes)
        return moved
    }

    /// Takes `block` out of the cache.
    @inlinable mutating func uncacheLarge(_ block: LargeRef) {
        largeCache.remove(block)
        counters.cachedLargeBlocks -= 1
        counters.cachedLargeBytes -= Int(block.header.mappedBytes)
    }

    /// trim() for the large tier: unmaps every cached mapping.
    @inlinable mutating func releaseCachedLarge() {
        while releaseOneCachedLarge() {}
    }

    /// Unmaps the most recently cached mapping; false when the cache is empty.
    @inlinable mutating func releaseOneCachedLarge() -> Bool {
        guard let block = largeCache.first else { return false }
        uncacheLarge(block)
        unmapToSource(block.base, byteCount: Int(block.header.mappedBytes))
        return true
    }

    /// realloc of a large block to `byteCount` (still a large size) by remapping its mapping;
    /// the user pointer at its (possibly new) address, or nil with the block unchanged.
    @inlinable mutating func remapLarge(_ block: LargeRef, byteCount: Int) -> UInt? {
        let userOffset = Int(block.header.userOffset)
        let (unrounded, overflow) = userOffset.addingReportingOverflow(byteCount)
        guard !overflow, unrounded <= Int.max - userPageSize else { return nil }
        let neededBytes = (unrounded + userPageSize - 1) & ~(userPageSize - 1)
        let oldBytes = Int(block.header.mappedBytes)
        guard neededBytes != oldBytes else { return nil }
        // allocateLarge's mapping alignment: userOffset is the requested alignment when above 64.
        let alignment = max(userOffset, SpanRef.alignment)
        let oldUser = block.address &+ UInt(userOffset)
        unlinkLarge(block)  // its neighbours name the old base
        guard let base = remapAtSource(block.base, oldByteCount: oldBytes, newByteCount: neededBytes, alignment: alignment) else {
            linkLarge(block)
            return nil
        }
        let moved = LargeRef.format(base)
        moved.header.canary = secret ^ UInt64(moved.address)
        moved.header.mappedBytes = UInt64(neededBytes)
        let usable = neededBytes - userOffset
        counters.noteLive(usable - Int(moved.header.usableBytes))
        moved.header.usableBytes = UInt64(usable)
        let user = moved.address &+ UInt(userOffset)
        directory.remove(address: oldUser)
        // The window grows for the new granule like for any mapping. It cannot grow only when the
        // source has no page left for the map or the heap's mappings would spread over 4 TiB;
        // the block has moved by then, so it stays live and linked but unregistered (its free
        // is reported as foreign): the one case where the heap keeps a block it cannot name.
        if coverInMap(user, byteCount: 1) {
            directory.insert(address: user, value: UInt64(moved.address) | OwnerKind.large.rawValue)
        }
        linkLarge(moved)
        return user
    }

    @inlinable mutating func linkLarge(_ block: LargeRef) { largeBlocks.pushFront(block) }

    @inlinable mutating func unlinkLarge(_ block: LargeRef) { largeBlocks.remove(block) }
}
