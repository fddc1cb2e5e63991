/// A position in a list ordered newest first: the last row's timestamp and sequence number
/// (the keyset a next page continues after). Its text form is `timestamp.sequence`.
public struct ListCursor: Sendable, Equatable, CustomStringConvertible {
    public var timestamp: Int64
    public var sequence: Int64

    /// A cursor at this position.
    public init(timestamp: Int64, sequence: Int64) {
        self.timestamp = timestamp
        self.sequence = sequence
    }

    /// The cursor after `payment` in the payment list (latest state change first).
    public init(after payment: Payment) {
        self.init(timestamp: payment.updatedAt, sequence: payment.sequence)
    }

    /// The cursor after `order` in the order list (newest first).
    public init(after order: Order) {
        self.init(timestamp: order.createdAt, sequence: order.sequence)
    }

    /// Parses `timestamp.sequence`.
    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ CardDetails.isDigits(String($0)) && $0.count <= 18 }),
              let timestamp = Int64(parts[0]), let sequence = Int64(parts[1]) else { return nil }
        self.init(timestamp: timestamp, sequence: sequence)
    }

    public var description: String { "\(timestamp).\(sequence)" }
}
