// Keeping curves small without losing their extremes: a series of (time, value) points is cut
// into buckets of consecutive points and each bucket keeps its minimum, its maximum and its last
// point, in time order. A peak is never smoothed away.

enum Downsample {
    /// Indices to keep from `count` points whose values `value(i)` gives; all when count <= limit.
    static func indices(count: Int, limit: Int, value: (Int) -> Int) -> [Int] {
        guard count > limit, limit >= 3 else { return Array(0 ..< count) }
        let buckets = limit / 3
        var kept: [Int] = []
        kept.reserveCapacity(buckets * 3)
        for bucket in 0 ..< buckets {
            let start = bucket * count / buckets, end = (bucket + 1) * count / buckets
            guard start < end else { continue }
            var low = start, high = start
            for index in start ..< end {
                if value(index) < value(low) { low = index }
                if value(index) > value(high) { high = index }
            }
            for index in Set([low, high, end - 1]).sorted() { kept.append(index) }
        }
        return kept
    }
}
