// One address space: its root (PML4) frame, what it owns, and its accounting.
// Operations live in AddressSpace+*.swift; the module overview is in PageTables.swift.

import MemoryCore

/// What `translate` finds for a virtual address.
public struct Translation: Hashable, Sendable {
    /// The physical address of the translated byte (leaf frame + offset within the page).
    public var physical: PhysicalAddress
    /// The first frame of the leaf (for a 2 MiB page, the first of its 512 frames).
    public var frame: FrameNumber
    /// The leaf's flags, including `.present` (and accessed/dirty as the CPU left them).
    public var flags: PageFlags
    /// The size of the page that maps the address.
    public var size: PageSize
}

/// A 4-level page-table hierarchy rooted at one PML4 frame, generic over how physical memory is
/// reached. Table frames come from a `TableFrameSource` passed to each operation that may allocate
/// or free, so one source (the kernel's frame allocator) can serve every address space.
///
/// A value of this type is the single owner of its tables: copies share the same frames, so keep
/// exactly one copy in use (the kernel keeps it in the process record).
public struct AddressSpace<Memory: PhysicalMemoryAccess> {
    /// The PML4 frame: what CR3 is loaded with.
    public let root: FrameNumber
    /// User (slots 1..254) or kernel (slots 0..255).
    public let kind: AddressSpaceKind
    /// How tables are read and written.
    public let memory: Memory
    /// Table frames this space owns, the root included (shared kernel tables are not counted).
    public internal(set) var tableFrameCount: Int
    /// Present 4 KiB leaves.
    public internal(set) var mapped4KiBCount: Int
    /// Present 2 MiB leaves.
    public internal(set) var mapped2MiBCount: Int

    /// Creates an empty address space with a fresh, zeroed PML4.
    ///
    /// - Parameter kernelRoot: when given, every present PML4 entry of that table outside this
    ///   space's owned slots is copied (for a user space: the kernel's identity map in slot 0 and
    ///   anything in the higher half). The copies have U/S cleared, so kernel memory is
    ///   supervisor-only in every user space whatever the boot tables said. The tables they point
    ///   to stay the kernel's: never walked, freed or audited here.
    /// - Throws: `.outOfTableFrames` if the source has no frame for the PML4.
    public init<Source: TableFrameSource>(
        kind: AddressSpaceKind, memory: Memory, tableFrames: inout Source, sharingKernelEntriesOf kernelRoot: FrameNumber? = nil
    ) throws(PageTableError) {
        guard let root = tableFrames.allocateTableFrame() else { throw .outOfTableFrames }
        memory.zeroTable(root)
        self.root = root
        self.kind = kind
        self.memory = memory
        tableFrameCount = 1
        mapped4KiBCount = 0
        mapped2MiBCount = 0
        if let kernelRoot { copySharedEntries(from: kernelRoot) }
    }

    private func copySharedEntries(from kernelRoot: FrameNumber) {
        for slot in 0 ..< PageTableLevel.entryCount where !kind.ownedSlots.contains(slot) {
            let entry = memory.readEntry(kernelRoot, slot)
            if entry.isPresent {
                memory.writeEntry(root, slot, PageTableEntry(rawValue: entry.rawValue & ~PageFlags.user.rawValue))
            }
        }
    }

    /// Bytes mapped by leaves: 4 KiB * mapped4KiBCount + 2 MiB * mapped2MiBCount.
    public var mappedByteCount: UInt64 {
        UInt64(mapped4KiBCount) * PageSize.size4KiB.bytes + UInt64(mapped2MiBCount) * PageSize.size2MiB.bytes
    }

    mutating func countLeaf(_ size: PageSize, _ delta: Int) {
        switch size {
        case .size4KiB: mapped4KiBCount += delta
        case .size2MiB: mapped2MiBCount += delta
        }
    }
}
