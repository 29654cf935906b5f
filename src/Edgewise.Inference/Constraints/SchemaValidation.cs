using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Edgewise.Inference.Constraints;

/// <summary>
/// Checks a finished JSON value against a compiled schema, by the schema's meaning rather than by the generation rules
/// of <see cref="Constraint"/>: keys may come in any order, whitespace and number spelling are free, and undeclared
/// keys are allowed unless the schema said <c>additionalProperties: false</c> (their values are not checked against an
/// <c>additionalProperties</c> schema), patterns search and formats take every valid value. Numeric bounds are the
/// compiled ones (rounded inward to the millionth for numbers), and a value may nest as deep as the parser allows.
/// </summary>
internal static class SchemaValidation
{
    /// <summary>The first way <paramref name="value"/> breaks <paramref name="node"/>, or null when it satisfies it.</summary>
    public static ConstraintViolation? Check(SchemaNode node, JsonElement value) => Check(node, value, new StringBuilder("$"));

    private static ConstraintViolation? Check(SchemaNode node, JsonElement value, StringBuilder path)
    {
        switch (node.Kind)
        {
            case SchemaKind.Any or SchemaKind.Pending:
                return null;
            case SchemaKind.Literals:
                return IsLiteral(node, value) ? null : Violation(path, "enum");
            case SchemaKind.String:
                if (value.ValueKind != JsonValueKind.String)
                {
                    return Violation(path, "type");
                }

                var text = value.GetString()!;
                var length = 0;
                foreach (var _ in text.EnumerateRunes())
                {
                    length++;
                }

                return length < node.MinLength ? Violation(path, "minLength")
                    : length > node.MaxLength ? Violation(path, "maxLength")
                    : node.PatternSource is { } pattern && !Searches(pattern, text) ? Violation(path, "pattern")
                    : node.Format is { } format && !FormatValid(format, text) ? Violation(path, "format")
                    : null;
            case SchemaKind.Number or SchemaKind.Integer:
                if (value.ValueKind != JsonValueKind.Number)
                {
                    return Violation(path, "type");
                }

                if (!value.TryGetDecimal(out var number))
                {
                    // Beyond decimal's range (about 7.9e28): outside every bound the compiler keeps, and no integer of interest.
                    return node.Minimum is not null || node.Maximum is not null ? Violation(path, "maximum") : null;
                }

                return node.Kind == SchemaKind.Integer && decimal.Truncate(number) != number ? Violation(path, "type")
                    : node.Minimum is { } minimum && number < minimum ? Violation(path, "minimum")
                    : node.Maximum is { } maximum && number > maximum ? Violation(path, "maximum")
                    : null;
            case SchemaKind.Object:
                return value.ValueKind == JsonValueKind.Object ? CheckObject(node, value, path) : Violation(path, "type");
            case SchemaKind.Array:
                return value.ValueKind == JsonValueKind.Array ? CheckArray(node, value, path) : Violation(path, "type");
            default:
                foreach (var alternative in node.Alternatives)
                {
                    if (Check(alternative, value, path) is null)
                    {
                        return null;
                    }
                }

                return Violation(path, "anyOf");
        }
    }

