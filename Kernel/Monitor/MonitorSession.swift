// What the monitor session itself holds: the kernel heap blocks `kalloc` gave it and the frame
// runs `falloc` gave it, in fixed tables (no heap: the session's bookkeeping must not change the
// heap it is showing). `kfree` and `ffree` free only what is in these tables; anything else is
// refused or handed to the allocator's own checks, never freed on a user's say-so.
import MemoryCore

struct MonitorSession {
    static let capacity = 32
    var blocks = InlineArray<32, UInt64>(repeating: 0)  // kalloc pointers, 0 = empty slot
    var runs = InlineArray<32, (UInt64, UInt64)>(repeating: (0, 0))  // (first frame address, frames)

    mutating func addBlock(_ pointer: UInt64) -> Bool {
        for index in 0 ..< Self.capacity where blocks[index] == 0 {
            blocks[index] = pointer
            return true
        }
        return false
    }

    mutating func removeBlock(_ pointer: UInt64) -> Bool {
        for index in 0 ..< Self.capacity where blocks[index] == pointer && pointer != 0 {
            blocks[index] = 0
            return true
        }
        return false
    }

    mutating func addRun(_ address: UInt64, frames: UInt64) -> Bool {
        for index in 0 ..< Self.capacity where runs[index].1 == 0 {
            runs[index] = (address, frames)
            return true
        }
        return false
    }

    /// Removes the run starting at `address`; returns its frame count.
    mutating func removeRun(_ address: UInt64) -> UInt64? {
        for index in 0 ..< Self.capacity where runs[index].1 != 0 && runs[index].0 == address {
            let frames = runs[index].1
            runs[index] = (0, 0)
            return frames
        }
        return nil
    }

    func holdsBlock(_ pointer: UInt64) -> Bool {
        pointer != 0 && (0 ..< Self.capacity).contains { blocks[$0] == pointer }
    }

    func holdsRun(startingAt address: UInt64) -> Bool {
        (0 ..< Self.capacity).contains { runs[$0].1 != 0 && runs[$0].0 == address }
    }

    var blockCount: Int { (0 ..< Self.capacity).reduce(0) { $0 + (blocks[$1] != 0 ? 1 : 0) } }
    var runCount: Int { (0 ..< Self.capacity).reduce(0) { $0 + (runs[$1].1 != 0 ? 1 : 0) } }
}
