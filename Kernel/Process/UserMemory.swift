// Reading and writing user memory from the kernel. The kernel never dereferences a user pointer:
// it validates the range (PageTables' validateUserRange), then walks the process's page tables
// page by page and copies through the identity map. An unmapped page, or one without the needed
// permission, is -EFAULT, never a kernel page fault.
import MemoryCore
import PageTables

enum UserMemory {
    /// Calls `body` with each chunk of user memory in [address, address + length), in order.
    static func read(_ process: Process, address: UInt64, length: UInt64,
                     _ body: (UnsafeRawBufferPointer) -> Void) -> Errno? {
        visit(process, address: address, length: length, needsWrite: false) { body(UnsafeRawBufferPointer($0)) }
    }

    /// Copies `source` to user memory at `address`.
    static func write(_ process: Process, address: UInt64, from source: UnsafeRawBufferPointer) -> Errno? {
        var offset = 0
        return visit(process, address: address, length: UInt64(source.count), needsWrite: true) { chunk in
            chunk.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[offset..<(offset + chunk.count)]))
            offset += chunk.count
        }
    }

    private static func visit(_ process: Process, address: UInt64, length: UInt64, needsWrite: Bool,
                              _ body: (UnsafeMutableRawBufferPointer) -> Void) -> Errno? {
        if length == 0 { return nil }
        guard (try? validateUserRange(address: address, length: length, alignment: .roundOutward)) != nil else { return .EFAULT }
        // First check every page, so a fault half-way changes nothing.
        var cursor = address
        let end = address + length
        while cursor < end {
            guard let translation = process.space.translate(VirtualAddress(cursor)),
                  translation.flags.contains(.user), !needsWrite || translation.flags.contains(.writable) else { return .EFAULT }
            cursor = alignDown(cursor, to: frameSize) + frameSize
        }
        cursor = address
        while cursor < end {
            let chunkEnd = min(end, alignDown(cursor, to: frameSize) + frameSize)
            let physical = process.space.translate(VirtualAddress(cursor))!.physical
            body(UnsafeMutableRawBufferPointer(start: physicalPointer(physical), count: Int(chunkEnd - cursor)))
            cursor = chunkEnd
        }
        return nil
    }
}
