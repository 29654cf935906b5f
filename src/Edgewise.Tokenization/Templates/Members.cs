using System.Text;

namespace Edgewise.Tokenization.Templates;

/// <summary>
/// Attribute and index access. The whitelist is all there is: dict keys (then get/items/keys/values/dictsort),
/// list <c>length</c>, and the string methods below. Any other name is undefined; nothing reaches .NET.
/// </summary>
internal static class Members
{
    public static Value Get(Value target, Value property, Budget budget)
    {
        if (target.IsAttributeContainer)
        {
            if (property.Kind != ValueKind.String)
            {
                throw Evaluator.Runtime("Cannot access a mapping member with a non-string key.");
            }

            if (target.Map.TryGetValue(property.Text, out var value))
            {
                return value;
            }

            return target.IsDict ? DictMethod(target, property.Text, budget) : Value.Undefined;
        }

        if (target.IsList || target.Kind == ValueKind.String)
        {
            if (property.Kind == ValueKind.Integer)
            {
                return Index(target, property.Number);
            }

            if (property.Kind != ValueKind.String)
            {
                throw Evaluator.Runtime("Cannot index with a non-integer, non-string value.");
            }

            if (target.IsList)
            {
                return property.Text == "length" ? Value.Int(target.Items.Count) : Value.Undefined;
            }

            return StringMethods.Get(target.Text, property.Text, budget);
        }

        if (property.Kind != ValueKind.String)
        {
            throw Evaluator.Runtime("Cannot access a member with a non-string key.");
        }

        return Value.Undefined;
    }

    /// <summary><c>Array.prototype.at</c>: negative indexes count from the end; out of range is undefined.</summary>
    private static Value Index(Value target, double index)
    {
        var length = target.IsList ? target.Items.Count : target.Text.Length;
        var i = double.IsNaN(index) ? 0 : Math.Truncate(index);
        if (i < 0)
        {
            i += length;
        }

        if (i < 0 || i >= length)
        {
            return Value.Undefined;
        }

        return target.IsList ? target.Items[(int)i] : Value.Str(target.Text[(int)i].ToString());
    }

    /// <summary>Python-style slicing with the reference's clamping rules.</summary>
    public static List<T> Slice<T>(List<T> items, double? start, double? stop, double step, Budget budget)
    {
        var length = items.Count;
        double from;
        double to;
        if (step > 0)
        {
            from = start is { } s ? (s < 0 ? Math.Max(length + s, 0) : Math.Min(s, length)) : 0;
            to = stop is { } e ? (e < 0 ? Math.Max(length + e, 0) : Math.Min(e, length)) : length;
        }
        else
        {
            from = start is { } s ? (s < 0 ? Math.Max(length + s, -1) : Math.Min(s, length - 1)) : length - 1;
            to = stop is { } e ? (e < -1 ? Math.Max(length + e, -1) : Math.Min(e, length - 1)) : -1;
        }

        var result = new List<T>();
        var direction = Math.Sign(step);
        for (var i = from; direction * i < direction * to; i += step)
        {
            budget.Step();
            result.Add(items[(int)i]);
        }

        return result;
    }

    private static Value DictMethod(Value dict, string name, Budget budget) => name switch
    {
        "get" => Value.Callable((arguments, _) =>
        {
            var flat = Flatten(arguments);
            var key = flat.Count > 0 ? flat[0] : Value.Undefined;
            if (key.Kind != ValueKind.String)
            {
                throw Evaluator.Runtime("Object key must be a string.");
            }

            return dict.Map.TryGetValue(key.Text, out var found) ? found : flat.Count > 1 ? flat[1] : Value.Null;
        }),
        "items" => Value.Callable((_, _) => Items(dict, budget)),
        "keys" => Value.Callable((_, _) =>
        {
            budget.Charge(dict.Map.Count);
            var keys = new List<Value>(dict.Map.Count);
            foreach (var key in dict.Map.Keys)
            {
                keys.Add(Value.Str(key));
            }

            return Value.List(keys);
        }),
        "values" => Value.Callable((_, _) =>
        {
            budget.Charge(dict.Map.Count);
            return Value.List([.. dict.Map.Values]);
        }),
        "dictsort" => Value.Callable((arguments, _) => DictSort(dict, arguments, budget)),
        _ => Value.Undefined,
    };

