// Every page-source call of the heap goes through these two functions (so heldBytes is exact),
// and the granule map grows here: a larger map is mapped, filled, and the old one unmapped.
//
// Idle memory makes no peak above the idle allowance. Before a mapping that would raise the peak
// held above an eighth over the peak live bytes (HeapStatistics.idleAllowanceBytes), cached large
// mappings, cached empty spans and empty regions go back (releaseIdleBeforePeak); below it they
// stay (round 22, below). Before a small span is mapped that would raise the peak held, another
// class's idle current span is taken instead (takeIdleCurrentSpan). A current span stays with its
// class when its last block is freed (free's fast path does not look, so a malloc/free pair never
// changes spans); in a program that moves
// from one size to another (glibc-simple: batches of 16, then 32, then 64 B) the old classes'
// current spans sat idle at the new class's peak: 24 KiB of its 156 KiB. The taken span is the
// smallest idle one of at least the size the class would map (a smaller one would make the class
// map more often: measured, perl's maps 642 -> 836, 551 with this rule). The search settles every class list
// (O(listed slots)), so after one that finds nothing the next waits until the peak has grown by
// an eighth (git-log's replays: +6.4 % of our instructions searching at every peak-raising span,
// +0.2 % so).
//
// Recycling (round 15). What is given back before a peak is mapped again soon in a steady state
// (the bench replays a trace on one heap: each replay meets the peak with the idle memory in
// other tiers), and every page mapped afresh faults on its first touch; the peers keep their
// memory and take none. So one of the idle mappings given back is not unmapped but turned into
// the new span, region or large mapping (giveBackIdle sets it aside, recycle resizes it with the
// source's remap: in place when it shrinks, its pages moved as page-table entries when it grows
// out of room; the pages it had stay resident). It is chosen from the mappings the loop gives
// back anyway, and leaves the held bytes as if unmapped, so the held bytes (and every peak) take
// exactly the path they took without recycling; only the first with the alignment the new
// mapping needs qualifies (a span: any, 64 KiB; a region: a 256 KiB-aligned one), replaced by a
// later larger one while it is smaller than the request. A recycled mapping is not zero: the
// tier zeroes its header (mapCovered's headerBytes), a span counts all its bytes as dirty (calloc
// and the free markers: UserHeap+Small.swift, carve), a large block says isZeroed false.
// Measured (faults per 1 000 ops; first-touch faults attributed to mapping kinds by mincore over
// each mapping as it went back, in a probe build; one-round deltas over 5 steady replays of
// trace-git-log): before, per replay 45 fresh spans (1.1 MB, 277 faults) and 3 fresh regions
// (768 KiB, 172 faults) after 1.1 MB of idle spans, 0.8 MB of empty regions and 1.4 MB of cached
// large mappings had gone back before peaks; large mappings took 10 faults (the bench touches a
// large block at its ends only). Recycling: git-log 1.61 -> 1.36, python-ast 0.22 -> 0.10,
// maps 870 -> 735 (git-log), footprints all unchanged. What remains in git-log is mostly spans
// mapped below the peak (37 per replay, 840 KiB): a victim bigger than the request gives back its
// rest, and the next spans are mapped into that room. Measured, not landed: cutting such a
// victim's further 64 KiB pieces off as cached empty spans (up to the peak; a source split
// operation): git-log 1.36 -> 1.21 faults but its footprint 1.27 -> 1.30 (a class wanting a
// smaller span takes a cached 64 KiB one: memory already held beats a map), perl 1.11 -> 1.11,
// swiftc 1.24 -> 1.24 (+86 KiB held); with pieces for every span size, git-log 1.43, gcc 1.63.
// trace-sample's faults were not from here: all of them (545 per run of 32 replays) came from
// realloc growing large blocks by remap (16 MB of new pages per run) after resizeCachedLarge
// shrank a bigger cached mapping to the request (16 MB given back per run; UserHeap+Large.swift
// now takes it whole).
// Measured in round 16, not landed (trace-git-log, where the kernel takes 30 % of our replay's
// time by perf sampling: page faults 55 % of that, the mmap and unmap calls the rest; the peers
// keep their memory and spend ~0 there): (1) letting idle memory stay until the held bytes
// would pass 1.3x the peak live bytes (not only the peak held): maps/unmaps 735/636 -> 681/583,
// no faster, footprint 1.27 -> 1.33; at 2x: 0.68 -> 0.81 of the fastest peer with no faults,
// but footprint 1.78 (the phases of the trace move ~3 MB per replay between tiers). (2) moving
// the pages of the other idle mappings given back into the recycled one (a source movePages:
// mremap with MREMAP_FIXED onto the new mapping's fresh tail): unmaps 636 -> 322 but faults
// 1.36 -> 1.34 (they come from the spans mapped below the peak, above), and trace-sample 1.17 ->
// 0.73: a large block whose tail was moved in is several VMAs, which Linux's mremap cannot grow
// (EFAULT), so realloc copied again.
// Round 22, the idle allowance: idle memory used to go back before every mapping that raised the
// peak held, even in a heap far below the footprint bar. A program that builds one big structure
// and frees it at the end (traces/awk-groupby: 8 679 blocks of 2 KiB and an 800 KB buffer freed
// and allocated again) gave its cached buffer and empty regions back at every replay's peak and
// faulted them in again: 8.5 faults per 1 000 ops, 19 ns of kernel time per op, 0.45 of
// tcmalloc. Kept below the allowance: no faults and no kernel time, 1.27 of tcmalloc (5
// interleaved runs, all peers), footprint 1.04 -> 1.06. The other scenarios and traces stayed within their runs'
// spread, and so did their footprints (perl 1.11 -> 1.12; trace-sample's 1.44 -> 1.40 is the
// large cache's best fit, UserHeap+Large.swift). A heap above the allowance (git-log, 1.27)
// follows the old rule; round 16's allowance of 1.3x took git-log's footprint to 1.33.

