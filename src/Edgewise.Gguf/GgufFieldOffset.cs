namespace Edgewise.Gguf;

/// <summary>The kinds of length, count and type fields a GGUF header holds (for mutation tests).</summary>
internal enum GgufField
{
    TensorCount,
    KvCount,
    KeyLength,
    ValueType,
    StringLength,
    ArrayElementType,
    ArrayLength,
    TensorNameLength,
    DimensionCount,
    Dimension,
    TensorType,
    TensorOffset,
}

/// <summary>Where <see cref="GgufWriter"/> put one header field: its kind, absolute offset and width in bytes (4 or 8).</summary>
internal readonly record struct GgufFieldOffset(GgufField Field, long Offset, int Size);
