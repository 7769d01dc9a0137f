// `ceil` for Set/Dictionary capacity math. Written in Swift so it uses the x87 calling convention
// of its callers (user code is built without SSE, and clang refuses a C `ceil` without SSE).

@_cdecl("ceil")
func swiftmmCeil(_ x: Double) -> Double {
    // |x| >= 2^52 (or inf, nan): already whole, and Int64(x) could overflow.
    if !(x.magnitude < 4_503_599_627_370_496.0) { return x }
    let truncated = Double(Int64(x))
    return truncated < x ? truncated + 1 : truncated
}
