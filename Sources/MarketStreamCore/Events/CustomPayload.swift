/// The output of a data-type handler: named exact fields in a fixed order (`spread`, `mid`, …).
public struct CustomPayload: Sendable, Hashable, CustomStringConvertible {
    /// The fields in output order.
    public var fields: [(name: String, value: ExactDecimal)] {
        get { zip(names, values).map { ($0, $1) } }
        set {
            names = newValue.map(\.name)
            values = newValue.map(\.value)
        }
    }

    /// The field names in output order.
    public private(set) var names: [String]
    /// The field values, parallel to ``names``.
    public private(set) var values: [ExactDecimal]

    /// Creates a payload from named fields.
    public init(_ fields: [(name: String, value: ExactDecimal)]) {
        names = fields.map(\.name)
        values = fields.map(\.value)
    }

    /// Creates a payload from parallel arrays of names and values (no intermediate tuples).
    /// - Precondition: `names.count == values.count`.
    public init(names: [String], values: [ExactDecimal]) {
        precondition(names.count == values.count, "a CustomPayload needs one value per name")
        self.names = names
        self.values = values
    }

    /// The value of the field called `name`.
    public subscript(name: String) -> ExactDecimal? {
        names.firstIndex(of: name).map { values[$0] }
    }

    public var description: String { zip(names, values).map { "\($0)=\($1)" }.joined(separator: " ") }
}
