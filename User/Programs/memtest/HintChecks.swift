// map hints (MAP_FIXED_NOREPLACE semantics): a free page-aligned user range is used exactly; a
// range that is mapped, or not wholly in user space, is refused with EEXIST (never relocated).
import MemoryCore

enum HintChecks {
    static func run(_ check: inout Checker) {
        let page = UserSpace.pageBytes
        check.group("map hint used exactly")
        let probe = check.requireSuccess("map 8 pages") { () throws(Errno) in
            try Syscall.map(length: 8 * page, protection: .readWrite)
        }
        check.requireSuccess("unmap 8 pages") { () throws(Errno) in try Syscall.unmap(address: probe, length: 8 * page) }
        let hinted = check.requireSuccess("map at the freed range") { () throws(Errno) in
            try Syscall.map(hint: probe, length: 8 * page, protection: .readWrite)
        }
        check.require(hinted == probe, "hinted map returns the hint")
        check.require(MemoryProbe.isZero(hinted, byteCount: 8 * page), "hinted map is zeroed")

        check.group("map hint on a mapped range refused (EEXIST)")
        check.requireErrno(.exists, "hint at a mapped page") { () throws(Errno) in
            _ = try Syscall.map(hint: hinted, length: page, protection: .readWrite)
        }
        check.requireErrno(.exists, "hint overlapping the end of a mapping") { () throws(Errno) in
            _ = try Syscall.map(hint: hinted.adding(4 * page)!, length: 8 * page, protection: .readWrite)
        }
        check.requireSuccess("unmap hinted") { () throws(Errno) in try Syscall.unmap(address: hinted, length: 8 * page) }

        check.group("map hint outside user space refused (EEXIST)")
        check.requireErrno(.exists, "hint at kernel address 0x100000") { () throws(Errno) in
            _ = try Syscall.map(hint: UserSpace.kernelAddress, length: page, protection: .readWrite)
        }
        check.requireErrno(.exists, "hint range crossing the end of user space") { () throws(Errno) in
            _ = try Syscall.map(hint: VirtualAddress(UserSpace.end.raw - page), length: 2 * page, protection: .readWrite)
        }
        check.requireErrno(.exists, "hint at the end of user space") { () throws(Errno) in
            _ = try Syscall.map(hint: UserSpace.end, length: page, protection: .readWrite)
        }
        check.requireErrno(.exists, "hint over the program image") { () throws(Errno) in
            _ = try Syscall.map(hint: UserSpace.imageBase, length: page, protection: .readWrite)
        }
    }
}
