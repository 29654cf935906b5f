namespace Edgewise.Inference.Constraints;

/// <summary>
/// How a model family writes tool calls. Well-known values: <see cref="Hermes"/> (Qwen 2.5/3, Hermes:
/// <c>&lt;tool_call&gt;\n{"name": ..., "arguments": {...}}\n&lt;/tool_call&gt;</c>), <see cref="Llama3Json"/> (Llama 3.x:
/// <c>{"name": ..., "parameters": {...}}</c>) and <see cref="Json"/> (the generic fallback:
/// <c>{"name": ..., "arguments": {...}}</c>).
/// </summary>
public readonly struct ToolCallFormat : IEquatable<ToolCallFormat>
{
    /// <summary>Creates a format from its name (one of the well-known values).</summary>
    /// <exception cref="ArgumentException">Not a known format.</exception>
    public ToolCallFormat(string value)
    {
        Value = value is "hermes" or "llama3-json" or "json" ? value : throw new ArgumentException("Unknown tool-call format.", nameof(value));
    }

    /// <summary>Qwen/Hermes: each call wrapped in <c>&lt;tool_call&gt;</c> tags, arguments under <c>arguments</c>.</summary>
    public static ToolCallFormat Hermes { get; } = new("hermes");

    /// <summary>Llama 3.x JSON tool calling: one bare object, arguments under <c>parameters</c>.</summary>
    public static ToolCallFormat Llama3Json { get; } = new("llama3-json");

    /// <summary>Generic JSON: one bare object, arguments under <c>arguments</c>.</summary>
    public static ToolCallFormat Json { get; } = new("json");

    /// <summary>The format's name.</summary>
    public string Value { get; }

    /// <summary>The key that holds the arguments.</summary>
    internal string ArgumentsKey => Value == "llama3-json" ? "parameters" : "arguments";

    /// <summary>True when calls are wrapped in tags.</summary>
    internal bool IsTagged => Value == "hermes";

    /// <summary>Equality.</summary>
    public static bool operator ==(ToolCallFormat left, ToolCallFormat right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    public static bool operator !=(ToolCallFormat left, ToolCallFormat right) => !left.Equals(right);

    /// <inheritdoc/>
    public bool Equals(ToolCallFormat other) => string.Equals(Value, other.Value, StringComparison.Ordinal);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is ToolCallFormat other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => Value is null ? 0 : StringComparer.Ordinal.GetHashCode(Value);

    /// <inheritdoc/>
    public override string ToString() => Value ?? string.Empty;
}
