using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Edgewise.Agents.Tools;

/// <summary>
/// Validates tool arguments against the JSON schema subset <c>AIFunctionFactory</c> produces (A02): <c>type</c>
/// (one or a list, including <c>null</c>), <c>properties</c>, <c>required</c>, <c>additionalProperties</c>,
/// <c>items</c>, <c>enum</c>, <c>const</c>, <c>minLength</c>/<c>maxLength</c>, <c>pattern</c>,
/// <c>minimum</c>/<c>maximum</c> (and exclusive forms), <c>minItems</c>/<c>maxItems</c>, <c>anyOf</c>/<c>oneOf</c>.
/// Strict by policy: an object schema that does not allow additional properties explicitly rejects them, and a
/// schema keyword outside the subset (e.g. <c>$ref</c>) fails closed.
/// </summary>
internal static class ToolSchemaValidator
{
    private const int MaxDepth = 32;
    private static readonly TimeSpan s_patternTimeout = TimeSpan.FromMilliseconds(100);

    /// <summary>Null when <paramref name="value"/> is valid; otherwise the first problem as a short phrase with a JSON path.</summary>
    public static string? Validate(JsonElement schema, JsonElement value) => Check(schema, value, "$", 0);

    private static string? Check(JsonElement schema, JsonElement value, string path, int depth)
    {
        if (depth > MaxDepth)
        {
            return $"{path}: nesting too deep";
        }

        if (schema.ValueKind == JsonValueKind.True)
        {
            return null;
        }

        if (schema.ValueKind != JsonValueKind.Object)
        {
            return $"{path}: not allowed";
        }

        if (schema.TryGetProperty("$ref", out _) || schema.TryGetProperty("allOf", out _) || schema.TryGetProperty("not", out _))
        {
            return $"{path}: unsupported schema";
        }

        if (schema.TryGetProperty("anyOf", out var anyOf) || schema.TryGetProperty("oneOf", out anyOf))
        {
            var matched = false;
            foreach (var option in anyOf.EnumerateArray())
            {
                if (Check(option, value, path, depth + 1) is null)
                {
                    matched = true;
                    break;
                }
            }

            if (!matched)
            {
                return $"{path}: matches none of the allowed shapes";
            }
        }

        if (schema.TryGetProperty("type", out var type) && !TypeMatches(type, value))
        {
            return $"{path}: expected {TypeText(type)}";
        }

        if (schema.TryGetProperty("enum", out var options) && options.ValueKind == JsonValueKind.Array)
        {
            var found = false;
            foreach (var option in options.EnumerateArray())
            {
                if (JsonElement.DeepEquals(option, value))
                {
                    found = true;
                    break;
                }
            }

            if (!found)
            {
                return $"{path}: not one of the allowed values";
            }
        }

        if (schema.TryGetProperty("const", out var constant) && !JsonElement.DeepEquals(constant, value))
        {
            return $"{path}: not the required value";
        }

        return value.ValueKind switch
        {
            JsonValueKind.String => CheckString(schema, value.GetString()!, path),
            JsonValueKind.Number => CheckNumber(schema, value, path),
            JsonValueKind.Array => CheckArray(schema, value, path, depth),
            JsonValueKind.Object => CheckObject(schema, value, path, depth),
            _ => null,
        };
    }

    private static string? CheckString(JsonElement schema, string text, string path)
    {
        var length = CountCodePoints(text);
        if (TryGetInt(schema, "maxLength", out var max) && length > max)
        {
            return $"{path}: longer than {max} characters";
        }

        if (TryGetInt(schema, "minLength", out var min) && length < min)
        {
            return $"{path}: shorter than {min} characters";
        }

        if (schema.TryGetProperty("pattern", out var pattern) && pattern.ValueKind == JsonValueKind.String)
        {
            try
            {
                if (!Regex.IsMatch(text, pattern.GetString()!, RegexOptions.CultureInvariant, s_patternTimeout))
                {
                    return $"{path}: does not match the required pattern";
                }
            }
            catch (RegexMatchTimeoutException)
            {
                return $"{path}: does not match the required pattern";
            }
            catch (ArgumentException)
            {
                return $"{path}: unsupported schema";
            }
        }

        return null;
    }

    private static string? CheckNumber(JsonElement schema, JsonElement value, string path)
    {
        var number = value.GetDouble();
        if (!double.IsFinite(number))
        {
            return $"{path}: not a finite number";
        }

        if (TryGetDouble(schema, "minimum", out var minimum) && number < minimum)
        {
            return $"{path}: below {minimum.ToString(CultureInfo.InvariantCulture)}";
        }

        if (TryGetDouble(schema, "maximum", out var maximum) && number > maximum)
        {
            return $"{path}: above {maximum.ToString(CultureInfo.InvariantCulture)}";
        }

        if (TryGetDouble(schema, "exclusiveMinimum", out var exclusiveMinimum) && number <= exclusiveMinimum)
        {
            return $"{path}: not above {exclusiveMinimum.ToString(CultureInfo.InvariantCulture)}";
        }

        if (TryGetDouble(schema, "exclusiveMaximum", out var exclusiveMaximum) && number >= exclusiveMaximum)
        {
            return $"{path}: not below {exclusiveMaximum.ToString(CultureInfo.InvariantCulture)}";
        }

        return null;
    }

