// Requested-size trailers and red zones (AllocationTrailer.requestedSizeAndRedZone).
//
//   block: [ caller's bytes 0 ..< requested | red zone ..< size - 8 | trailer word ]
//   trailer word = requested | (canary ^ (address >> 4)) << 32

import MemoryCore

/// A trailer decoded from a block, or nil fields when it is damaged.
struct DecodedTrailer {
    /// The requested size, or nil when the canary or the size is implausible.
    var requested: Int?
    /// Offset of the first damaged byte (red zone or trailer), or nil when intact.
    var damage: Int?
}

extension BuddyCore {
    @inline(__always) func trailerAddress(_ block: VirtualAddress, order: Int) -> VirtualAddress {
        VirtualAddress(block.raw &+ UInt64(BlockOrder(order).byteCount &- 8))
    }

    @inline(__always) func trailerCheck(_ block: VirtualAddress) -> UInt64 {
        UInt64(AllocationTrailer.canary ^ UInt32(truncatingIfNeeded: block.raw &>> 4)) &<< 32
    }

    /// Writes the trailer and fills the red zone of a block being handed out.
    @usableFromInline mutating func writeTrailer(_ block: VirtualAddress, order: Int, requested: Int) {
        let trailer = trailerAddress(block, order: order)
        let redZone = Int(trailer.raw &- block.raw) - requested
        BlockMemory.fill(
            VirtualAddress(block.raw &+ UInt64(requested)), byteCount: redZone,
            with: AllocationTrailer.redZoneByte)
        BlockMemory.storeWord(UInt64(requested) | trailerCheck(block), trailer)
        liveRequestedBytes &+= requested
    }

    /// Reads and verifies an allocated block's trailer and red zone.
    func decodeTrailer(_ block: VirtualAddress, order: Int) -> DecodedTrailer {
        let trailer = trailerAddress(block, order: order)
        let word = BlockMemory.loadWord(trailer)
        let requested = Int(word & 0xFFFF_FFFF)
        let usable = Int(trailer.raw &- block.raw)
        if word & 0xFFFF_FFFF_0000_0000 != trailerCheck(block) || requested > usable {
            return DecodedTrailer(requested: nil, damage: usable)
        }
        let damage = BlockMemory.firstMismatch(
            VirtualAddress(block.raw &+ UInt64(requested)),
            byteCount: usable - requested,
            expected: AllocationTrailer.redZoneByte)
        return DecodedTrailer(requested: requested, damage: damage.map { requested + $0 })
    }

    /// On free: report damage (an overflow past the requested end) and settle the requested-byte
    /// gauge. A damaged trailer no longer says what was requested; the usable size is subtracted
    /// instead, so after such a report the gauge is approximate.
    mutating func checkTrailerOnFree(_ block: VirtualAddress, order: Int) {
        let decoded = decodeTrailer(block, order: order)
        if let damage = decoded.damage {
            counters.redZoneOverwrites += 1
            lastEvent = .redZoneOverwritten(block: block, order: BlockOrder(order), offset: damage)
        }
        liveRequestedBytes &-= decoded.requested ?? (BlockOrder(order).byteCount &- 8)
    }
}
