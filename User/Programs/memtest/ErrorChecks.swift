// Bad arguments passed on purpose; each must get exactly the errno docs/syscalls.md names.
import MemoryCore

enum ErrorChecks {
    static func run(_ check: inout Checker) {
        let page = UserSpace.pageBytes
        check.group("errors: setup")
        let address = check.requireSuccess("map 1 page") { () throws(Errno) in
            try Syscall.map(length: page, protection: .readWrite)
        }
        let freed = check.requireSuccess("map and unmap 1 page") { () throws(Errno) in
            let freed = try Syscall.map(length: page, protection: .readWrite)
            try Syscall.unmap(address: freed, length: page)
            return freed
        }

        check.group("errors: zero length (EINVAL)")
        check.requireErrno(.invalidArgument, "map length 0") { () throws(Errno) in
            _ = try Syscall.map(length: 0, protection: .readWrite)
        }
        check.requireErrno(.invalidArgument, "unmap length 0") { () throws(Errno) in
            try Syscall.unmap(address: address, length: 0)
        }

        check.group("errors: unaligned address (EINVAL)")
        check.requireErrno(.invalidArgument, "unmap unaligned") { () throws(Errno) in
            try Syscall.unmap(address: address.adding(8)!, length: page)
        }
        check.requireErrno(.invalidArgument, "map unaligned hint") { () throws(Errno) in
            _ = try Syscall.map(hint: freed.adding(8)!, length: page, protection: .readWrite)
        }

        check.group("errors: kernel address 0x100000")
        check.requireErrno(.badAddress, "write from kernel memory (EFAULT)") { () throws(Errno) in
            _ = try Syscall.write(address: UserSpace.kernelAddress, length: 10)
        }
        check.requireErrno(.badAddress, "memstat into kernel memory (EFAULT)") { () throws(Errno) in
            try Syscall.memstat(into: UserSpace.kernelAddress)
        }
        check.requireErrno(.invalidArgument, "unmap kernel memory (EINVAL)") { () throws(Errno) in
            try Syscall.unmap(address: UserSpace.kernelAddress, length: page)
        }

        check.group("errors: past user space")
        check.requireErrno(.badAddress, "write crossing the end of user space (EFAULT)") { () throws(Errno) in
            _ = try Syscall.write(address: VirtualAddress(UserSpace.end.raw - 5), length: 10)
        }
        check.requireErrno(.badAddress, "write from a non-canonical address (EFAULT)") { () throws(Errno) in
            _ = try Syscall.write(address: VirtualAddress(0x0000_8000_0000_0000), length: 10)
        }
        check.requireErrno(.badAddress, "memstat crossing the end of user space (EFAULT)") { () throws(Errno) in
            try Syscall.memstat(into: VirtualAddress(UserSpace.end.raw - 8))
        }
        check.requireErrno(.invalidArgument, "unmap crossing the end of user space (EINVAL)") { () throws(Errno) in
            try Syscall.unmap(address: VirtualAddress(UserSpace.end.raw - page), length: 2 * page)
        }

        check.group("errors: wrap-around length (EINVAL)")
        check.requireErrno(.invalidArgument, "map UInt64.max bytes") { () throws(Errno) in
            _ = try Syscall.map(length: UInt64.max, protection: .readWrite)
        }
        check.requireErrno(.invalidArgument, "unmap with address + length wrapping") { () throws(Errno) in
            try Syscall.unmap(address: address, length: UInt64.max - page + 2)
        }
        check.requireErrno(.invalidArgument, "write UInt64.max bytes") { () throws(Errno) in
            _ = try Syscall.write(address: address, length: UInt64.max)
        }

        check.group("errors: W+X refused (EINVAL)")
        check.requireErrno(.invalidArgument, "map W+X") { () throws(Errno) in
            _ = try Syscall.map(length: page, protection: [.write, .execute])
        }
        check.requireErrno(.invalidArgument, "map R+W+X") { () throws(Errno) in
            _ = try Syscall.map(length: page, protection: [.read, .write, .execute])
        }

        check.group("errors: unmap of unmapped memory (EINVAL)")
        check.requireErrno(.invalidArgument, "unmap a freed page") { () throws(Errno) in
            try Syscall.unmap(address: freed, length: page)
        }
        check.requireErrno(.invalidArgument, "unmap the program's own text") { () throws(Errno) in
            try Syscall.unmap(address: UserSpace.imageBase, length: page)
        }
        check.requireErrno(.invalidArgument, "unmap the stack") { () throws(Errno) in
            try Syscall.unmap(address: VirtualAddress(UserSpace.stackEnd.raw - page), length: page)
        }

        check.group("errors: write limits")
        check.requireErrno(.invalidArgument, "write 4097 bytes (EINVAL)") { () throws(Errno) in
            _ = try Syscall.write(address: address, length: 4097)
        }
        check.requireErrno(.badAddress, "write from a freed page (EFAULT)") { () throws(Errno) in
            _ = try Syscall.write(address: freed, length: 10)
        }

        check.group("errors: unknown system call (ENOSYS)")
        check.require(SyscallResult.errno(of: SyscallTrap.invoke(63)) == .notImplemented, "syscall 63")
        check.require(SyscallResult.errno(of: SyscallTrap.invoke(UInt64.max)) == .notImplemented, "syscall UInt64.max")
        check.requireSuccess("unmap setup page") { () throws(Errno) in try Syscall.unmap(address: address, length: page) }
    }
}