    private static string? CheckArray(JsonElement schema, JsonElement value, string path, int depth)
    {
        var count = value.GetArrayLength();
        if (TryGetInt(schema, "maxItems", out var max) && count > max)
        {
            return $"{path}: more than {max} items";
        }

        if (TryGetInt(schema, "minItems", out var min) && count < min)
        {
            return $"{path}: fewer than {min} items";
        }

        if (schema.TryGetProperty("items", out var items))
        {
            var index = 0;
            foreach (var item in value.EnumerateArray())
            {
                if (Check(items, item, $"{path}[{index}]", depth + 1) is { } error)
                {
                    return error;
                }

                index++;
            }
        }

        return null;
    }

    private static string? CheckObject(JsonElement schema, JsonElement value, string path, int depth)
    {
        schema.TryGetProperty("properties", out var properties);
        var hasProperties = properties.ValueKind == JsonValueKind.Object;
        if (schema.TryGetProperty("required", out var required) && required.ValueKind == JsonValueKind.Array)
        {
            foreach (var name in required.EnumerateArray())
            {
                if (name.ValueKind == JsonValueKind.String && !value.TryGetProperty(name.GetString()!, out _))
                {
                    return $"{path}: missing required property '{name.GetString()}'";
                }
            }
        }

        schema.TryGetProperty("additionalProperties", out var additional);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in value.EnumerateObject())
        {
            if (!seen.Add(property.Name))
            {
                return $"{path}: duplicate property";
            }

            var childPath = path + "." + property.Name;
            if (hasProperties && properties.TryGetProperty(property.Name, out var propertySchema))
            {
                if (Check(propertySchema, property.Value, childPath, depth + 1) is { } error)
                {
                    return error;
                }
            }
            else if (additional.ValueKind == JsonValueKind.Object)
            {
                if (Check(additional, property.Value, childPath, depth + 1) is { } error)
                {
                    return error;
                }
            }
            else if (additional.ValueKind != JsonValueKind.True)
            {
                return $"{path}: unexpected property '{Shorten(property.Name)}'";
            }
        }

        return null;
    }

    private static bool TypeMatches(JsonElement type, JsonElement value)
    {
        if (type.ValueKind == JsonValueKind.String)
        {
            return SingleTypeMatches(type.GetString()!, value);
        }

        if (type.ValueKind == JsonValueKind.Array)
        {
            foreach (var option in type.EnumerateArray())
            {
                if (option.ValueKind == JsonValueKind.String && SingleTypeMatches(option.GetString()!, value))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static bool SingleTypeMatches(string type, JsonElement value) => type switch
    {
        "string" => value.ValueKind == JsonValueKind.String,
        "number" => value.ValueKind == JsonValueKind.Number,
        "integer" => value.ValueKind == JsonValueKind.Number && IsInteger(value),
        "boolean" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
        "object" => value.ValueKind == JsonValueKind.Object,
        "array" => value.ValueKind == JsonValueKind.Array,
        "null" => value.ValueKind == JsonValueKind.Null,
        _ => false,
    };

    private static bool IsInteger(JsonElement value)
    {
        if (value.TryGetInt64(out _))
        {
            return true;
        }

        return value.TryGetDecimal(out var d) && decimal.Truncate(d) == d;
    }

    private static string TypeText(JsonElement type) => type.ValueKind == JsonValueKind.String
        ? type.GetString()!
        : string.Join(" or ", type.EnumerateArray().Select(static t => t.ToString()));

    private static bool TryGetInt(JsonElement schema, string name, out long result)
    {
        result = 0;
        return schema.TryGetProperty(name, out var element) && element.ValueKind == JsonValueKind.Number && element.TryGetInt64(out result);
    }

    private static bool TryGetDouble(JsonElement schema, string name, out double result)
    {
        result = 0;
        if (!schema.TryGetProperty(name, out var element) || element.ValueKind != JsonValueKind.Number)
        {
            return false;
        }

        result = element.GetDouble();
        return true;
    }

    private static int CountCodePoints(string text)
    {
        var count = 0;
        foreach (var _ in text.EnumerateRunes())
        {
            count++;
        }

        return count;
    }

    private static string Shorten(string name) => name.Length <= 64 ? name : name[..64] + "...";
}
