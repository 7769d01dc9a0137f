// map/unmap of several sizes and protections: page-aligned, in user space, zeroed, writable and
// readable back, counted in memstat, and gone after unmap.
import MemoryCore

enum MapChecks {
    static func run(_ check: inout Checker) {
        check.group("map/unmap 1 byte")
        roundTrip(check, length: 1, seed: 1)
        check.group("map/unmap 4 KiB")
        roundTrip(check, length: 4 * KiB, seed: 2)
        check.group("map/unmap 12 KiB + 1")
        roundTrip(check, length: 12 * KiB + 1, seed: 3)
        check.group("map/unmap 64 KiB")
        roundTrip(check, length: 64 * KiB, seed: 4)
        check.group("map/unmap 4 MiB + 123")
        roundTrip(check, length: 4 * MiB + 123, seed: 5)
        readOnly(&check)
        readExecute(&check)
        independence(&check)
    }

    /// map RW -> zero -> fill -> verify -> memstat -> unmap -> memstat.
    static func roundTrip(_ check: Checker, length: UInt64, seed: UInt64) {
        let rounded = UserSpace.pageRounded(length)!
        let before = check.requireSuccess("memstat") { () throws(Errno) in try Syscall.memstat() }
        let address = check.requireSuccess("map read-write") { () throws(Errno) in
            try Syscall.map(length: length, protection: .readWrite)
        }
        check.require(
            address.isAligned(to: UserSpace.pageBytes) && UserSpace.contains(address)
                && address.raw + rounded <= UserSpace.end.raw, "map result page-aligned in user space")
        check.require(MemoryProbe.isZero(address, byteCount: rounded), "mapped memory reads as zero")
        MemoryProbe.fill(address, byteCount: rounded, seed: seed)
        check.require(MemoryProbe.holdsPattern(address, byteCount: rounded, seed: seed), "mapped memory keeps what was written")
        let mapped = check.requireSuccess("memstat") { () throws(Errno) in try Syscall.memstat() }
        check.require(
            mapped.pagesMapped == before.pagesMapped + rounded / UserSpace.pageBytes,
            "pages_mapped counts the page-rounded length")
        check.requireSuccess("unmap") { () throws(Errno) in try Syscall.unmap(address: address, length: length) }
        let unmapped = check.requireSuccess("memstat") { () throws(Errno) in try Syscall.memstat() }
        check.require(unmapped.pagesMapped == before.pagesMapped, "unmap returns every page")
        check.requireErrno(.invalidArgument, "second unmap of the same range") { () throws(Errno) in
            try Syscall.unmap(address: address, length: length)
        }
    }

    /// A read-only mapping reads as zero (writing it would kill the program: write_rodata does that).
    static func readOnly(_ check: inout Checker) {
        check.group("map read-only")
        let length = 2 * UserSpace.pageBytes
        let address = check.requireSuccess("map read-only") { () throws(Errno) in
            try Syscall.map(length: length, protection: .read)
        }
        check.require(MemoryProbe.isZero(address, byteCount: length), "read-only mapping reads as zero")
        check.requireSuccess("unmap read-only") { () throws(Errno) in try Syscall.unmap(address: address, length: length) }
    }

    /// R+X is allowed (only W+X is refused).
    static func readExecute(_ check: inout Checker) {
        check.group("map read-execute")
        let address = check.requireSuccess("map read-execute") { () throws(Errno) in
            try Syscall.map(length: UserSpace.pageBytes, protection: .readExecute)
        }
        check.require(MemoryProbe.isZero(address, byteCount: UserSpace.pageBytes), "read-execute mapping reads as zero")
        check.requireSuccess("unmap read-execute") { () throws(Errno) in
            try Syscall.unmap(address: address, length: UserSpace.pageBytes)
        }
    }

    /// Two live mappings never overlap and do not see each other's bytes; unmapping the middle page
    /// of a three-page mapping leaves its neighbours intact.
    static func independence(_ check: inout Checker) {
        check.group("mappings independent, partial unmap")
        let page = UserSpace.pageBytes
        let first = check.requireSuccess("map A") { () throws(Errno) in try Syscall.map(length: 3 * page, protection: .readWrite)
        }
        let second = check.requireSuccess("map B") { () throws(Errno) in try Syscall.map(length: 3 * page, protection: .readWrite)
        }
        check.require(first.raw + 3 * page <= second.raw || second.raw + 3 * page <= first.raw, "mappings do not overlap")
        MemoryProbe.fill(first, byteCount: 3 * page, seed: 11)
        check.require(MemoryProbe.isZero(second, byteCount: 3 * page), "a fresh mapping is not another's memory")
        let middle = VirtualAddress(first.raw + page)
        check.requireSuccess("unmap the middle page") { () throws(Errno) in try Syscall.unmap(address: middle, length: page) }
        check.require(
            MemoryProbe.holdsPattern(first, byteCount: page, seed: 11)
                && first.adding(2 * page)!.loadByte()
                    == UInt8(truncatingIfNeeded: MemoryProbe.pattern(seed: 11, offset: 2 * page)),
            "neighbours of an unmapped page keep their bytes")
        check.requireErrno(.invalidArgument, "unmap across a hole") { () throws(Errno) in
            try Syscall.unmap(address: first, length: 3 * page)
        }
        check.requireSuccess("unmap the rest") { () throws(Errno) in
            try Syscall.unmap(address: first, length: page)
            try Syscall.unmap(address: first.adding(2 * page)!, length: page)
            try Syscall.unmap(address: second, length: 3 * page)
        }
    }
}
