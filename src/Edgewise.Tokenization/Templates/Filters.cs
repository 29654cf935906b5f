using System.Globalization;
using System.Text;

namespace Edgewise.Tokenization.Templates;

/// <summary>
/// The filters the reference provides, per operand type. A filter that is not listed for the operand's type
/// is an error, as it is in the reference.
/// </summary>
internal static class Filters
{
    public static Value Apply(Evaluator evaluator, Value operand, FilterNode node, Scope scope)
    {
        var budget = evaluator.Budget;
        if (node.Arguments is null)
        {
            return ApplyPlain(operand, node.Name, budget);
        }

        switch (node.Name)
        {
            case "tojson":
                return Value.Str(ToJson(operand, evaluator.EvalArguments(node.Arguments, scope), budget));
            case "join":
                return Join(operand, evaluator.EvalArguments(node.Arguments, scope), budget);
            case "int" or "float":
                return ToNumber(operand, node.Name, evaluator.EvalArguments(node.Arguments, scope));
            case "default":
                var args = evaluator.EvalArguments(node.Arguments, scope);
                var fallback = args.Positional.Count > 0 ? args.Positional[0] : Value.EmptyString;
                var boolean = args.Get(1, "boolean") ?? Value.False;
                if (boolean.Kind != ValueKind.Boolean)
                {
                    throw Evaluator.Runtime("The default filter's boolean flag must be a boolean.");
                }

                return operand.Kind == ValueKind.Undefined || (boolean.Bool && !operand.IsTruthy()) ? fallback : operand;
        }

        if (operand.IsList)
        {
            return node.Name switch
            {
                "sort" => Sort(operand, evaluator.EvalArguments(node.Arguments, scope), budget),
                "selectattr" or "rejectattr" => SelectAttribute(evaluator, operand, node, scope),
                "map" => MapAttribute(operand, evaluator.EvalArguments(node.Arguments, scope), budget),
                _ => throw Unknown(),
            };
        }

        if (operand.Kind == ValueKind.String)
        {
            return node.Name switch
            {
                "indent" => Indent(operand.Text, evaluator.EvalArguments(node.Arguments, scope)),
                "replace" => StringMethods.Get(operand.Text, "replace", budget).Function!(evaluator.EvalArguments(node.Arguments, scope), scope),
                _ => throw Unknown(),
            };
        }

        if (operand.IsDict && Members.DictMethodOrNull(operand, node.Name, budget) is { } method)
        {
            return method.Function!(evaluator.EvalArguments(node.Arguments, scope), scope);
        }

        throw Unknown();
    }

    private static TemplateException Unknown() =>
        new(TemplateErrorCodes.Unsupported, "The template uses a filter that does not apply to this value or is not supported.");

    private static Value ApplyPlain(Value operand, string name, Budget budget)
    {
        if (name == "safe")
        {
            return operand;
        }

        if (name == "tojson")
        {
            return Value.Str(JsonText.Serialize(operand, JsonTextOptions.Filter, budget));
        }

        switch (operand.Kind)
        {
            case ValueKind.Array or ValueKind.Tuple:
                return ListFilter(operand, name, budget);
            case ValueKind.String:
                return name switch
                {
                    "length" => Value.Int(operand.Text.Length),
                    "upper" => Value.Str(operand.Text.ToUpperInvariant()),
                    "lower" => Value.Str(operand.Text.ToLowerInvariant()),
                    "title" => Value.Str(JsText.Title(operand.Text)),
                    "capitalize" => Value.Str(operand.Text.Length == 0 ? string.Empty : char.ToUpperInvariant(operand.Text[0]) + operand.Text[1..]),
                    "trim" => Value.Str(JsText.Trim(operand.Text)),
                    "indent" => Value.Str(IndentLines(operand.Text, 4, first: false, blank: false)),
                    "join" or "string" => operand,
                    "int" => ParseLeadingInt(operand.Text) is { } i ? Value.Int(i) : Value.Int(0),
                    "float" => ParseLeadingFloat(operand.Text) is { } f ? Value.Float(f) : Value.Float(0),
                    _ => throw Unknown(),
                };
            case ValueKind.Integer or ValueKind.Float:
                return name switch
                {
                    "abs" => operand.Kind == ValueKind.Integer ? Value.Int(Math.Abs(operand.Number)) : Value.Float(Math.Abs(operand.Number)),
                    "int" => Value.Int(Math.Floor(operand.Number)),
                    "float" => Value.Float(operand.Number),
                    "string" => Value.Str(operand.ToDisplayString()),
                    _ => throw Unknown(),
                };
            case ValueKind.Object or ValueKind.KeywordArguments:
                return name switch
                {
                    "items" => Members.Items(operand, budget),
                    "length" => Value.Int(operand.Map.Count),
                    _ => Members.DictMethodOrNull(operand, name, budget) is { } method
                        ? method.Function!(new CallArguments([], null), new Scope(null))
                        : throw Unknown(),
                };
            case ValueKind.Boolean:
                return name switch
                {
                    "bool" => operand,
                    "int" => Value.Int(operand.Bool ? 1 : 0),
                    "float" => Value.Float(operand.Bool ? 1 : 0),
                    "string" => Value.Str(operand.Bool ? "true" : "false"),
                    _ => throw Unknown(),
                };
            default:
                throw Unknown();
        }
    }