import MemoryCore

extension UserHeap {
    /// Maps pages and accounts for them; nil when the source is out of memory even after the
    /// large cache was given back (the heap never fails a request while it holds idle mappings).
    /// `forUse`: a span or region, which the heap writes through soon (PageSource.mapPagesForUse).
    @inlinable mutating func mapFromSource(byteCount: Int, alignment: Int, forUse: Bool = false) -> UnsafeMutableRawPointer? {
        var mapped = mapAtSource(byteCount: byteCount, alignment: alignment, forUse: forUse)
        if mapped == nil && !largeCache.isEmpty {
            releaseCachedLarge()
            mapped = mapAtSource(byteCount: byteCount, alignment: alignment, forUse: forUse)
        }
        guard let base = mapped else { return nil }
        counters.noteMapped(byteCount)
        return base
    }

    @inlinable mutating func mapAtSource(byteCount: Int, alignment: Int, forUse: Bool) -> UnsafeMutableRawPointer? {
        forUse
            ? pageSource.mapPagesForUse(byteCount: byteCount, alignment: alignment)
            : pageSource.mapPages(byteCount: byteCount, alignment: alignment)
    }

    @inlinable mutating func unmapToSource(_ base: UnsafeMutableRawPointer, byteCount: Int) {
        pageSource.unmapPages(base, byteCount: byteCount)
        counters.noteUnmapped(byteCount)
    }

    /// Resizes a mapping through the source's remap (no bytes copied) and accounts for it; nil,
    /// the mapping unchanged, when the source cannot.
    @inlinable mutating func remapAtSource(
        _ base: UnsafeMutableRawPointer, oldByteCount: Int, newByteCount: Int,
        alignment: Int
    ) -> UnsafeMutableRawPointer? {
        guard
            let moved = pageSource.remapPages(
                base, oldByteCount: oldByteCount, newByteCount: newByteCount,
                alignment: alignment)
        else { return nil }
        counters.noteRemapped(newByteCount - oldByteCount)
        return moved
    }

    /// Makes sure the granule map's window holds [address, address + byteCount), growing the map
    /// if needed (GranuleMap.swift). False, nothing changed, when the larger map cannot be had
    /// from the source or would span more than GranuleMap.maximumCapacity granules.
    @inlinable mutating func coverInMap(_ address: UInt, byteCount: Int) -> Bool {
        if directory.covers(address, byteCount: byteCount) { return true }
        guard let window = directory.window(covering: address, byteCount: byteCount),
            let base = mapFromSource(byteCount: window.capacity, alignment: userPageSize)
        else { return false }
        let oldTable = directory.table
        let oldBytes = directory.capacity
        directory.move(into: UInt(base), first: window.first, capacity: window.capacity)
        counters.directoryBytes = window.capacity
        if oldBytes > 0 { unmapToSource(userPointer(oldTable), byteCount: oldBytes) }
        return true
    }

