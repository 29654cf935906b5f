namespace Edgewise.Inference.Constraints;

/// <summary>What a compiled schema node accepts.</summary>
internal enum SchemaKind
{
    /// <summary>Any JSON value.</summary>
    Any,

    /// <summary>One of several literal JSON texts (enum, const, boolean, null).</summary>
    Literals,

    /// <summary>A string.</summary>
    String,

    /// <summary>A number (no exponent).</summary>
    Number,

    /// <summary>An integer.</summary>
    Integer,

    /// <summary>An object.</summary>
    Object,

    /// <summary>An array.</summary>
    Array,

    /// <summary>Any of <see cref="SchemaNode.Alternatives"/>.</summary>
    AnyOf,

    /// <summary>A <c>$ref</c> target still being compiled.</summary>
    Pending,
}

/// <summary>
/// One node of a compiled schema. Nodes form a graph (recursive <c>$ref</c>s point back up) and are immutable once
/// the compiler has filled them in, so a compiled constraint can be shared by concurrent requests.
/// </summary>
internal sealed class SchemaNode
{
    /// <summary>The kind.</summary>
    public SchemaKind Kind { get; set; }

    /// <summary>Literal alternatives as canonical JSON bytes (<see cref="SchemaKind.Literals"/>).</summary>
    public byte[][] Literals { get; set; } = [];

    /// <summary>Alternatives (<see cref="SchemaKind.AnyOf"/>).</summary>
    public SchemaNode[] Alternatives { get; set; } = [];

    /// <summary>Least code points of a string.</summary>
    public int MinLength { get; set; }

    /// <summary>Most code points of a string (int.MaxValue: unbounded).</summary>
    public int MaxLength { get; set; } = int.MaxValue;

    /// <summary>The pattern (or format) a string must match in full; null for none.</summary>
    public Pattern? Pattern { get; set; }

    /// <summary>The schema's <c>pattern</c> as written (a search, not a full match), for checking finished output; null for none.</summary>
    public string? PatternSource { get; set; }

    /// <summary>The schema's <c>format</c> (date, time, date-time or uuid), for checking finished output; null for none.</summary>
    public string? Format { get; set; }

    /// <summary>Inclusive lower bound of a number (null: none).</summary>
    public decimal? Minimum { get; set; }

    /// <summary>Inclusive upper bound of a number (null: none).</summary>
    public decimal? Maximum { get; set; }

    /// <summary>Declared properties in schema order (<see cref="SchemaKind.Object"/>).</summary>
    public ObjectProperty[] Properties { get; set; } = [];

    /// <summary>True when the schema said <c>additionalProperties: false</c> (used to prove <c>oneOf</c> branches disjoint).</summary>
    public bool Closed { get; set; }

    /// <summary>Schema of the values of free keys for objects that declare no properties; null: none allowed.</summary>
    public SchemaNode? AdditionalProperties { get; set; }

    /// <summary>Item schema (<see cref="SchemaKind.Array"/>).</summary>
    public SchemaNode? Items { get; set; }

    /// <summary>Least items.</summary>
    public int MinItems { get; set; }

    /// <summary>Most items (int.MaxValue: unbounded).</summary>
    public int MaxItems { get; set; } = int.MaxValue;
}

/// <summary>A declared object property.</summary>
/// <param name="Name">The property name.</param>
/// <param name="Key">The key as JSON text, quotes included (UTF-8).</param>
/// <param name="Schema">The value schema.</param>
/// <param name="Required">True when the property must appear.</param>
internal sealed record ObjectProperty(string Name, byte[] Key, SchemaNode Schema, bool Required);
