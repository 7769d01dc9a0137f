// checkInvariants(): walks every structure of the heap and returns the first broken rule.
// O(heap size); tests call it after every operation of small sequences and periodically in long
// ones. The rules are the equations of UserMalloc.swift, GranuleMap.swift, MediumBlocks.swift
// and UserHeap+Small.swift.

import MemoryCore

/// The first inconsistency checkInvariants() found, with the values involved.
public enum HeapInvariantViolation: Equatable, Sendable {
    /// The granule map's count of registered granules differs from its non-zero bytes.
    case directoryCount(counted: Int, recorded: Int)
    case directoryValue(granule: VirtualAddress)
    case spanCanary(span: VirtualAddress)
    case spanGeometry(span: VirtualAddress)
    case spanFreeList(span: VirtualAddress, link: VirtualAddress)
    case spanSlotAccounting(span: VirtualAddress, carved: Int, used: Int, free: Int)
    case spanState(span: VirtualAddress, state: Int)
    case partialList(classIndex: Int)
    /// A class's state is inconsistent: a class list without a current span, a slot size other
    /// than the class's, a carved extent other than the current span's, or a class list that
    /// shares slots with the span's own list.
    case classState(classIndex: Int)
    case classSpanBytes(classIndex: Int, counted: Int, recorded: Int)
    /// The medium blocks marked light for a class do not add up to its recorded light bytes, or
    /// a marked block is free, names no class, or is smaller than the class's slot.
    case lightBytes(classIndex: Int, counted: Int, recorded: Int)
    case emptyCache(counted: Int, recorded: Int)
    case regionCanary(region: VirtualAddress)
    case regionBlocks(block: VirtualAddress)
    case regionAdjacentFree(block: VirtualAddress)
    case regionStartBits(region: VirtualAddress)
    case regionUsedBytes(region: VirtualAddress, counted: Int, recorded: Int)
    case emptyRegions(counted: Int, recorded: Int)
    case binMember(bin: Int, block: VirtualAddress)
    case binBitmap(bin: Int)
    case freeBlockCount(inBins: Int, inRegions: Int)
    case largeBlock(block: VirtualAddress)
    /// The list of regions does not hold exactly the mapped regions, or its links are broken.
    case regionList
    /// The list of live large blocks does not hold exactly the live large blocks, or its links are broken.
    case largeList
    case tierCounts
    case liveBytes(counted: Int, recorded: Int)
    /// malloc's size-to-class table disagrees with SizeClass.index at `byteCount`.
    case classTable(byteCount: Int)
    case heldBytes(counted: Int, recorded: Int)
}

/// Totals gathered while walking the heap.
struct InvariantTally {
    @usableFromInline var liveBytes = 0
    @usableFromInline var heldBytes = 0
    @usableFromInline var spans = 0
    @usableFromInline var spanBytes = 0
    /// Per class: bytes of its current, partial and full spans.
    @usableFromInline var classSpanBytes: InlineArray<48, Int> = InlineArray(repeating: 0)
    /// Per class: sizes of the in-use medium blocks marked light for it.
    @usableFromInline var lightBytes: InlineArray<48, Int> = InlineArray(repeating: 0)
    @usableFromInline var regions = 0
    @usableFromInline var regionBytes = 0
    @usableFromInline var emptyRegions = 0
    @usableFromInline var largeBlocks = 0
    @usableFromInline var liveMediumBlocks = 0
    @usableFromInline var liveMediumBytes = 0
    @usableFromInline var freeMediumBlocks = 0
}

extension UserHeap {
    /// The first violated invariant, or nil when the heap is consistent.
    public func checkInvariants() -> HeapInvariantViolation? {
        if directory.countEntries() != directory.count {
            return .directoryCount(counted: directory.countEntries(), recorded: directory.count)
        }
        var tally = InvariantTally()
        tally.heldBytes = directory.capacity
        var firstViolation: HeapInvariantViolation?
        directory.forEachEntry { granule, value in
            guard firstViolation == nil else { return }
            firstViolation = checkEntry(granule: granule, value: value, tally: &tally)
        }
        if let firstViolation { return firstViolation }
        if let violation = checkClassLists(tally) ?? checkBins(tally) ?? checkLargeCache(&tally) ?? checkRegionAndLargeLists() {
            return violation
        }
        return checkTotals(tally)
    }