    /// <summary>The reference's argument list: positional values, then the keywords as one trailing mapping.</summary>
    public static List<Value> Flatten(CallArguments arguments)
    {
        if (arguments.Keywords is not { Count: > 0 } keywords)
        {
            return arguments.Positional;
        }

        return [.. arguments.Positional, Value.Keywords(keywords)];
    }

    public static Value Items(Value dict, Budget budget)
    {
        budget.Charge(dict.Map.Count);
        var pairs = new List<Value>(dict.Map.Count);
        foreach (var (key, value) in dict.Map)
        {
            pairs.Add(Value.List([Value.Str(key), value]));
        }

        return Value.List(pairs);
    }

    /// <summary>Returns a method of a dict for the <c>| name</c> filter form, or null when there is none.</summary>
    public static Value? DictMethodOrNull(Value dict, string name, Budget budget)
    {
        var method = DictMethod(dict, name, budget);
        return method.Kind == ValueKind.Function ? method : null;
    }

    private static Value DictSort(Value dict, CallArguments arguments, Budget budget)
    {
        var caseSensitive = Option(arguments, 0, "case_sensitive", Value.False);
        var by = Option(arguments, 1, "by", Value.Str("key"));
        var reverse = Option(arguments, 2, "reverse", Value.False);
        if (caseSensitive.Kind != ValueKind.Boolean || reverse.Kind != ValueKind.Boolean)
        {
            throw Evaluator.Runtime("dictsort flags must be booleans.");
        }

        if (by.Kind != ValueKind.String || by.Text is not ("key" or "value"))
        {
            throw Evaluator.Runtime("dictsort 'by' must be 'key' or 'value'.");
        }

        var index = by.Text == "key" ? 0 : 1;
        var pairs = Items(dict, budget).Items;
        var sign = reverse.Bool ? -1 : 1;
        return Value.List(Operators.StableSort(
            pairs, (a, b) => sign * Operators.Compare(a.Items[index], b.Items[index], caseSensitive.Bool), budget));
    }

    /// <summary>Positional argument, else keyword, else the default (the reference's lookup order).</summary>
    public static Value Option(CallArguments arguments, int index, string name, Value fallback) =>
        arguments.Get(index, name) ?? fallback;
}