    private static Value ListFilter(Value operand, string name, Budget budget)
    {
        var items = operand.Items;
        switch (name)
        {
            case "list":
                return operand;
            case "first":
                return items.Count > 0 ? items[0] : Value.Undefined;
            case "last":
                return items.Count > 0 ? items[^1] : Value.Undefined;
            case "length":
                return Value.Int(items.Count);
            case "reverse":
                budget.Charge(items.Count);
                var reversed = new List<Value>(items);
                reversed.Reverse();
                return Value.List(reversed);
            case "sort":
                return Value.List(Operators.StableSort(items, (a, b) => Operators.Compare(a, b, caseSensitive: false), budget));
            case "join":
                return Value.Str(JoinRaw(items, string.Empty, budget));
            case "string":
                return Value.Str(JsonText.Serialize(operand, JsonTextOptions.Display, budget));
            case "unique":
                budget.Charge(items.Count);
                var output = new List<Value>();
                foreach (var item in items)
                {
                    budget.Charge(output.Count);
                    if (!output.Exists(seen => SameValueZero(seen, item)))
                    {
                        output.Add(item);
                    }
                }

                return Value.List(output);
            default:
                throw Unknown();
        }
    }

    private static bool SameValueZero(Value a, Value b) =>
        Value.StrictEquals(a, b) || (a.IsNumber && b.IsNumber && double.IsNaN(a.Number) && double.IsNaN(b.Number));

    private static string JoinRaw(List<Value> items, string separator, Budget budget)
    {
        var builder = new StringBuilder();
        for (var i = 0; i < items.Count; i++)
        {
            if (i > 0)
            {
                builder.Append(separator);
            }

            if (!items[i].IsNullish)
            {
                builder.Append(items[i].ToConcatString(budget));
            }

            budget.Step();
            budget.CheckLength(builder.Length);
        }

        return builder.ToString();
    }

    private static string ToJson(Value operand, CallArguments arguments, Budget budget)
    {
        var indent = arguments.Keyword("indent") ?? Value.Null;
        var ensureAscii = arguments.Keyword("ensure_ascii") ?? Value.False;
        var sortKeys = arguments.Keyword("sort_keys") ?? Value.False;
        var separators = arguments.Keyword("separators") ?? Value.Null;
        if (indent.Kind is not (ValueKind.Integer or ValueKind.Null)
            || ensureAscii.Kind != ValueKind.Boolean
            || sortKeys.Kind != ValueKind.Boolean)
        {
            throw Evaluator.Runtime("tojson: indent must be an integer, ensure_ascii and sort_keys booleans.");
        }

        string? itemSeparator = null;
        string? keySeparator = null;
        if (separators.IsList)
        {
            if (separators.Items.Count != 2 || separators.Items[0].Kind != ValueKind.String || separators.Items[1].Kind != ValueKind.String)
            {
                throw Evaluator.Runtime("tojson: separators must be a pair of strings.");
            }

            (itemSeparator, keySeparator) = (separators.Items[0].Text, separators.Items[1].Text);
        }
        else if (separators.Kind != ValueKind.Null)
        {
            throw Evaluator.Runtime("tojson: separators must be a pair of strings.");
        }

        var width = indent.Kind == ValueKind.Integer ? (int)Math.Clamp(indent.Number, 0, 64) : 0;
        var options = new JsonTextOptions(width, ensureAscii.Bool, sortKeys.Bool, itemSeparator, keySeparator);
        return JsonText.Serialize(operand, options, budget);
    }

