using System.Text.Json;

namespace Edgewise.Inference.Constraints;

/// <summary>Checks an enum/const value against the other keywords of its schema, so only values that satisfy them are generated.</summary>
internal static class SchemaLiterals
{
    /// <summary>True when <paramref name="value"/> satisfies <paramref name="node"/> (objects and arrays: by kind only).</summary>
    public static bool Matches(SchemaNode node, JsonElement value)
    {
        switch (node.Kind)
        {
            case SchemaKind.AnyOf:
                foreach (var alternative in node.Alternatives)
                {
                    if (Matches(alternative, value))
                    {
                        return true;
                    }
                }

                return false;
            case SchemaKind.Literals:
                var text = SchemaCompiler.Canonical(value);
                foreach (var literal in node.Literals)
                {
                    if (literal.AsSpan().SequenceEqual(text))
                    {
                        return true;
                    }
                }

                return false;
            case SchemaKind.String:
                if (value.ValueKind != JsonValueKind.String)
                {
                    return false;
                }

                var s = value.GetString()!;
                var length = CodePoints(s);
                return length >= node.MinLength && length <= node.MaxLength && (node.Pattern is null || node.Pattern.Matches(s));
            case SchemaKind.Number or SchemaKind.Integer:
                return value.ValueKind == JsonValueKind.Number && value.TryGetDecimal(out var d)
                    && (node.Kind == SchemaKind.Number || decimal.Truncate(d) == d)
                    && (node.Minimum is null || d >= node.Minimum) && (node.Maximum is null || d <= node.Maximum);
            case SchemaKind.Object:
                return value.ValueKind == JsonValueKind.Object;
            case SchemaKind.Array:
                return value.ValueKind == JsonValueKind.Array;
            default:
                return true;
        }
    }

    private static int CodePoints(string s)
    {
        var count = 0;
        foreach (var _ in s.EnumerateRunes())
        {
            count++;
        }

        return count;
    }
}