/// <summary>The string methods the reference provides; <c>strip</c>/<c>lstrip</c>/<c>rstrip</c> ignore arguments there.</summary>
internal static class StringMethods
{
    public static Value Get(string text, string name, Budget budget) => name switch
    {
        "length" => Value.Int(text.Length),
        "upper" => Method(() => text.ToUpperInvariant()),
        "lower" => Method(() => text.ToLowerInvariant()),
        "strip" => Method(() => JsText.Trim(text)),
        "lstrip" => Method(() => JsText.TrimStart(text)),
        "rstrip" => Method(() => JsText.TrimEnd(text)),
        "title" => Method(() => JsText.Title(text)),
        "capitalize" => Method(() => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..]),
        "startswith" => Value.Callable((arguments, _) => Value.FromBool(Affix(text, arguments, start: true))),
        "endswith" => Value.Callable((arguments, _) => Value.FromBool(Affix(text, arguments, start: false))),
        "split" => Value.Callable((arguments, _) => Split(text, Members.Flatten(arguments), budget)),
        "replace" => Value.Callable((arguments, _) => Replace(text, Members.Flatten(arguments), budget)),
        _ => Value.Undefined,
    };

    private static Value Method(Func<string> body) => Value.Callable((_, _) => Value.Str(body()));

    private static bool Affix(string text, CallArguments arguments, bool start)
    {
        var flat = Members.Flatten(arguments);
        if (flat.Count == 0)
        {
            throw Evaluator.Runtime("startswith()/endswith() requires an argument.");
        }

        bool Test(string affix) => start ? text.StartsWith(affix, StringComparison.Ordinal) : text.EndsWith(affix, StringComparison.Ordinal);
        var pattern = flat[0];
        if (pattern.Kind == ValueKind.String)
        {
            return Test(pattern.Text);
        }

        if (!pattern.IsList)
        {
            throw Evaluator.Runtime("startswith()/endswith() argument must be a string or tuple of strings.");
        }

        foreach (var item in pattern.Items)
        {
            if (item.Kind != ValueKind.String)
            {
                throw Evaluator.Runtime("startswith()/endswith() tuple elements must be strings.");
            }

            if (Test(item.Text))
            {
                return true;
            }
        }

        return false;
    }

    private static Value Split(string text, List<Value> arguments, Budget budget)
    {
        var separator = arguments.Count > 0 ? arguments[0] : Value.Null;
        var maxSplit = arguments.Count > 1 ? arguments[1] : Value.Int(-1);
        if (separator.Kind is not (ValueKind.String or ValueKind.Null) || maxSplit.Kind != ValueKind.Integer)
        {
            throw Evaluator.Runtime("split() takes an optional string separator and an integer maxsplit.");
        }

        var limit = maxSplit.Number;
        var parts = new List<Value>();
        if (separator.Kind == ValueKind.Null)
        {
            var trimmed = JsText.TrimStart(text);
            var i = 0;
            while (i < trimmed.Length)
            {
                while (i < trimmed.Length && JsText.IsWhiteSpace(trimmed[i]))
                {
                    i++;
                }

                if (i >= trimmed.Length)
                {
                    break;
                }

                var start = i;
                while (i < trimmed.Length && !JsText.IsWhiteSpace(trimmed[i]))
                {
                    i++;
                }

                budget.Step();
                if (limit != -1 && parts.Count >= limit)
                {
                    parts.Add(Value.Str(trimmed[start..]));
                    break;
                }

                parts.Add(Value.Str(trimmed[start..i]));
            }

            return Value.List(parts);
        }

        if (separator.Text.Length == 0)
        {
            throw Evaluator.Runtime("split() separator cannot be empty.");
        }

        var pieces = text.Split(separator.Text);
        budget.Charge(pieces.Length);
        var count = limit != -1 && pieces.Length > limit ? (int)Math.Max(limit, 0) : pieces.Length;
        for (var i = 0; i < count; i++)
        {
            parts.Add(Value.Str(pieces[i]));
        }

        if (count < pieces.Length)
        {
            parts.Add(Value.Str(string.Join(separator.Text, pieces, count, pieces.Length - count)));
        }

        return Value.List(parts);
    }

    private static Value Replace(string text, List<Value> arguments, Budget budget)
    {
        if (arguments.Count < 2)
        {
            throw Evaluator.Runtime("replace() requires at least two arguments.");
        }

        var (oldValue, newValue) = (arguments[0], arguments[1]);
        if (oldValue.Kind != ValueKind.String || newValue.Kind != ValueKind.String)
        {
            throw Evaluator.Runtime("replace() arguments must be strings.");
        }

        var count = arguments.Count > 2
            ? (arguments[2].Kind == ValueKind.KeywordArguments
                ? (arguments[2].Map.TryGetValue("count", out var c) ? c : Value.Null)
                : arguments[2])
            : Value.Null;
        if (count.Kind is not (ValueKind.Integer or ValueKind.Null))
        {
            throw Evaluator.Runtime("replace() count must be an integer or none.");
        }

        return Value.Str(ReplaceText(text, oldValue.Text, newValue.Text, count.Kind == ValueKind.Null ? -1 : count.Number, budget));
    }

    /// <summary>Replaces up to <paramref name="count"/> occurrences (negative: all); an empty pattern matches at every code point boundary.</summary>
    internal static string ReplaceText(string text, string oldValue, string newValue, double count, Budget budget)
    {
        if (count == 0)
        {
            return text;
        }

        var remaining = count < 0 ? double.PositiveInfinity : count;
        var builder = new StringBuilder();
        var pos = 0;
        while (remaining > 0)
        {
            int match;
            if (oldValue.Length == 0)
            {
                match = pos;
                if (match > text.Length)
                {
                    break;
                }
            }
            else
            {
                match = text.IndexOf(oldValue, pos, StringComparison.Ordinal);
                if (match < 0)
                {
                    break;
                }
            }

            builder.Append(text, pos, match - pos).Append(newValue);
            budget.CheckLength(builder.Length);
            budget.Step();
            remaining--;
            if (oldValue.Length == 0)
            {
                if (match >= text.Length)
                {
                    pos = text.Length + 1;
                    break;
                }

                var width = char.IsHighSurrogate(text[match]) && match + 1 < text.Length && char.IsLowSurrogate(text[match + 1]) ? 2 : 1;
                builder.Append(text, match, width);
                pos = match + width;
            }
            else
            {
                pos = match + oldValue.Length;
            }
        }

        if (pos <= text.Length)
        {
            builder.Append(text, pos, text.Length - pos);
        }

        budget.CheckLength(builder.Length);
        return builder.ToString();
    }
}
