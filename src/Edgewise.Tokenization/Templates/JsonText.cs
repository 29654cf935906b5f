using System.Text;

namespace Edgewise.Tokenization.Templates;

/// <summary>Options of the <c>tojson</c> filter (and of the JSON used to display lists and dicts).</summary>
internal sealed record JsonTextOptions(
    int Indent = 0,
    bool EnsureAscii = false,
    bool SortKeys = false,
    string? ItemSeparator = null,
    string? KeySeparator = null,
    bool UndefinedAsNull = true)
{
    /// <summary>How lists and dicts render inside <c>{{ }}</c>: undefined members print as "undefined".</summary>
    public static JsonTextOptions Display { get; } = new(UndefinedAsNull: false);

    /// <summary><c>tojson</c> without arguments.</summary>
    public static JsonTextOptions Filter { get; } = new();
}

/// <summary>
/// JSON text with the reference's spacing: ", " and ": " by default; with an indent, "," and ": " plus
/// newlines; non-ASCII kept unless ensure_ascii; numbers formatted as JavaScript does.
/// </summary>
internal static class JsonText
{
    private const int MaxNesting = 512;

    public static string Serialize(Value value, JsonTextOptions options, Budget? budget)
    {
        var builder = new StringBuilder();
        Write(builder, value, options, 0, budget);
        return builder.ToString();
    }

    private static void Write(StringBuilder builder, Value value, JsonTextOptions options, int depth, Budget? budget)
    {
        if (depth > MaxNesting)
        {
            throw new TemplateException(TemplateErrorCodes.DepthCap, "A value nests deeper than the depth cap.");
        }

        budget?.Step();
        budget?.CheckLength(builder.Length);
        switch (value.Kind)
        {
            case ValueKind.Null:
                builder.Append("null");
                return;
            case ValueKind.Undefined:
                builder.Append(options.UndefinedAsNull ? "null" : "undefined");
                return;
            case ValueKind.Boolean:
                builder.Append(value.Bool ? "true" : "false");
                return;
            case ValueKind.Integer:
            case ValueKind.Float:
                builder.Append(double.IsFinite(value.Number) ? JsNumber.ToString(value.Number) : "null");
                return;
            case ValueKind.String:
                JsText.AppendJsonString(builder, value.Text, options.EnsureAscii);
                return;
            case ValueKind.Array:
                WriteArray(builder, value.Items, options, depth, budget);
                return;
            case ValueKind.Object:
            case ValueKind.Namespace:
                WriteObject(builder, value.Map, options, depth, budget);
                return;
            default:
                throw new TemplateException(TemplateErrorCodes.Runtime, "This value cannot be converted to JSON.");
        }
    }

    private static (string Item, string Key) Separators(JsonTextOptions options) =>
        options.ItemSeparator is not null && options.KeySeparator is not null
            ? (options.ItemSeparator, options.KeySeparator)
            : (options.Indent > 0 ? "," : ", ", ": ");

    private static void NewLine(StringBuilder builder, int indent, int level) =>
        builder.Append('\n').Append(' ', indent * level);

    private static void WriteArray(StringBuilder builder, List<Value> items, JsonTextOptions options, int depth, Budget? budget)
    {
        var (itemSeparator, _) = Separators(options);
        var indented = options.Indent > 0 && items.Count > 0;
        builder.Append('[');
        for (var i = 0; i < items.Count; i++)
        {
            if (i > 0)
            {
                builder.Append(itemSeparator);
            }

            if (indented)
            {
                NewLine(builder, options.Indent, depth + 1);
            }

            Write(builder, items[i], options, depth + 1, budget);
        }

        if (indented)
        {
            NewLine(builder, options.Indent, depth);
        }

        builder.Append(']');
    }

    private static void WriteObject(
        StringBuilder builder, OrderedDictionary<string, Value> map, JsonTextOptions options, int depth, Budget? budget)
    {
        var (itemSeparator, keySeparator) = Separators(options);
        var indented = options.Indent > 0 && map.Count > 0;
        IEnumerable<KeyValuePair<string, Value>> entries = map;
        if (options.SortKeys)
        {
            var sorted = new List<KeyValuePair<string, Value>>(map);
            sorted.Sort(static (a, b) => LocaleOrder.Compare(a.Key, b.Key));
            entries = sorted;
        }

        builder.Append('{');
        var first = true;
        foreach (var (key, item) in entries)
        {
            if (!first)
            {
                builder.Append(itemSeparator);
            }

            first = false;
            if (indented)
            {
                NewLine(builder, options.Indent, depth + 1);
            }

            JsText.AppendJsonString(builder, key, options.EnsureAscii);
            builder.Append(keySeparator);
            Write(builder, item, options, depth + 1, budget);
        }

        if (indented)
        {
            NewLine(builder, options.Indent, depth);
        }

        builder.Append('}');
    }
}

/// <summary>
/// An approximation of <c>String.prototype.localeCompare</c> (ICU root collation) good for keys and words:
/// case-insensitive first, then lower case before upper case, then ordinal.
/// </summary>
internal static class LocaleOrder
{
    public static int Compare(string a, string b)
    {
        var primary = string.Compare(a, b, StringComparison.OrdinalIgnoreCase);
        if (primary != 0)
        {
            return primary;
        }

        for (var i = 0; i < a.Length && i < b.Length; i++)
        {
            if (a[i] != b[i])
            {
                return char.IsLower(a[i]) ? -1 : 1;
            }
        }

        return a.Length.CompareTo(b.Length);
    }
}
