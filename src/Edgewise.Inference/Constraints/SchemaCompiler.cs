using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Edgewise.Inference.Constraints;

/// <summary>
/// Compiles a JSON Schema (draft 2020-12 subset) into <see cref="SchemaNode"/>s. Every keyword is either
/// enforced, a known annotation, or refused with <see cref="UnsupportedSchemaFeatureException"/>.
/// </summary>
internal sealed class SchemaCompiler
{
    /// <summary>Most integer digits a generated number has.</summary>
    public const int MaxIntegerDigits = 15;

    /// <summary>Most fraction digits a generated number has.</summary>
    public const int MaxFractionDigits = 6;

    private static readonly HashSet<string> s_annotations = new(StringComparer.Ordinal)
    {
        "title", "description", "default", "examples", "$schema", "$id", "$comment", "deprecated", "readOnly", "writeOnly",
        "$defs", "definitions", "contentMediaType", "contentEncoding", "strict", "name",
    };

    private static readonly JsonWriterOptions s_writer = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false };

    private readonly JsonElement _root;
    private readonly Dictionary<string, SchemaNode> _refs = new(StringComparer.Ordinal);

    private SchemaCompiler(JsonElement root) => _root = root;

    /// <summary>Compiles <paramref name="schema"/>.</summary>
    /// <exception cref="UnsupportedSchemaFeatureException">A keyword or value cannot be enforced.</exception>
    public static SchemaNode Compile(JsonElement schema) => new SchemaCompiler(schema).Node(schema);

    /// <summary>The canonical (compact, relaxed-escaping) UTF-8 JSON text of <paramref name="value"/>.</summary>
    public static byte[] Canonical(JsonElement value)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, s_writer))
        {
            value.WriteTo(writer);
        }

        return stream.ToArray();
    }

    /// <summary>The JSON text of string <paramref name="value"/>, quotes included.</summary>
    public static byte[] QuotedString(string value)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, s_writer))
        {
            writer.WriteStringValue(value);
        }

        return stream.ToArray();
    }

    private SchemaNode Node(JsonElement schema)
    {
        if (schema.ValueKind == JsonValueKind.True)
        {
            return new SchemaNode { Kind = SchemaKind.Any };
        }

        if (schema.ValueKind != JsonValueKind.Object)
        {
            throw new UnsupportedSchemaFeatureException(schema.ValueKind == JsonValueKind.False ? "false schema" : "non-object schema");
        }

        foreach (var property in schema.EnumerateObject())
        {
            if (!s_annotations.Contains(property.Name) && !IsKnownKeyword(property.Name))
            {
                throw new UnsupportedSchemaFeatureException(property.Name);
            }
        }

        if (schema.TryGetProperty("$ref", out var reference))
        {
            return Reference(schema, reference);
        }

        if (schema.TryGetProperty("allOf", out var allOf))
        {
            return AllOf(schema, allOf);
        }

        if (schema.TryGetProperty("anyOf", out var anyOf))
        {
            return Alternatives(schema, anyOf, "anyOf", disjoint: false);
        }

        if (schema.TryGetProperty("oneOf", out var oneOf))
        {
            return Alternatives(schema, oneOf, "oneOf", disjoint: true);
        }

        var types = Types(schema);
        if (schema.TryGetProperty("const", out var constant))
        {
            return LiteralNode(schema, types, [constant]);
        }

        if (schema.TryGetProperty("enum", out var values))
        {
            if (values.ValueKind != JsonValueKind.Array)
            {
                throw new UnsupportedSchemaFeatureException("enum (not an array)");
            }

            return LiteralNode(schema, types, [.. values.EnumerateArray()]);
        }

        if (types.Count == 0)
        {
            types = InferTypes(schema);
        }

        if (types.Count == 1)
        {
            return Typed(schema, types[0]);
        }

        var alternatives = new SchemaNode[types.Count];
        for (var i = 0; i < types.Count; i++)
        {
            alternatives[i] = Typed(schema, types[i]);
        }

        return new SchemaNode { Kind = SchemaKind.AnyOf, Alternatives = alternatives };
    }

    private static bool IsKnownKeyword(string name) => name switch
    {
        "type" or "enum" or "const" or "properties" or "required" or "additionalProperties" or "items" or "minItems"
            or "maxItems" or "uniqueItems" or "minLength" or "maxLength" or "pattern" or "format" or "minimum" or "maximum"
            or "exclusiveMinimum" or "exclusiveMaximum" or "anyOf" or "oneOf" or "allOf" or "$ref" => true,
        _ => false,
    };

    private SchemaNode Reference(JsonElement schema, JsonElement reference)
    {
        foreach (var property in schema.EnumerateObject())
        {
            if (property.Name != "$ref" && !s_annotations.Contains(property.Name))
            {
                throw new UnsupportedSchemaFeatureException("$ref with sibling keywords");
            }
        }

        var pointer = reference.ValueKind == JsonValueKind.String ? reference.GetString()! : throw new UnsupportedSchemaFeatureException("$ref (not a string)");
        if (_refs.TryGetValue(pointer, out var known))
        {
            return known;
        }

        var target = Resolve(pointer);
        var node = new SchemaNode { Kind = SchemaKind.Pending };
        _refs[pointer] = node;
        var compiled = Node(target);
        if (compiled.Kind == SchemaKind.Pending)
        {
            throw new UnsupportedSchemaFeatureException("$ref cycle without structure");
        }

        CopyInto(compiled, node);
        return node;
    }

    private static void CopyInto(SchemaNode from, SchemaNode to)
    {
        to.Kind = from.Kind;
        to.Literals = from.Literals;
        to.Alternatives = from.Alternatives;
        to.MinLength = from.MinLength;
        to.MaxLength = from.MaxLength;
        to.Pattern = from.Pattern;
        to.PatternSource = from.PatternSource;
        to.Format = from.Format;
        to.Minimum = from.Minimum;
        to.Maximum = from.Maximum;
        to.Properties = from.Properties;
        to.Closed = from.Closed;
        to.AdditionalProperties = from.AdditionalProperties;
        to.Items = from.Items;
        to.MinItems = from.MinItems;
        to.MaxItems = from.MaxItems;
    }

    private JsonElement Resolve(string pointer)
    {
        if (!pointer.StartsWith('#'))
        {
            throw new UnsupportedSchemaFeatureException("$ref (remote or anchor)");
        }

        var current = _root;
        var path = pointer.AsSpan(1);
        if (path.Length == 0)
        {
            return current;
        }

        if (path[0] != '/')
        {
            throw new UnsupportedSchemaFeatureException("$ref (anchor)");
        }

        foreach (var raw in pointer[2..].Split('/'))
        {
            var segment = Uri.UnescapeDataString(raw).Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            if (current.ValueKind == JsonValueKind.Object && current.TryGetProperty(segment, out var next))
            {
                current = next;
            }
            else if (current.ValueKind == JsonValueKind.Array && int.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index < current.GetArrayLength())
            {
                current = current[index];
            }
            else
            {
                throw new UnsupportedSchemaFeatureException("$ref (unresolvable)");
            }
        }

        return current;
    }

    private SchemaNode AllOf(JsonElement schema, JsonElement allOf)
    {
        if (allOf.ValueKind != JsonValueKind.Array || allOf.GetArrayLength() != 1 || HasNonAnnotationSiblings(schema, "allOf"))
        {
            throw new UnsupportedSchemaFeatureException("allOf (more than one schema)");
        }

        return Node(allOf[0]);
    }

    private SchemaNode Alternatives(JsonElement schema, JsonElement list, string keyword, bool disjoint)
    {
        if (list.ValueKind != JsonValueKind.Array || list.GetArrayLength() == 0)
        {
            throw new UnsupportedSchemaFeatureException(keyword + " (empty)");
        }

        if (HasNonAnnotationSiblings(schema, keyword))
        {
            throw new UnsupportedSchemaFeatureException(keyword + " with sibling keywords");
        }

        var alternatives = new SchemaNode[list.GetArrayLength()];
        var i = 0;
        foreach (var item in list.EnumerateArray())
        {
            alternatives[i++] = Node(item);
        }

        if (disjoint)
        {
            for (var a = 0; a < alternatives.Length; a++)
            {
                for (var b = a + 1; b < alternatives.Length; b++)
                {
                    if (!SchemaDisjointness.Disjoint(alternatives[a], alternatives[b], 8))
                    {
                        throw new UnsupportedSchemaFeatureException("oneOf (branches not provably exclusive)");
                    }
                }
            }
        }

        return alternatives.Length == 1 ? alternatives[0] : new SchemaNode { Kind = SchemaKind.AnyOf, Alternatives = alternatives };
    }

    private static bool HasNonAnnotationSiblings(JsonElement schema, string keyword)
    {
        foreach (var property in schema.EnumerateObject())
        {
            if (property.Name != keyword && !s_annotations.Contains(property.Name) && property.Name != "type")
            {
                return true;
            }
        }

        return false;
    }

    private static List<string> Types(JsonElement schema)
    {
        var types = new List<string>();
        if (!schema.TryGetProperty("type", out var type))
        {
            return types;
        }

        if (type.ValueKind == JsonValueKind.String)
        {
            types.Add(type.GetString()!);
        }
        else if (type.ValueKind == JsonValueKind.Array)
        {
            foreach (var t in type.EnumerateArray())
            {
                types.Add(t.ValueKind == JsonValueKind.String ? t.GetString()! : throw new UnsupportedSchemaFeatureException("type (not a string)"));
            }
        }
        else
        {
            throw new UnsupportedSchemaFeatureException("type (not a string)");
        }

        foreach (var t in types)
        {
            if (t is not ("object" or "array" or "string" or "number" or "integer" or "boolean" or "null"))
            {
                throw new UnsupportedSchemaFeatureException("type '" + (t.Length <= 16 ? t : "?") + "'");
            }
        }

        return types;
    }

    private static List<string> InferTypes(JsonElement schema)
    {
        var types = new List<string>();
        if (Has(schema, "properties", "additionalProperties", "required"))
        {
            types.Add("object");
        }

        if (Has(schema, "items", "minItems", "maxItems", "uniqueItems"))
        {
            types.Add("array");
        }

        if (Has(schema, "minLength", "maxLength", "pattern", "format"))
        {
            types.Add("string");
        }

        if (Has(schema, "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"))
        {
            types.Add("number");
        }

        return types.Count == 0 ? ["any"] : types;
    }

    private static bool Has(JsonElement schema, params ReadOnlySpan<string> names)
    {
        foreach (var name in names)
        {
            if (schema.TryGetProperty(name, out _))
            {
                return true;
            }
        }

        return false;
    }

    private SchemaNode Typed(JsonElement schema, string type) => type switch
    {
        "any" => new SchemaNode { Kind = SchemaKind.Any },
        "object" => ObjectNode(schema),
        "array" => ArrayNode(schema),
        "string" => StringNode(schema),
        "number" => NumberNode(schema, integer: false),
        "integer" => NumberNode(schema, integer: true),
        "boolean" => new SchemaNode { Kind = SchemaKind.Literals, Literals = ["true"u8.ToArray(), "false"u8.ToArray()] },
        _ => new SchemaNode { Kind = SchemaKind.Literals, Literals = ["null"u8.ToArray()] },
    };

    private SchemaNode ObjectNode(JsonElement schema)
    {
        var required = new HashSet<string>(StringComparer.Ordinal);
        if (schema.TryGetProperty("required", out var list))
        {
            foreach (var name in list.EnumerateArray())
            {
                required.Add(name.GetString() ?? throw new UnsupportedSchemaFeatureException("required (not a string)"));
            }
        }

        var node = new SchemaNode { Kind = SchemaKind.Object };
        var declared = schema.TryGetProperty("properties", out var properties);
        if (schema.TryGetProperty("additionalProperties", out var additional))
        {
            node.Closed = additional.ValueKind == JsonValueKind.False;
        }

        if (declared)
        {
            var compiled = new List<ObjectProperty>();
            foreach (var property in properties.EnumerateObject())
            {
                compiled.Add(new ObjectProperty(property.Name, QuotedString(property.Name), Node(property.Value), required.Remove(property.Name)));
            }

            node.Properties = [.. compiled];
        }
        else if (additional.ValueKind != JsonValueKind.False)
        {
            node.AdditionalProperties = additional.ValueKind is JsonValueKind.Undefined or JsonValueKind.True
                ? new SchemaNode { Kind = SchemaKind.Any }
                : Node(additional);
        }

        if (required.Count > 0)
        {
            throw new UnsupportedSchemaFeatureException("required property not declared in properties");
        }

        if (declared && additional.ValueKind == JsonValueKind.Object)
        {
            // Extra keys are never generated, so the additional-property schema needs checking only for support.
            Node(additional);
        }

        return node;
    }

    private SchemaNode ArrayNode(JsonElement schema)
    {
        if (schema.TryGetProperty("uniqueItems", out var unique) && unique.ValueKind == JsonValueKind.True)
        {
            throw new UnsupportedSchemaFeatureException("uniqueItems");
        }

        var node = new SchemaNode
        {
            Kind = SchemaKind.Array,
            Items = schema.TryGetProperty("items", out var items) ? Node(items) : new SchemaNode { Kind = SchemaKind.Any },
            MinItems = Count(schema, "minItems", 0),
            MaxItems = Count(schema, "maxItems", int.MaxValue),
        };
        return node.MinItems > node.MaxItems ? throw new UnsupportedSchemaFeatureException("minItems greater than maxItems") : node;
    }

    private static SchemaNode StringNode(JsonElement schema)
    {
        var node = new SchemaNode
        {
            Kind = SchemaKind.String,
            MinLength = Count(schema, "minLength", 0),
            MaxLength = Count(schema, "maxLength", int.MaxValue),
        };
        if (node.MinLength > node.MaxLength)
        {
            throw new UnsupportedSchemaFeatureException("minLength greater than maxLength");
        }

        var hasPattern = schema.TryGetProperty("pattern", out var pattern);
        var hasFormat = schema.TryGetProperty("format", out var format);
        if (hasPattern && hasFormat)
        {
            throw new UnsupportedSchemaFeatureException("pattern with format");
        }

        if (hasPattern)
        {
            node.PatternSource = pattern.GetString() ?? throw new UnsupportedSchemaFeatureException("pattern (not a string)");
            node.Pattern = Pattern.Parse(node.PatternSource);
        }
        else if (hasFormat)
        {
            node.Format = format.GetString() ?? throw new UnsupportedSchemaFeatureException("format (not a string)");
            node.Pattern = Pattern.ForFormat(node.Format);
        }

        if (node.Pattern is not null && node.MinLength > 0)
        {
            throw new UnsupportedSchemaFeatureException("minLength with pattern or format");
        }

        if (node.Pattern is not null && node.MaxLength != int.MaxValue && node.Pattern.ShortestMatch > node.MaxLength)
        {
            throw new UnsupportedSchemaFeatureException("maxLength shorter than the pattern");
        }

        return node;
    }

    private static SchemaNode NumberNode(JsonElement schema, bool integer)
    {
        var step = integer ? 1m : 0.000001m;
        var limit = 999_999_999_999_999m;
        decimal? minimum = null;
        decimal? maximum = null;
        if (schema.TryGetProperty("minimum", out var min))
        {
            minimum = Up(Number(min), step);
        }

        if (schema.TryGetProperty("exclusiveMinimum", out var exclusiveMin))
        {
            var value = Number(exclusiveMin);
            var up = Up(value, step);
            up = up == value ? up + step : up;
            minimum = minimum is { } m ? Math.Max(m, up) : up;
        }

        if (schema.TryGetProperty("maximum", out var max))
        {
            maximum = Down(Number(max), step);
        }

        if (schema.TryGetProperty("exclusiveMaximum", out var exclusiveMax))
        {
            var value = Number(exclusiveMax);
            var down = Down(value, step);
            down = down == value ? down - step : down;
            maximum = maximum is { } m ? Math.Min(m, down) : down;
        }

        if ((minimum ?? -limit) > (maximum ?? limit) || minimum > limit || maximum < -limit)
        {
            throw new UnsupportedSchemaFeatureException("empty or out-of-range number range");
        }

        return new SchemaNode
        {
            Kind = integer ? SchemaKind.Integer : SchemaKind.Number,
            Minimum = minimum is { } lo ? Math.Max(lo, -limit) : null,
            Maximum = maximum is { } hi ? Math.Min(hi, limit) : null,
        };
    }

    private static decimal Number(JsonElement value) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetDecimal(out var d) ? Math.Clamp(d, -1e20m, 1e20m) : throw new UnsupportedSchemaFeatureException("number bound (not a number)");

    private static decimal Up(decimal value, decimal step) => Math.Ceiling(value / step) * step;

    private static decimal Down(decimal value, decimal step) => Math.Floor(value / step) * step;

    private static int Count(JsonElement schema, string name, int fallback)
    {
        if (!schema.TryGetProperty(name, out var value))
        {
            return fallback;
        }

        return value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var n) && n >= 0
            ? (int)Math.Min(n, int.MaxValue)
            : throw new UnsupportedSchemaFeatureException(name + " (not a non-negative integer)");
    }

    private SchemaNode LiteralNode(JsonElement schema, List<string> types, List<JsonElement> values)
    {
        // Literals must also satisfy the schema's other keywords: keep only those that do.
        var filter = types.Count == 0 ? null : new SchemaNode { Kind = SchemaKind.AnyOf, Alternatives = [.. types.Select(t => Typed(schema, t))] };
        var literals = new List<byte[]>();
        foreach (var value in values)
        {
            if (filter is null || SchemaLiterals.Matches(filter, value))
            {
                literals.Add(Canonical(value));
            }
        }

        return literals.Count == 0
            ? throw new UnsupportedSchemaFeatureException("enum or const with no value of the schema's type")
            : new SchemaNode { Kind = SchemaKind.Literals, Literals = [.. literals] };
    }
}