    func checkEntry(granule: UInt, value: UInt64, tally: inout InvariantTally) -> HeapInvariantViolation? {
        let base = UInt(truncatingIfNeeded: value & ~3)
        switch OwnerKind(rawValue: value & 3) {
        case .small:
            guard base == granule else { return .directoryValue(granule: VirtualAddress(UInt64(granule))) }
            return checkSpan(SpanRef(base: userPointer(base)), tally: &tally)
        case .medium:
            guard base == granule & ~UInt(RegionRef.alignment - 1) else {
                return .directoryValue(granule: VirtualAddress(UInt64(granule)))
            }
            // Check each region once, from its first granule.
            return base == granule ? checkRegion(RegionRef(containing: base), tally: &tally) : nil
        case .large:
            return checkLarge(LargeRef(base: base), granule: granule, tally: &tally)
        case nil:
            return .directoryValue(granule: VirtualAddress(UInt64(granule)))
        }
    }

    func checkSpan(_ span: SpanRef, tally: inout InvariantTally) -> HeapInvariantViolation? {
        let at = VirtualAddress(UInt64(span.address))
        let h = span.header
        guard h.canary == secret ^ UInt64(span.address) else { return .spanCanary(span: at) }
        guard Int(h.sizeShift) >= SpanRef.smallestShift, Int(h.sizeShift) <= SpanRef.largestShift else {
            return .spanGeometry(span: at)
        }
        let bytes = span.byteCount
        tally.spans += 1
        tally.spanBytes += bytes
        tally.heldBytes += bytes
        let index = Int(h.classIndex)
        guard index < SizeClass.count, Int(h.slotSize) == SizeClass.byteCount(ofClass: index),
            h.reciprocal == SizeClass.reciprocal(ofSlotSize: Int(h.slotSize)),
            Int(h.limitOffset) == SpanRef.dataOffset + (bytes - SpanRef.dataOffset) / Int(h.slotSize) * Int(h.slotSize),
            h.limitOffset > UInt32(SpanRef.dataOffset),
            h.bumpOffset >= UInt32(SpanRef.dataOffset), h.bumpOffset <= h.limitOffset,
            (Int(h.bumpOffset) - SpanRef.dataOffset) % Int(h.slotSize) == 0
        else { return .spanGeometry(span: at) }
        let carved = (Int(h.bumpOffset) - SpanRef.dataOffset) / Int(h.slotSize)
        let free: Int
        let ownTail: UInt
        switch walkFreeList(from: h.freeHead, of: span, below: Int(h.bumpOffset), carved: carved) {
        case .badLink(let link): return .spanFreeList(span: at, link: VirtualAddress(UInt64(link)))
        case .sound(let count, let last): (free, ownTail) = (count, last)
        }
        guard carved == Int(h.usedCount) + free else {
            return .spanSlotAccounting(span: at, carved: carved, used: Int(h.usedCount), free: free)
        }
        guard spanStateIsConsistent(span, free: free) else { return .spanState(span: at, state: Int(h.state)) }
        var onClassList = 0
        if h.state == SpanState.current.rawValue {
            let state = classes[index]
            let gathered = SpanRef.dataOffset + Int(state.listCarvedUnits) * 16
            guard gathered == Int(h.bumpOffset) else { return .classState(classIndex: index) }
            switch walkFreeList(from: state.freeHead, of: span, below: gathered, carved: carved) {
            case .badLink(let link): return .spanFreeList(span: at, link: VirtualAddress(UInt64(link)))
            case .sound(let count, let classTail):
                // Two lists that share a slot share their last slot (one link word per slot).
                guard count <= Int(h.usedCount), count == 0 || free == 0 || classTail != ownTail else {
                    return .classState(classIndex: index)
                }
                onClassList = count
            }
        }
        if h.state != SpanState.empty.rawValue {
            tally.liveBytes += (Int(h.usedCount) - onClassList) * Int(h.slotSize)
            tally.classSpanBytes[index] += bytes
        }
        return nil
    }

    /// Walks a free list of `span` from `head`: every link a slot start below offset `end`
    /// carrying the free marker, at most `carved` of them. Its length and last slot, or the
    /// first bad link.
    func walkFreeList(from head: UInt, of span: SpanRef, below end: Int, carved: Int) -> FreeListWalk {
        var count = 0
        var last: UInt = 0
        var link = head
        while link != 0 {
            let offset = Int(link) - Int(span.address)
            guard count < carved, offset >= SpanRef.dataOffset, offset < end,
                (offset - SpanRef.dataOffset) % Int(span.header.slotSize) == 0,
                carriesFreeMarker(link)
            else { return .badLink(link) }
            count += 1
            last = link
            link = loadLink(at: link)
        }
        return .sound(count: count, last: last)
    }