    /// Maps `byteCount` bytes for a span or region and makes sure the granule map covers them;
    /// nil (nothing held) when either fails. `isZeroed` is false for a recycled mapping
    /// (releaseIdleBeforePeak): its first `headerBytes` are zeroed here, the rest holds old bytes.
    @inlinable mutating func mapCovered(
        byteCount: Int, alignment: Int, headerBytes: Int
    ) -> (base: UnsafeMutableRawPointer, isZeroed: Bool)? {
        let recycled = releaseIdleBeforePeak(adding: byteCount, alignment: alignment)
        if let recycled { BlockBytes.zero(at: UInt(bitPattern: recycled), byteCount: headerBytes) }
        guard let base = recycled ?? mapFromSource(byteCount: byteCount, alignment: alignment, forUse: true) else {
            return nil
        }
        guard coverInMap(UInt(base), byteCount: byteCount) else {
            unmapToSource(base, byteCount: byteCount)
            return nil
        }
        return (base, recycled == nil)
    }

    /// Before a new span, region or large mapping of `byteCount` bytes that would raise the peak
    /// held above the idle allowance (HeapStatistics.wouldPassIdleAllowance), gives idle memory
    /// back to the source until it would not (or none is left): cached large mappings, then
    /// cached empty spans (largest first), then empty medium regions. Idle memory could not serve
    /// the request (each tier tried its cache first), so keeping it past the allowance would only
    /// make the footprint's peak: with this, the caches hold memory only below an earlier peak or
    /// the allowance (measured: glibc-thread held 20 KiB of cached spans at its peak, trace-sample
    /// held cached large mappings next to fresh ones). In a steady state no mapping passes both,
    /// so the caches keep their hysteresis.
    /// One of the mappings given back is recycled instead (see giveBackIdle): remapped to
    /// `byteCount` bytes and returned, its bytes not zero; nil when none was given back with the
    /// alignment (or the source could not remap it): the caller maps afresh.
    @inlinable mutating func releaseIdleBeforePeak(adding byteCount: Int, alignment: Int) -> UnsafeMutableRawPointer? {
        guard counters.wouldPassIdleAllowance(adding: byteCount) else { return nil }
        var kept: IdleMapping?
        var held = counters.heldBytes
        while counters.wouldPassIdleAllowance(adding: byteCount), let block = largeCache.first {
            uncacheLarge(block)
            giveBackIdle(
                block.base, byteCount: Int(block.header.mappedBytes), keeping: &kept, for: byteCount, alignment: alignment)
        }
        counters.idleReleasedLargeBytes += held - counters.heldBytes
        held = counters.heldBytes
        var shift = SpanRef.largestShift
        while counters.wouldPassIdleAllowance(adding: byteCount), counters.cachedEmptySpans > 0 {
            guard let span = popEmptySpan(shift: shift) else {
                shift -= 1
                continue
            }
            giveBackIdle(span.base, byteCount: unregisterSpan(span), keeping: &kept, for: byteCount, alignment: alignment)
        }
        counters.idleReleasedSpanBytes += held - counters.heldBytes
        held = counters.heldBytes
        if counters.wouldPassIdleAllowance(adding: byteCount), emptyRegionCount > 0 {
            var cursor = regions.first
            while let region = cursor, counters.wouldPassIdleAllowance(adding: byteCount) {
                cursor = regions.next(after: region)
                if region.header.usedBytes == 0 {
                    emptyRegionCount -= 1
                    giveBackIdle(
                        region.base, byteCount: unregisterRegion(region), keeping: &kept, for: byteCount, alignment: alignment)
                }
            }
            counters.idleReleasedRegionBytes += held - counters.heldBytes
        }
        guard let kept else { return nil }
        return recycle(kept, byteCount: byteCount, alignment: alignment)
    }

    /// Gives back one idle mapping that has left its tier, or sets it aside in `kept` as the one
    /// to recycle: the first with the alignment, replaced by a later one only while it is
    /// smaller than `wanted` and the later one is larger (the recycled mapping keeps
    /// min(its bytes, wanted) of its pages). The one set aside leaves the held bytes now, as a
    /// given-back one does, so the caller's loop gives back exactly what it did without recycling.
    @inlinable mutating func giveBackIdle(
        _ base: UnsafeMutableRawPointer, byteCount bytes: Int, keeping kept: inout IdleMapping?, for wanted: Int,
        alignment: Int
    ) {
        let isAligned = UInt(bitPattern: base) & UInt(alignment &- 1) == 0
        guard isAligned, kept.map({ $0.byteCount < wanted && bytes > $0.byteCount }) ?? true else {
            unmapToSource(base, byteCount: bytes)
            return
        }
        if let old = kept { unmapSetAside(old) }
        kept = IdleMapping(base: base, byteCount: bytes)
        counters.noteSetAside(bytes)
    }