    private static Value Join(Value operand, CallArguments arguments, Budget budget)
    {
        List<Value> items;
        if (operand.Kind == ValueKind.String)
        {
            items = JsText.CodePoints(operand.Text).ConvertAll(Value.Str);
        }
        else if (operand.IsList)
        {
            items = operand.Items;
        }
        else
        {
            throw Unknown();
        }

        var separator = arguments.Get(0, "separator") ?? Value.EmptyString;
        if (separator.Kind != ValueKind.String)
        {
            throw Evaluator.Runtime("join: separator must be a string.");
        }

        return Value.Str(JoinRaw(items, separator.Text, budget));
    }

    private static Value ToNumber(Value operand, string name, CallArguments arguments)
    {
        var isInt = name == "int";
        var fallback = arguments.Get(0, "default") ?? (isInt ? Value.Int(0) : Value.Float(0));
        switch (operand.Kind)
        {
            case ValueKind.String:
                var parsed = isInt ? ParseLeadingInt(operand.Text) : ParseLeadingFloat(operand.Text);
                return parsed is { } number ? (isInt ? Value.Int(number) : Value.Float(number)) : fallback;
            case ValueKind.Integer or ValueKind.Float:
                return operand;
            case ValueKind.Boolean:
                return isInt ? Value.Int(operand.Bool ? 1 : 0) : Value.Float(operand.Bool ? 1 : 0);
            default:
                throw Unknown();
        }
    }

    /// <summary><c>parseInt(text, 10)</c>: optional sign and leading digits after whitespace; null for NaN.</summary>
    private static double? ParseLeadingInt(string text)
    {
        var s = JsText.TrimStart(text);
        var end = s.Length > 0 && s[0] is '+' or '-' ? 1 : 0;
        var digitsStart = end;
        while (end < s.Length && char.IsAsciiDigit(s[end]))
        {
            end++;
        }

        return end > digitsStart ? double.Parse(s.AsSpan(0, end), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture) : null;
    }

    /// <summary><c>parseFloat(text)</c>: the longest decimal-literal prefix after whitespace; null for NaN.</summary>
    private static double? ParseLeadingFloat(string text)
    {
        var s = JsText.TrimStart(text);
        var i = s.Length > 0 && s[0] is '+' or '-' ? 1 : 0;
        if (string.CompareOrdinal(s, i, "Infinity", 0, 8) == 0)
        {
            return s[0] == '-' ? double.NegativeInfinity : double.PositiveInfinity;
        }

        var digits = 0;
        while (i < s.Length && char.IsAsciiDigit(s[i]))
        {
            i++;
            digits++;
        }

        if (i < s.Length && s[i] == '.')
        {
            i++;
            while (i < s.Length && char.IsAsciiDigit(s[i]))
            {
                i++;
                digits++;
            }
        }

        if (digits == 0)
        {
            return null;
        }

        var mantissaEnd = i;
        if (i < s.Length && s[i] is 'e' or 'E')
        {
            var j = i + 1 < s.Length && s[i + 1] is '+' or '-' ? i + 2 : i + 1;
            var expStart = j;
            while (j < s.Length && char.IsAsciiDigit(s[j]))
            {
                j++;
            }

            mantissaEnd = j > expStart ? j : mantissaEnd;
        }

        return double.Parse(s.AsSpan(0, mantissaEnd), NumberStyles.Float, CultureInfo.InvariantCulture);
    }

    private static Value Indent(string text, CallArguments arguments)
    {
        var width = arguments.Get(0, "width") ?? Value.Int(4);
        if (width.Kind != ValueKind.Integer)
        {
            throw Evaluator.Runtime("indent: width must be an integer.");
        }

        var first = arguments.Get(1, "first") ?? Value.False;
        var blank = arguments.Get(2, "blank") ?? Value.False;
        return Value.Str(IndentLines(text, (int)Math.Clamp(width.Number, 0, 256), first.IsTruthy(), blank.IsTruthy()));
    }