    func spanStateIsConsistent(_ span: SpanRef, free: Int) -> Bool {
        let h = span.header
        let isCurrent = classes[Int(h.classIndex)].current == span.address
        switch SpanState(rawValue: h.state) {
        case .current: return isCurrent
        case .partial: return !isCurrent && free > 0 && h.usedCount > 0
        case .full: return !isCurrent && free == 0 && h.bumpOffset + h.slotSize > h.limitOffset
        case .empty: return h.usedCount == 0
        case nil: return false
        }
    }

    /// Partial lists are well linked and hold only partial spans of their class; each class's
    /// span bytes match; the empty cache lists hold exactly `cachedEmptySpans` empty spans of
    /// their list's size, `cachedEmptySpanBytes` in all.
    func checkClassLists(_ tally: InvariantTally) -> HeapInvariantViolation? {
        for index in 0 ..< SizeClass.count {
            guard tally.classSpanBytes[index] == classSpanBytes[index] else {
                return .classSpanBytes(classIndex: index, counted: tally.classSpanBytes[index], recorded: classSpanBytes[index])
            }
            let state = classes[index]
            guard state.slotSize == SizeClass.byteCount(ofClass: index), state.current != 0 || state.freeHead == 0 else {
                return .classState(classIndex: index)
            }
            let partial = partialSpans[index]
            guard case .success = partial.checkInvariants(limit: counters.smallSpans, isNode: isSpan),
                partial.allSatisfy({ Int($0.header.classIndex) == index && $0.header.state == SpanState.partial.rawValue })
            else { return .partialList(classIndex: index) }
        }
        var cached = 0
        var cachedBytes = 0
        for list in 0 ..< emptySpans.count {
            guard case .success(let count) = emptySpans[list].checkInvariants(limit: counters.smallSpans, isNode: isSpan),
                emptySpans[list].allSatisfy({
                    $0.header.state == SpanState.empty.rawValue && Int($0.header.sizeShift) == SpanRef.smallestShift + list
                })
            else { return .emptyCache(counted: cached, recorded: counters.cachedEmptySpans) }
            cached += count
            for span in emptySpans[list] { cachedBytes += span.byteCount }
        }
        guard cached == counters.cachedEmptySpans, cachedBytes == counters.cachedEmptySpanBytes else {
            return .emptyCache(counted: cached, recorded: counters.cachedEmptySpans)
        }
        return nil
    }

    /// Whether `span` is the base of a small span in the directory (asked before a list link to it
    /// is followed).
    func isSpan(_ span: SpanRef) -> Bool {
        directory.lookup(span.address) == UInt64(span.address) | OwnerKind.small.rawValue
    }

    /// The region list holds every region exactly once; the large list every live large block.
    func checkRegionAndLargeLists() -> HeapInvariantViolation? {
        let isRegion = { (region: RegionRef) in
            region.address & UInt(RegionRef.alignment - 1) == 0
                && self.directory.lookup(region.address) & 3 == OwnerKind.medium.rawValue
        }
        guard case .success(counters.mediumRegions) = regions.checkInvariants(limit: counters.mediumRegions, isNode: isRegion)
        else { return .regionList }
        let isLarge = { (block: LargeRef) in
            block.header.canary == self.secret ^ UInt64(block.address)
                && self.directory.lookup(block.address &+ UInt(block.header.userOffset)) & 3 == OwnerKind.large.rawValue
        }
        guard case .success(counters.largeBlocks) = largeBlocks.checkInvariants(limit: counters.largeBlocks, isNode: isLarge)
        else { return .largeList }
        return nil
    }