    /// The mapping set aside, resized to `byteCount` by the source's remap (in place, or its
    /// pages moved to an address with the alignment: no page is faulted in again); nil, the
    /// mapping given back, when the source cannot.
    @inlinable mutating func recycle(_ kept: IdleMapping, byteCount: Int, alignment: Int) -> UnsafeMutableRawPointer? {
        var base: UnsafeMutableRawPointer? = kept.base
        if kept.byteCount != byteCount {
            base = pageSource.remapPages(kept.base, oldByteCount: kept.byteCount, newByteCount: byteCount, alignment: alignment)
        }
        guard let base else {
            unmapSetAside(kept)
            return nil
        }
        counters.noteRecycled(byteCount)
        return base
    }

    /// Unmaps a mapping set aside (its bytes already left the held count).
    @inlinable mutating func unmapSetAside(_ mapping: IdleMapping) {
        pageSource.unmapPages(mapping.base, byteCount: mapping.byteCount)
        counters.unmapCalls += 1
    }

    /// Class `index`'s current span when it holds no live block (its class list is settled
    /// first), else nil. Such a span is idle memory as much as a cached one: only free()'s fast
    /// path keeps it current (so a malloc/free pair does not change spans).
    @inlinable mutating func idleCurrentSpan(ofClass index: Int) -> SpanRef? {
        let current = classes[index].current
        guard current != 0 else { return nil }
        settleClassList(classIndex: index)
        let span = SpanRef(base: userPointer(current))
        guard span.header.usedCount == 0, classes[index].freeHead == 0 else { return nil }
        return span
    }

    /// Takes an idle current span from class `index`: it belongs to no class and is on no list
    /// (the caller assigns it to another class or releases it).
    @inlinable mutating func detachCurrentSpan(_ span: SpanRef, classIndex index: Int) {
        classes[index].current = 0
        classSpanBytes[index] -= span.byteCount
    }

    /// An idle current span of another class, of at least 2^`shift` bytes (the smallest such),
    /// taken from its class and assigned to class `index`; nil when no class has one, when a
    /// span of that size would not raise the peak held, or while the peak has not grown by an
    /// eighth since a search found none. Asked before mapping a span (UserHeap+Small.swift, mapSpan).
    @inlinable mutating func takeIdleCurrentSpan(forClass index: Int, shift wanted: Int) -> SpanRef? {
        guard counters.wouldRaisePeak(adding: 1 << wanted), counters.peakHeldBytes >= idleSearchPeakBytes else {
            return nil
        }
        var best: (span: SpanRef, classIndex: Int)?
        for other in 0 ..< SizeClass.count where other != index {
            guard let span = idleCurrentSpan(ofClass: other), Int(span.header.sizeShift) >= wanted else { continue }
            if let (chosen, _) = best, chosen.header.sizeShift <= span.header.sizeShift { continue }
            best = (span, other)
            if Int(span.header.sizeShift) == wanted { break }
        }
        guard let (span, other) = best else {
            idleSearchPeakBytes = counters.peakHeldBytes + counters.peakHeldBytes / 8
            return nil
        }
        detachCurrentSpan(span, classIndex: other)
        return assign(span, classIndex: index)
    }

    /// Gives the granule map back once nothing is registered (trim()).
    @inlinable mutating func releaseEmptyDirectory() {
        guard directory.count == 0, directory.capacity > 0 else { return }
        unmapToSource(userPointer(directory.table), byteCount: directory.capacity)
        directory = GranuleMap()
        counters.directoryBytes = 0
    }

    /// trim: returns every empty span, empty medium region, cached large mapping and (when the heap is empty) the
    /// granule map to the page source. The caches refill on demand.
    @inlinable public mutating func trim() {
        releaseEmptySpans()
        releaseEmptyRegions()
        releaseCachedLarge()
        releaseEmptyDirectory()
    }
}

/// An idle mapping taken from its tier (unregistered, out of every list and count) on its way
/// back to the source or to being recycled (UserHeap.releaseIdleBeforePeak).
@usableFromInline struct IdleMapping {
    @usableFromInline let base: UnsafeMutableRawPointer
    @usableFromInline let byteCount: Int

    @inlinable init(base: UnsafeMutableRawPointer, byteCount: Int) {
        self.base = base
        self.byteCount = byteCount
    }
}
