// protect: a page made read-only keeps its bytes and can be made writable again; bad arguments
// are refused and change nothing.
import MemoryCore

enum ProtectChecks {
    static func run(_ check: inout Checker) {
        let page = UserSpace.pageBytes
        check.group("protect read-only then writable")
        let address = check.requireSuccess("map 2 pages") { () throws(Errno) in
            try Syscall.map(length: 2 * page, protection: .readWrite)
        }
        MemoryProbe.fill(address, byteCount: 2 * page, seed: 31)
        check.requireSuccess("protect read-only") { () throws(Errno) in
            try Syscall.protect(address: address, length: page, protection: .read)
        }
        check.require(MemoryProbe.holdsPattern(address, byteCount: 2 * page, seed: 31), "read-only page keeps its bytes")
        check.requireSuccess("protect read-write") { () throws(Errno) in
            try Syscall.protect(address: address, length: page, protection: .readWrite)
        }
        MemoryProbe.fill(address, byteCount: page, seed: 32)
        check.require(MemoryProbe.holdsPattern(address, byteCount: page, seed: 32), "page writable again")

        check.group("protect bad arguments refused")
        check.requireErrno(.invalidArgument, "protect W+X") { () throws(Errno) in
            try Syscall.protect(address: address, length: page, protection: [.read, .write, .execute])
        }
        check.requireErrno(.invalidArgument, "protect zero length") { () throws(Errno) in
            try Syscall.protect(address: address, length: 0, protection: .read)
        }
        check.requireErrno(.invalidArgument, "protect unaligned address") { () throws(Errno) in
            try Syscall.protect(address: address.adding(1)!, length: page, protection: .read)
        }
        check.requireErrno(.invalidArgument, "protect past the mapping") { () throws(Errno) in
            try Syscall.protect(address: address, length: 3 * page, protection: .read)
        }
        check.requireErrno(.invalidArgument, "protect kernel address") { () throws(Errno) in
            try Syscall.protect(address: UserSpace.kernelAddress, length: page, protection: .read)
        }
        check.requireErrno(.invalidArgument, "protect wrap-around length") { () throws(Errno) in
            try Syscall.protect(address: address, length: UInt64.max - page + 2, protection: .read)
        }
        MemoryProbe.fill(address, byteCount: 2 * page, seed: 33)
        check.require(MemoryProbe.holdsPattern(address, byteCount: 2 * page, seed: 33), "refusals changed nothing")
        check.requireSuccess("unmap") { () throws(Errno) in try Syscall.unmap(address: address, length: 2 * page) }
    }
}
