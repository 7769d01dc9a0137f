// commit_hog (memory-hungry): maps 4 MiB read-write chunks, writing every page of each, until
// the kernel refuses one with ENOMEM (the system's commit limit, or the process quota: the kernel
// logs a `vm oom` line). Every page it was given must hold what was written (a fault on committed
// memory never fails); then it gives everything back and maps once more. Exit: 0; no ENOMEM
// before 64 GiB 1; another errno 2; a page that lost its pattern 3; the map after freeing
// refused 4.
// Expected: exit=0.
import KernelLog
import MemoryCore

let chunkBytes: UInt64 = 4 << 20
let maximumChunks = 16384

@_cdecl("user_main")
func userMain() -> Int32 { hog(name: "commit_hog") }

func hog(name: StaticString) -> Int32 {
    var chunks: [VirtualAddress] = []
    chunks.reserveCapacity(maximumChunks)  // no heap growth once memory runs out
    var refusal: Errno? = nil
    while chunks.count < maximumChunks {
        do throws(Errno) {
            let chunk = try Syscall.map(length: chunkBytes, protection: .readWrite)
            var offset: UInt64 = 0
            while offset < chunkBytes {
                chunk.adding(offset)!.storeByte(UInt8(truncatingIfNeeded: chunks.count) | 1)
                offset += UserSpace.pageBytes
            }
            chunks.append(chunk)
        } catch {
            refusal = error
            break
        }
    }
    guard let refusal else { return 1 }
    guard refusal == .outOfMemory else { return 2 }
    let stats = try? Syscall.memstat()
    Console.line(name).word("refused").text("errno", refusal.name).dec("chunks", UInt64(chunks.count))
        .dec("mib", UInt64(chunks.count) * (chunkBytes >> 20)).dec("committed", stats?.committedPages ?? 0)
        .dec("resident", stats?.residentPages ?? 0).dec("commit_limit", stats?.commitLimitSystem ?? 0)
        .dec("committed_system", stats?.committedSystem ?? 0).end()
    for (index, chunk) in chunks.enumerated() {
        var offset: UInt64 = 0
        while offset < chunkBytes {
            guard chunk.adding(offset)!.loadByteOpaque() == UInt8(truncatingIfNeeded: index) | 1 else { return 3 }
            offset += UserSpace.pageBytes
        }
        guard (try? Syscall.unmap(address: chunk, length: chunkBytes)) != nil else { return 3 }
    }
    guard let again = try? Syscall.map(length: chunkBytes, protection: .readWrite) else { return 4 }
    again.storeByte(1)
    Console.line(name).word("ok").end()
    return 0
}
