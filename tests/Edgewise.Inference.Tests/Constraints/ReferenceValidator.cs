using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Edgewise.Inference.Tests.Constraints;

/// <summary>
/// An independent JSON Schema validator for the keywords the tests generate, written straight from the
/// specification over <see cref="JsonElement"/> with .NET's Regex for patterns — it shares no code with the
/// constraint engine. (JsonSchema.Net cannot be restored here: its dependency JsonPointer.Net is not on the mirror.)
/// </summary>
internal static class ReferenceValidator
{
    public static bool IsValid(JsonElement schema, JsonElement value) => Validate(schema, schema, value);

    private static bool Validate(JsonElement root, JsonElement schema, JsonElement value)
    {
        if (schema.ValueKind == JsonValueKind.True)
        {
            return true;
        }

        if (schema.TryGetProperty("$ref", out var reference))
        {
            var target = root;
            foreach (var segment in reference.GetString()!.TrimStart('#').Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                target = target.GetProperty(segment);
            }

            return Validate(root, target, value);
        }

        if (schema.TryGetProperty("type", out var type) && !TypeMatches(type, value))
        {
            return false;
        }

        if (schema.TryGetProperty("const", out var constant) && !JsonEquals(constant, value))
        {
            return false;
        }

        if (schema.TryGetProperty("enum", out var values) && !values.EnumerateArray().Any(v => JsonEquals(v, value)))
        {
            return false;
        }

        if (schema.TryGetProperty("anyOf", out var anyOf) && !anyOf.EnumerateArray().Any(s => Validate(root, s, value)))
        {
            return false;
        }

        if (schema.TryGetProperty("oneOf", out var oneOf) && oneOf.EnumerateArray().Count(s => Validate(root, s, value)) != 1)
        {
            return false;
        }

        return value.ValueKind switch
        {
            JsonValueKind.String => StringValid(schema, value.GetString()!),
            JsonValueKind.Number => NumberValid(schema, value),
            JsonValueKind.Object => ObjectValid(root, schema, value),
            JsonValueKind.Array => ArrayValid(root, schema, value),
            _ => true,
        };
    }

    private static bool TypeMatches(JsonElement type, JsonElement value)
    {
        if (type.ValueKind == JsonValueKind.Array)
        {
            return type.EnumerateArray().Any(t => TypeMatches(t, value));
        }

        return type.GetString() switch
        {
            "string" => value.ValueKind == JsonValueKind.String,
            "number" => value.ValueKind == JsonValueKind.Number,
            "integer" => value.ValueKind == JsonValueKind.Number && value.GetDecimal() == decimal.Truncate(value.GetDecimal()),
            "boolean" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
            "null" => value.ValueKind == JsonValueKind.Null,
            "object" => value.ValueKind == JsonValueKind.Object,
            "array" => value.ValueKind == JsonValueKind.Array,
            _ => false,
        };
    }

    private static bool StringValid(JsonElement schema, string text)
    {
        var length = text.EnumerateRunes().Count();
        if (schema.TryGetProperty("minLength", out var min) && length < min.GetInt32())
        {
            return false;
        }

        if (schema.TryGetProperty("maxLength", out var max) && length > max.GetInt32())
        {
            return false;
        }

        if (schema.TryGetProperty("pattern", out var pattern) && !Regex.IsMatch(text, pattern.GetString()!, RegexOptions.None, TimeSpan.FromSeconds(5)))
        {
            return false;
        }

        if (schema.TryGetProperty("format", out var format))
        {
            return format.GetString() switch
            {
                "date" => DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _),
                "uuid" => Guid.TryParseExact(text, "D", out _),
                _ => false,
            };
        }

        return true;
    }

    private static bool NumberValid(JsonElement schema, JsonElement value)
    {
        var d = value.GetDecimal();
        return !(schema.TryGetProperty("minimum", out var min) && d < min.GetDecimal())
            && !(schema.TryGetProperty("maximum", out var max) && d > max.GetDecimal())
            && !(schema.TryGetProperty("exclusiveMinimum", out var emin) && d <= emin.GetDecimal())
            && !(schema.TryGetProperty("exclusiveMaximum", out var emax) && d >= emax.GetDecimal());
    }

    private static bool ObjectValid(JsonElement root, JsonElement schema, JsonElement value)
    {
        var properties = schema.TryGetProperty("properties", out var p) ? p : default;
        if (schema.TryGetProperty("required", out var required) && required.EnumerateArray().Any(r => !value.TryGetProperty(r.GetString()!, out _)))
        {
            return false;
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in value.EnumerateObject())
        {
            if (!names.Add(property.Name))
            {
                return false;
            }

            if (properties.ValueKind == JsonValueKind.Object && properties.TryGetProperty(property.Name, out var propertySchema))
            {
                if (!Validate(root, propertySchema, property.Value))
                {
                    return false;
                }
            }
            else if (schema.TryGetProperty("additionalProperties", out var additional))
            {
                if (additional.ValueKind == JsonValueKind.False || (additional.ValueKind == JsonValueKind.Object && !Validate(root, additional, property.Value)))
                {
                    return false;
                }
            }
        }

        return true;
    }

    private static bool ArrayValid(JsonElement root, JsonElement schema, JsonElement value)
    {
        var count = value.GetArrayLength();
        if ((schema.TryGetProperty("minItems", out var min) && count < min.GetInt32()) || (schema.TryGetProperty("maxItems", out var max) && count > max.GetInt32()))
        {
            return false;
        }

        return !schema.TryGetProperty("items", out var items) || value.EnumerateArray().All(v => Validate(root, items, v));
    }

    private static bool JsonEquals(JsonElement a, JsonElement b)
    {
        if (a.ValueKind == JsonValueKind.Number && b.ValueKind == JsonValueKind.Number)
        {
            return a.GetDecimal() == b.GetDecimal();
        }

        if (a.ValueKind != b.ValueKind)
        {
            return false;
        }

        return a.ValueKind switch
        {
            JsonValueKind.String => a.GetString() == b.GetString(),
            JsonValueKind.Array => a.GetArrayLength() == b.GetArrayLength() && a.EnumerateArray().Zip(b.EnumerateArray()).All(x => JsonEquals(x.First, x.Second)),
            JsonValueKind.Object => a.EnumerateObject().Count() == b.EnumerateObject().Count()
                && a.EnumerateObject().All(x => b.TryGetProperty(x.Name, out var y) && JsonEquals(x.Value, y)),
            _ => true,
        };
    }
}
