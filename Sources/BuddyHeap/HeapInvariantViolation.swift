// The first broken invariant `checkInvariants()` finds, with the values involved.

import MemoryCore

/// Which list a list-related violation is about.
public enum BlockListKind: Hashable, Sendable {
    case free
    case cache
}

/// Which global quantity disagrees with the sum over the structures.
public enum AccountingQuantity: Hashable, Sendable {
    case liveBlockBytes
    case liveAllocations
    case emptyArenas
    case liveLargeBytes
    case liveRequestedBytes
}

/// A description of the first inconsistency found; the heap is never changed by the check.
public enum HeapInvariantViolation: Error, Hashable, Sendable {
    /// Arena bases must be strictly increasing and aligned to the arena size.
    case arenaTableDisordered(index: Int)
    case arenaMisaligned(VirtualAddress)
    /// Walking the arena block by block, the offset does not start exactly one block.
    case blockPartitionBroken(arena: VirtualAddress, offset: UInt64)
    /// A node above or below a block is also marked as a block.
    case nestedBlock(arena: VirtualAddress, node: Int)
    /// Two free buddies of one order: they should have been merged.
    case unmergedFreeBuddies(block: VirtualAddress, order: BlockOrder)
    /// A cached block above the cached orders.
    case cachedBlockAboveLimit(block: VirtualAddress, order: BlockOrder)
    /// The carved metadata region is not covered by allocated blocks.
    case metadataNotReserved(arena: VirtualAddress)
    /// The arena header's live block count disagrees with the blocks.
    case arenaLiveCountWrong(arena: VirtualAddress, recorded: Int, counted: Int)
    /// A list link points outside the arenas, is misaligned, or its back link disagrees.
    case listLinkBroken(BlockListKind, order: BlockOrder, block: VirtualAddress)
    /// A listed block is not in the state its list implies (free or cached, of that order).
    case listedBlockInWrongState(BlockListKind, order: BlockOrder, block: VirtualAddress)
    /// A list's recorded count, its walked length and the blocks in the tables disagree.
    case listCountWrong(BlockListKind, order: BlockOrder, recorded: Int, counted: Int)
    /// The non-empty mask of a list set disagrees with its heads.
    case nonEmptyMaskWrong(BlockListKind)
    case cacheOverCapacity(order: BlockOrder)
    case accountingWrong(AccountingQuantity, recorded: Int, counted: Int)
    /// A poisoned free block has damaged poison (only checked with .poisonFreed on).
    case poisonDamaged(block: VirtualAddress, offset: Int)
    /// With trailers on: an allocated block's trailer or red zone is damaged (an overflow that has
    /// not been freed yet).
    case trailerDamaged(block: VirtualAddress, offset: Int)
    /// Large allocations must be sorted, frame-aligned and non-overlapping.
    case largeAllocationsDisordered(index: Int)
}