    func checkRegion(_ region: RegionRef, tally: inout InvariantTally) -> HeapInvariantViolation? {
        let at = VirtualAddress(UInt64(region.address))
        guard region.header.canary == secret ^ UInt64(region.address) else { return .regionCanary(region: at) }
        let bytes = region.byteCount
        guard bytes >= RegionRef.smallestByteCount, bytes <= RegionRef.alignment, bytes & (bytes - 1) == 0 else {
            return .regionBlocks(block: at)
        }
        tally.regions += 1
        tally.regionBytes += bytes
        tally.heldBytes += bytes
        var offset = RegionRef.firstBlockOffset
        var previousSize = 0
        var previousFree = false
        var used = 0
        var starts = 0
        let sentinelOffset = region.sentinelOffset
        while offset < sentinelOffset {
            let block = MediumBlock(address: region.address + UInt(offset))
            let blockAt = VirtualAddress(UInt64(block.address))
            guard block.hasValidTag, block.size >= MediumBlock.minimumBytes, block.size % 16 == 0,
                offset + block.size <= sentinelOffset, block.previousSize == previousSize,
                region.isBlockStart(offset)
            else { return .regionBlocks(block: blockAt) }
            if let index = block.lightClass {
                guard block.isInUse, index < SizeClass.count,
                    block.size - MediumBlock.headerBytes >= SizeClass.byteCount(ofClass: index)
                else { return .lightBytes(classIndex: index, counted: -1, recorded: lightBytes[min(index, SizeClass.count - 1)]) }
                tally.lightBytes[index] += block.size
            }
            if block.isInUse {
                used += block.size
                tally.liveMediumBlocks += 1
                tally.liveMediumBytes += block.size - MediumBlock.headerBytes
                tally.liveBytes += block.size - MediumBlock.headerBytes
            } else {
                guard !previousFree else { return .regionAdjacentFree(block: blockAt) }
                tally.freeMediumBlocks += 1
            }
            previousFree = !block.isInUse
            previousSize = block.size
            starts += 1
            offset += block.size
        }
        let sentinel = MediumBlock(address: region.address + UInt(sentinelOffset))
        guard offset == sentinelOffset, sentinel.hasValidTag, sentinel.isInUse, sentinel.size == 0,
            sentinel.previousSize == previousSize
        else { return .regionBlocks(block: VirtualAddress(UInt64(sentinel.address))) }
        var bits = 0
        for unit in stride(from: 0, to: RegionRef.alignment, by: 16) where region.isBlockStart(unit) { bits += 1 }
        guard bits == starts else { return .regionStartBits(region: at) }
        guard used == Int(region.header.usedBytes) else {
            return .regionUsedBytes(region: at, counted: used, recorded: Int(region.header.usedBytes))
        }
        if used == 0 { tally.emptyRegions += 1 }
        return nil
    }

    func checkLarge(_ block: LargeRef, granule: UInt, tally: inout InvariantTally) -> HeapInvariantViolation? {
        let at = VirtualAddress(UInt64(block.address))
        let h = block.header
        let user = block.address + UInt(h.userOffset)
        guard h.canary == secret ^ UInt64(block.address), user & ~UInt(SpanRef.alignment - 1) == granule,
            h.userOffset >= UInt64(LargeRef.headerBytes), h.userOffset % 16 == 0,
            h.mappedBytes % UInt64(userPageSize) == 0, h.usableBytes == h.mappedBytes - h.userOffset
        else {
            return .largeBlock(block: at)
        }
        tally.largeBlocks += 1
        tally.heldBytes += Int(h.mappedBytes)
        tally.liveBytes += Int(h.usableBytes)
        return nil
    }

    /// Cached large mappings: intact headers, counted right, not registered in the directory.
    func checkLargeCache(_ tally: inout InvariantTally) -> HeapInvariantViolation? {
        let isCachedLarge = { (block: LargeRef) in
            block.header.canary == self.secret ^ UInt64(block.address)
                && self.directory.lookup(block.address + UInt(block.header.userOffset)) == 0
        }
        let count: Int
        switch largeCache.checkInvariants(limit: counters.cachedLargeBlocks, isNode: isCachedLarge) {
        case .success(let walked): count = walked
        case .failure(.foreignNode(let node)), .failure(.previousLinkWrong(let node, _)),
            .failure(.backwardWalkDiverged(let node)), .failure(.tailWrong(_, let node)):
            return .largeBlock(block: VirtualAddress(UInt64(node)))
        case .failure(.tooLong): return .tierCounts
        }
        var bytes = 0
        for block in largeCache { bytes += Int(block.header.mappedBytes) }
        guard count == counters.cachedLargeBlocks, bytes == counters.cachedLargeBytes else { return .tierCounts }
        tally.heldBytes += bytes
        return nil
    }

