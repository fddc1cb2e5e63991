extension JSONValue {
    /// Compact UTF-8 serialization, members in their stored order.
    public var serialized: [UInt8] {
        var writer = JSONWriter()
        writer.value(self)
        return writer.bytes
    }

    /// Compact serialization as a string.
    public var serializedString: String { String(decoding: serialized, as: UTF8.self) }
}