    private static string IndentLines(string text, int width, bool first, bool blank)
    {
        var lines = text.Split('\n');
        var pad = new string(' ', width);
        for (var i = 0; i < lines.Length; i++)
        {
            if ((first || i != 0) && (blank || lines[i].Length != 0))
            {
                lines[i] = pad + lines[i];
            }
        }

        return string.Join('\n', lines);
    }

    private static Value Sort(Value operand, CallArguments arguments, Budget budget)
    {
        var reverse = arguments.Get(0, "reverse") ?? Value.False;
        var caseSensitive = arguments.Get(1, "case_sensitive") ?? Value.False;
        var attribute = arguments.Get(2, "attribute") ?? Value.Null;
        if (reverse.Kind != ValueKind.Boolean || caseSensitive.Kind != ValueKind.Boolean)
        {
            throw Evaluator.Runtime("sort: reverse and case_sensitive must be booleans.");
        }

        if (attribute.Kind is not (ValueKind.String or ValueKind.Integer or ValueKind.Null))
        {
            throw Evaluator.Runtime("sort: attribute must be a string, integer or none.");
        }

        var path = attribute.Kind == ValueKind.Null ? null : attribute.Kind == ValueKind.String ? attribute.Text : JsNumber.ToString(attribute.Number);
        Value Key(Value item) => path is null ? item : AttributePath(item, path);
        var sign = reverse.Bool ? -1 : 1;
        return Value.List(Operators.StableSort(operand.Items, (a, b) => sign * Operators.Compare(Key(a), Key(b), caseSensitive.Bool), budget));
    }

    private static Value AttributePath(Value item, string path)
    {
        var value = item;
        foreach (var part in path.Split('.'))
        {
            if (value.IsAttributeContainer)
            {
                value = value.Map.TryGetValue(part, out var next) ? next : Value.Undefined;
            }
            else if (value.IsList && int.TryParse(part, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var index)
                && index >= 0 && index < value.Items.Count)
            {
                value = value.Items[index];
            }
            else
            {
                return Value.Undefined;
            }
        }

        return value;
    }

    private static Value SelectAttribute(Evaluator evaluator, Value operand, FilterNode node, Scope scope)
    {
        var select = node.Name == "selectattr";
        if (!operand.Items.TrueForAll(item => item.IsAttributeContainer))
        {
            throw Evaluator.Runtime("selectattr/rejectattr apply only to lists of mappings.");
        }

        if (!node.Arguments!.TrueForAll(argument => argument is StringLiteral))
        {
            throw Evaluator.Runtime("selectattr/rejectattr arguments must be string literals.");
        }

        var arguments = evaluator.EvalArguments(node.Arguments, scope).Positional;
        var attribute = arguments.Count > 0 ? arguments[0].Text : "undefined";
        var testName = arguments.Count > 1 ? arguments[1].Text : null;
        var argument = arguments.Count > 2 ? arguments[2] : Value.Undefined;
        if (testName is not null && !Tests.Exists(testName))
        {
            throw new TemplateException(TemplateErrorCodes.Unsupported, "The template uses a test this renderer does not support.");
        }

        evaluator.Budget.Charge(operand.Items.Count);
        var result = new List<Value>();
        foreach (var item in operand.Items)
        {
            var passes = item.Map.TryGetValue(attribute, out var value)
                && (testName is null ? value.IsTruthy() : Tests.Run(testName, value, argument));
            if (passes == select)
            {
                result.Add(item);
            }
        }

        return Value.List(result);
    }

    private static Value MapAttribute(Value operand, CallArguments arguments, Budget budget)
    {
        if (arguments.Keyword("attribute") is not { } attribute)
        {
            throw new TemplateException(TemplateErrorCodes.Unsupported, "map without attribute= is not supported.");
        }

        if (attribute.Kind != ValueKind.String)
        {
            throw Evaluator.Runtime("map: attribute must be a string.");
        }

        var fallback = arguments.Keyword("default");
        budget.Charge(operand.Items.Count);
        var result = new List<Value>(operand.Items.Count);
        foreach (var item in operand.Items)
        {
            if (!item.IsAttributeContainer)
            {
                throw Evaluator.Runtime("map: items must be mappings.");
            }

            var value = AttributePath(item, attribute.Text);
            result.Add(value.Kind == ValueKind.Undefined ? fallback ?? Value.Undefined : value);
        }

        return Value.List(result);
    }
}
