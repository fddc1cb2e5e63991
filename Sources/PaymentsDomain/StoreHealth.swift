/// Whether the store can take writes right now (for readiness checks).
public protocol StoreHealth {
    /// Performs one small real write; throws what the store said when it cannot.
    func checkWritable(by checker: String, at time: Int64) throws
}
