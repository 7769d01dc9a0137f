// Which PML4 slots an address space owns, and the user range as a constant.
//
// PML4 slot s covers [s * 512 GiB, (s + 1) * 512 GiB) (sign-extended for s >= 256).
//
//   slot 0         the kernel's identity map, shared by every address space (supervisor only)
//   slots 1..254   user space: [0x0000_0080_0000_0000, 0x0000_7F80_0000_0000)
//   slot 255       left empty: a guard between user space and the non-canonical hole, so no user
//                  page ends at 2^47 (sysret with a non-canonical return address faults in ring 0
//                  on Intel CPUs) and no user range can run into the hole
//   slots 256..511 higher half: unused (Swift needs every pointer below 2^47), shared if present
//
// A kernel address space owns slots 0..255 (the whole lower half) and is how the kernel builds or
// extends its own identity map; user address spaces copy its non-user slots.

import MemoryCore

/// The user part of every user address space.
public enum UserSpace {
    /// PML4 slots owned by a user address space.
    public static let pml4Slots: Range<Int> = 1 ..< 255
    /// First user byte: PML4 slot 1.
    public static let start = VirtualAddress(0x0000_0080_0000_0000)
    /// One past the last user byte: start of PML4 slot 255.
    public static let end = VirtualAddress(0x0000_7F80_0000_0000)
    /// end - start: 254 * 512 GiB.
    public static let byteCount: UInt64 = end.raw - start.raw
}

/// Whom an address space serves; this decides its owned slots and its intermediate-entry flags.
public enum AddressSpaceKind: Hashable, Sendable {
    /// A ring-3 process: owns `UserSpace.pml4Slots`; leaves may be `.user`.
    case user
    /// The kernel's own tables: owns PML4 slots 0..255 (the lower canonical half); no `.user` leaves.
    case kernel

    /// PML4 slots whose tables this space allocates, frees, walks and audits.
    @inlinable public var ownedSlots: Range<Int> { self == .user ? UserSpace.pml4Slots : 0 ..< 256 }

    /// First owned byte.
    @inlinable public var start: VirtualAddress { VirtualAddress(UInt64(ownedSlots.lowerBound) << 39) }
    /// One past the last owned byte (never past 2^47, so never in the non-canonical hole).
    @inlinable public var end: VirtualAddress { VirtualAddress(UInt64(ownedSlots.upperBound) << 39) }

    @inlinable public func owns(_ address: VirtualAddress) -> Bool { start <= address && address < end }

    /// Flags of every intermediate (non-leaf) entry this space writes. The CPU combines levels:
    /// a page is writable only if R/W is set at every level, user-accessible only if U/S is set at
    /// every level, and non-executable if XD is set at ANY level. So intermediates are made as
    /// permissive as the space allows (P | R/W, plus U/S in a user space) and never carry XD:
    /// the leaf alone then decides a page's rights, and one 4 KiB mapping can never widen or
    /// narrow the rights of its neighbours that share the same tables. (XD on an intermediate would
    /// silently make every later mapping under it non-executable, and XD is a reserved bit that
    /// faults unless EFER.NXE is set, so it must not appear where a caller did not ask for it.)
    @inlinable public var intermediateFlags: PageFlags {
        self == .user ? [.present, .writable, .user] : [.present, .writable]
    }
}
