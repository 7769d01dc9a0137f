// syscall_cost: what a map + unmap round trip costs, measured from ring 3 with rdtsc.
// 2000 rounds of map(4 KiB, read-write) + touch + unmap; prints the median and minimum cycles per
// round trip (and, for contrast, a bare write of zero bytes: the syscall entry/exit alone).
// Under QEMU's TCG the counter is virtual: the figures compare, they do not time hardware.
// Expected: exit=0.

import KernelLog

@_extern(c, "user_read_tsc") func user_read_tsc() -> UInt64

let rounds = 2000

@_cdecl("user_main")
func userMain() -> Int32 {
    var samples = InlineArray<2000, UInt64>(repeating: 0)
    for index in 0 ..< rounds {
        let start = user_read_tsc()
        guard let page = try? Syscall.map(length: 4096, protection: .readWrite) else { return 1 }
        page.storeByte(UInt8(truncatingIfNeeded: index))  // touch it: the kernel maps eagerly, this proves it
        guard (try? Syscall.unmap(address: page, length: 4096)) != nil else { return 2 }
        samples[index] = user_read_tsc() &- start
    }
    let mapUnmap = Statistics(&samples)
    for index in 0 ..< rounds {
        let start = user_read_tsc()
        guard (try? Syscall.write(UnsafeRawBufferPointer(start: nil, count: 0))) != nil else { return 3 }
        samples[index] = user_read_tsc() &- start
    }
    let bare = Statistics(&samples)
    Console.line("syscall_cost").dec("rounds", UInt64(rounds))
        .dec("map_unmap_median_cycles", mapUnmap.median).dec("map_unmap_min_cycles", mapUnmap.minimum)
        .dec("empty_write_median_cycles", bare.median).dec("empty_write_min_cycles", bare.minimum).end()
    return 0
}

/// Median and minimum of the samples (sorted in place: insertion sort, no heap).
struct Statistics {
    var median: UInt64 = 0
    var minimum: UInt64 = 0

    init(_ samples: inout InlineArray<2000, UInt64>) {
        for i in 1 ..< rounds {
            let value = samples[i]
            var j = i
            while j > 0 && samples[j - 1] > value {
                samples[j] = samples[j - 1]
                j -= 1
            }
            samples[j] = value
        }
        median = samples[rounds / 2]
        minimum = samples[0]
    }
}
