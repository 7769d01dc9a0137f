// commit_hog (memory-hungry): maps 4 MiB read-write chunks, writing every page of each, until
// the kernel refuses one with ENOMEM (the system's commit limit, or the process quota: the kernel
// logs a `vm oom` line). Every page it was given must hold what was written (a fault on committed
// memory never fails); then it gives everything back and maps once more. Run next to another hog
// (Tests/qemu/run-all.sh: commit_brk_hog at 32M), the commit it gave back may go to that hog
// first, so an ENOMEM there is the system's limit, not a leak: it yields and asks again until
// the other hog has given its memory back (at most `retryLimit` times; measured before this
// rule: the single attempt was refused in 9 of 14 boots on a 2-core host). Exit: 0; no ENOMEM
// before 64 GiB 1; another errno 2; a page that lost its pattern 3; the map after freeing
// refused `retryLimit` times, or its own committed pages not back, 4.
// Expected: exit=0.
import KernelLog
import MemoryCore

let chunkBytes: UInt64 = 4 << 20
let maximumChunks = 16384
/// Yields (with a map attempt after each) before the map after freeing counts as refused.
let retryLimit = 100_000

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
    // Its chunks' commit is back: fewer committed pages than at the refusal (when it had any).
    guard let freed = try? Syscall.memstat(), chunks.isEmpty || freed.committedPages < (stats?.committedPages ?? 0)
    else { return 4 }
    var retries = 0
    var again: VirtualAddress? = nil
    while again == nil {
        do throws(Errno) {
            again = try Syscall.map(length: chunkBytes, protection: .readWrite)
        } catch {
            guard error == .outOfMemory else { return 2 }
            guard retries < retryLimit else { return 4 }
            retries += 1
            Syscall.yield()
        }
    }
    again.unsafelyUnwrapped.storeByte(1)
    Console.line(name).word("ok").dec("retries", UInt64(retries)).end()
    return 0
}
