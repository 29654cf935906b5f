using System.Globalization;
using System.Text.Json;

namespace Edgewise.Inference.Constraints;

/// <summary>
/// Conservative proof that no JSON value satisfies two compiled schemas at once, used to accept <c>oneOf</c>:
/// generating from one branch of a provably exclusive <c>oneOf</c> can never match a second branch.
/// </summary>
internal static class SchemaDisjointness
{
    /// <summary>True when <paramref name="a"/> and <paramref name="b"/> provably share no value.</summary>
    public static bool Disjoint(SchemaNode a, SchemaNode b, int depth)
    {
        if (depth <= 0 || a.Kind is SchemaKind.Any or SchemaKind.Pending || b.Kind is SchemaKind.Any or SchemaKind.Pending)
        {
            return false;
        }

        if (a.Kind == SchemaKind.AnyOf || b.Kind == SchemaKind.AnyOf)
        {
            var (many, other) = a.Kind == SchemaKind.AnyOf ? (a, b) : (b, a);
            foreach (var alternative in many.Alternatives)
            {
                if (!Disjoint(alternative, other, depth - 1))
                {
                    return false;
                }
            }

            return true;
        }

        if (a.Kind == SchemaKind.Literals || b.Kind == SchemaKind.Literals)
        {
            var (literals, other) = a.Kind == SchemaKind.Literals ? (a, b) : (b, a);
            foreach (var literal in literals.Literals)
            {
                if (MayContain(other, literal))
                {
                    return false;
                }
            }

            return true;
        }

        var classA = Class(a.Kind);
        var classB = Class(b.Kind);
        if (classA != classB)
        {
            return true;
        }

        return a.Kind switch
        {
            SchemaKind.String => a.MaxLength < b.MinLength || b.MaxLength < a.MinLength,
            SchemaKind.Number or SchemaKind.Integer => a.Maximum < b.Minimum || b.Maximum < a.Minimum,
            SchemaKind.Array => a.MaxItems < b.MinItems || b.MaxItems < a.MinItems,
            _ => ObjectsDisjoint(a, b, depth),
        };
    }

    private static int Class(SchemaKind kind) => kind switch
    {
        SchemaKind.Integer => (int)SchemaKind.Number,
        _ => (int)kind,
    };

    private static bool ObjectsDisjoint(SchemaNode a, SchemaNode b, int depth)
    {
        foreach (var pa in a.Properties)
        {
            if (!pa.Required)
            {
                continue;
            }

            var pb = Array.Find(b.Properties, p => p.Name == pa.Name);
            if (pb is null ? b.Closed : pb.Required && Disjoint(pa.Schema, pb.Schema, depth - 1))
            {
                return true;
            }
        }

        foreach (var pb in b.Properties)
        {
            if (pb.Required && b.Properties.Length > 0 && Array.Find(a.Properties, p => p.Name == pb.Name) is null && a.Closed)
            {
                return true;
            }
        }

        return false;
    }

    private static bool MayContain(SchemaNode node, byte[] literal)
    {
        using var document = JsonDocument.Parse(literal);
        var value = document.RootElement;
        return node.Kind switch
        {
            SchemaKind.Literals => Array.Exists(node.Literals, l => SameValue(l, literal)),
            SchemaKind.String => value.ValueKind == JsonValueKind.String,
            SchemaKind.Number => value.ValueKind == JsonValueKind.Number,
            SchemaKind.Integer => value.ValueKind == JsonValueKind.Number,
            SchemaKind.Object => value.ValueKind == JsonValueKind.Object,
            SchemaKind.Array => value.ValueKind == JsonValueKind.Array,
            _ => true,
        };
    }

    private static bool SameValue(byte[] x, byte[] y)
    {
        if (x.AsSpan().SequenceEqual(y))
        {
            return true;
        }

        // Numbers written differently (1 and 1.0) are the same JSON Schema value.
        return decimal.TryParse(System.Text.Encoding.UTF8.GetString(x), NumberStyles.Float, CultureInfo.InvariantCulture, out var a)
            && decimal.TryParse(System.Text.Encoding.UTF8.GetString(y), NumberStyles.Float, CultureInfo.InvariantCulture, out var b)
            && a == b;
    }
}