    private static ConstraintViolation? CheckObject(SchemaNode node, JsonElement value, StringBuilder path)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in value.EnumerateObject())
        {
            var mark = path.Length;
            path.Append('.').Append(property.Name);
            if (!seen.Add(property.Name))
            {
                return Violation(path, "duplicate key");
            }

            var declared = Array.Find(node.Properties, p => string.Equals(p.Name, property.Name, StringComparison.Ordinal));
            var schema = declared?.Schema ?? node.AdditionalProperties ?? (node.Closed ? null : SchemaNodes.Any);
            if (schema is null)
            {
                return Violation(path, "additionalProperties");
            }

            if (Check(schema, property.Value, path) is { } violation)
            {
                return violation;
            }

            path.Length = mark;
        }

        foreach (var property in node.Properties)
        {
            if (property.Required && !seen.Contains(property.Name))
            {
                path.Append('.').Append(property.Name);
                return Violation(path, "required");
            }
        }

        return null;
    }

    private static ConstraintViolation? CheckArray(SchemaNode node, JsonElement value, StringBuilder path)
    {
        var count = value.GetArrayLength();
        if (count < node.MinItems)
        {
            return Violation(path, "minItems");
        }

        if (count > node.MaxItems)
        {
            return Violation(path, "maxItems");
        }

        var index = 0;
        foreach (var item in value.EnumerateArray())
        {
            var mark = path.Length;
            path.Append('[').Append(index++.ToString(CultureInfo.InvariantCulture)).Append(']');
            if (node.Items is { } items && Check(items, item, path) is { } violation)
            {
                return violation;
            }

            path.Length = mark;
        }

        return null;
    }

    /// <summary>
    /// A JSON Schema <c>pattern</c> is a search: the generator's own pattern matches in full and draws <c>.</c> from
    /// printable ASCII only, so finished output is checked with a linear-time regular expression instead (the pattern
    /// comes from the request; no backtracking means no catastrophic input).
    /// </summary>
    private static bool Searches(string pattern, string text)
    {
        try
        {
            return Regex.IsMatch(text, pattern, RegexOptions.NonBacktracking | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException)
        {
            // A construct the engine's own parser took but .NET's linear-time engine does not: not a fault of the output.
            return true;
        }
    }

    /// <summary>The formats the compiler accepts, by their RFC 3339 / RFC 9562 meaning (the generator keeps to days 01-28).</summary>
    private static bool FormatValid(string format, string text) => format switch
    {
        "date" => DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _),
        "time" => TimeValid(text),
        "date-time" => text.Length > 11 && text[10] is 'T' or 't'
            && DateOnly.TryParseExact(text[..10], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _) && TimeValid(text[11..]),
        "uuid" => text.Length == 36 && Guid.TryParseExact(text, "D", out _),
        _ => true,
    };

    /// <summary>RFC 3339 <c>full-time</c>: hh:mm:ss, an optional fraction, then Z or ±hh:mm (a leap second allowed).</summary>
    private static bool TimeValid(string text) => s_time.IsMatch(text);

    private static readonly Regex s_time = new(@"^([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$", RegexOptions.CultureInvariant);

    private static bool IsLiteral(SchemaNode node, JsonElement value)
    {
        foreach (var literal in node.Literals)
        {
            using var expected = JsonDocument.Parse(literal);
            if (JsonEquals(expected.RootElement, value))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>JSON equality: numbers by value (1, 1.0 and 1e0 are one number), objects regardless of key order.</summary>
    private static bool JsonEquals(JsonElement a, JsonElement b)
    {
        if (a.ValueKind == JsonValueKind.Number && b.ValueKind == JsonValueKind.Number)
        {
            return a.TryGetDecimal(out var x) && b.TryGetDecimal(out var y) ? x == y : a.GetRawText() == b.GetRawText();
        }

        if (a.ValueKind != b.ValueKind)
        {
            return false;
        }

        switch (a.ValueKind)
        {
            case JsonValueKind.String:
                return a.ValueEquals(b.GetString());
            case JsonValueKind.Array:
                if (a.GetArrayLength() != b.GetArrayLength())
                {
                    return false;
                }

                using (var left = a.EnumerateArray())
                using (var right = b.EnumerateArray())
                {
                    while (left.MoveNext() && right.MoveNext())
                    {
                        if (!JsonEquals(left.Current, right.Current))
                        {
                            return false;
                        }
                    }
                }

                return true;
            case JsonValueKind.Object:
                var count = 0;
                foreach (var property in a.EnumerateObject())
                {
                    count++;
                    if (!b.TryGetProperty(property.Name, out var other) || !JsonEquals(property.Value, other))
                    {
                        return false;
                    }
                }

                return count == b.EnumerateObject().Count();
            default:
                return true;
        }
    }

    private static ConstraintViolation Violation(StringBuilder path, string rule) => new(path.ToString(), rule);
}

/// <summary>Where generated output breaks its constraint, and which rule it breaks.</summary>
/// <param name="Path">The JSON path of the offending value (<c>$</c> for the whole output, <c>$.items[2].name</c> inside it).</param>
/// <param name="Rule">
/// The broken rule, one of a closed set: a JSON Schema keyword (<c>type</c>, <c>enum</c>, <c>required</c>,
/// <c>additionalProperties</c>, <c>minLength</c>, <c>maxLength</c>, <c>pattern</c>, <c>minimum</c>, <c>maximum</c>,
/// <c>minItems</c>, <c>maxItems</c>, <c>anyOf</c>), <c>duplicate key</c>, or <c>json</c> (the output is not one JSON
/// value).
/// </param>
public sealed record ConstraintViolation(string Path, string Rule)
{
    /// <inheritdoc/>
    public override string ToString() => Path + ": " + Rule;
}

/// <summary>Output that was checked after the fact (<see cref="Constraint.FindViolation"/>) breaks its constraint.</summary>
public sealed class ConstraintViolationException : Exception
{
    /// <summary>Creates the exception for <paramref name="violation"/>.</summary>
    public ConstraintViolationException(ConstraintViolation violation)
        : base("The output does not keep its constraint: " + (violation ?? throw new ArgumentNullException(nameof(violation))) + ".") => Violation = violation;

    /// <summary>Creates the exception with a generic violation.</summary>
    public ConstraintViolationException()
        : this(new ConstraintViolation("$", "json"))
    {
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public ConstraintViolationException(string message, Exception innerException)
        : base(message, innerException) => Violation = new ConstraintViolation("$", "json");

    /// <summary>Creates the exception with a message.</summary>
    public ConstraintViolationException(string message)
        : base(message) => Violation = new ConstraintViolation("$", "json");

    /// <summary>Where and how the output breaks the constraint.</summary>
    public ConstraintViolation Violation { get; }
}