    /// Every bin member is free, in the right bin, doubly linked; bitmap bits match heads.
    func checkBins(_ tally: InvariantTally) -> HeapInvariantViolation? {
        var members = 0
        for bin in 0 ..< MediumBins.binCount {
            let list = bins.lists[bin]
            let bit = bins.nonEmpty[bin >> 6] & (1 << UInt64(bin & 63)) != 0
            guard bit == !list.isEmpty else { return .binBitmap(bin: bin) }
            let isMember = { (block: MediumBlock) in
                self.directory.lookup(block.address) & 3 == OwnerKind.medium.rawValue
                    && block.hasValidTag && !block.isInUse && MediumBins.bin(ofFreeSize: block.size) == bin
            }
            switch list.checkInvariants(limit: tally.freeMediumBlocks - members, isNode: isMember) {
            case .success(let count): members += count
            case .failure(.foreignNode(let node)), .failure(.previousLinkWrong(let node, _)),
                .failure(.backwardWalkDiverged(let node)), .failure(.tailWrong(_, let node)):
                return .binMember(bin: bin, block: VirtualAddress(UInt64(node)))
            case .failure(.tooLong): return .freeBlockCount(inBins: tally.freeMediumBlocks + 1, inRegions: tally.freeMediumBlocks)
            }
        }
        guard members == tally.freeMediumBlocks else {
            return .freeBlockCount(inBins: members, inRegions: tally.freeMediumBlocks)
        }
        return nil
    }

    func checkTotals(_ tally: InvariantTally) -> HeapInvariantViolation? {
        for index in 0 ..< SizeClass.count where tally.lightBytes[index] != lightBytes[index] {
            return .lightBytes(classIndex: index, counted: tally.lightBytes[index], recorded: lightBytes[index])
        }
        guard tally.emptyRegions == emptyRegionCount else {
            return .emptyRegions(counted: tally.emptyRegions, recorded: emptyRegionCount)
        }
        guard tally.spans == counters.smallSpans, tally.regions == counters.mediumRegions,
            tally.spanBytes == counters.smallSpanBytes, tally.regionBytes == counters.mediumRegionBytes,
            tally.largeBlocks == counters.largeBlocks, tally.liveMediumBlocks == counters.liveMediumBlocks,
            tally.liveMediumBytes == counters.liveMediumBytes,
            counters.directoryBytes == directory.capacity
        else { return .tierCounts }
        // liveHeadroom < 0 would be live bytes above their recorded peak.
        guard tally.liveBytes == counters.liveBytes, counters.liveHeadroom >= 0 else {
            return .liveBytes(counted: tally.liveBytes, recorded: counters.liveBytes)
        }
        for granule in 0 ..< classOfGranule.count
        where Int(classOfGranule[granule]) != SizeClass.index(forByteCount: granule << 4) {
            return .classTable(byteCount: granule << 4)
        }
        guard tally.heldBytes == counters.heldBytes else {
            return .heldBytes(counted: tally.heldBytes, recorded: counters.heldBytes)
        }
        return nil
    }
}

extension UserHeap {
    /// Counts for small class `index` (0 ..< SizeClass.count), by walking the spans and the
    /// medium regions (for its light blocks): O(spans + medium blocks).
    public func statistics(ofClass index: Int) -> SizeClassStatistics {
        var result = SizeClassStatistics()
        result.slotSize = SizeClass.byteCount(ofClass: index)
        directory.forEachEntry { granule, value in
            guard value & 3 == OwnerKind.small.rawValue else { return }
            let span = SpanRef(base: userPointer(granule))
            guard Int(span.header.classIndex) == index, span.header.state != SpanState.empty.rawValue else { return }
            let capacity = (Int(span.header.limitOffset) - SpanRef.dataOffset) / Int(span.header.slotSize)
            let live = Int(span.header.usedCount) - classListLength(of: span)
            result.spans += 1
            result.liveBlocks += live
            result.freeSlots += capacity - live
        }
        for region in regions {
            var offset = RegionRef.firstBlockOffset
            while offset < region.sentinelOffset {
                let block = MediumBlock(address: region.address + UInt(offset))
                if block.lightClass == index { result.lightBlocks += 1 }
                offset += block.size
            }
        }
        result.liveBlocks += result.lightBlocks
        return result
    }

    /// How many slots of `span` sit on its class's list (0 unless it is the current span);
    /// stops at the first link that is not a carved slot of the span (the head included: a
    /// damaged link becomes the head unchecked, UserHeap+Small.swift, popClassSlot).
    func classListLength(of span: SpanRef) -> Int {
        let state = classes[Int(span.header.classIndex)]
        guard state.current == span.address else { return 0 }
        var count = 0
        var link = state.freeHead
        while link != 0 && Self.isCarvedLink(link, ofSpanAt: span.address, carvedUnits: state.listCarvedUnits)
            && count < Int(span.header.usedCount)
        {
            count += 1
            link = loadLink(at: link)
        }
        return count
    }
}

/// What walkFreeList found: a sound list (its length and last slot) or its first bad link.
enum FreeListWalk {
    case sound(count: Int, last: UInt)
    case badLink(UInt)
}
