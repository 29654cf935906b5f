using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Edgewise.Tokenization.Templates;

/// <summary>The global scope: constants, <c>namespace</c>, <c>range</c>, <c>raise_exception</c>, <c>strftime_now</c> and the context.</summary>
internal static class Globals
{
    private static readonly string[] s_monthsShort = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    private static readonly string[] s_monthsLong =
        ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

    public static Scope Create(ChatTemplateContext context, Budget budget)
    {
        var scope = new Scope(null);
        scope.Set("false", Value.False);
        scope.Set("true", Value.True);
        scope.Set("none", Value.Null);
        scope.Set("False", Value.False);
        scope.Set("True", Value.True);
        scope.Set("None", Value.Null);
        scope.Set("namespace", Value.Callable((arguments, _) => Namespace(arguments)));
        scope.Set("range", Value.Callable((arguments, _) => Range(arguments, budget)));
        scope.Set("raise_exception", Value.Callable((arguments, _) => throw new TemplateException(
            TemplateErrorCodes.Raised, arguments.At(0).IsNullish ? "raise_exception" : arguments.At(0).ToConcatString())));
        var now = context.Now ?? DateTimeOffset.Now;
        scope.Set("strftime_now", Value.Callable((arguments, _) => Value.Str(Strftime(now.DateTime, arguments.At(0)))));

        Declare(scope, "messages", FromJson(context.Messages, budget, 0));
        Declare(scope, "add_generation_prompt", Value.FromBool(context.AddGenerationPrompt));
        Declare(scope, "tools", FromJson(context.Tools, budget, 0));
        Declare(scope, "bos_token", context.BosToken is null ? Value.Undefined : Value.Str(context.BosToken));
        Declare(scope, "eos_token", context.EosToken is null ? Value.Undefined : Value.Str(context.EosToken));
        if (context.Variables is not null)
        {
            foreach (var (name, node) in context.Variables)
            {
                Declare(scope, name, FromJson(node, budget, 0));
            }
        }

        return scope;
    }

    private static void Declare(Scope scope, string name, Value value)
    {
        if (scope.HasLocal(name))
        {
            throw new TemplateException(TemplateErrorCodes.Context, "A context variable redeclares a built-in or another variable.");
        }

        scope.Set(name, value);
    }

    /// <summary>Converts JSON into template values; integral numbers become integers, as JavaScript sees them.</summary>
    public static Value FromJson(JsonNode? node, Budget budget, int depth)
    {
        budget.Step();
        if (depth > 512)
        {
            throw new TemplateException(TemplateErrorCodes.DepthCap, "The context nests deeper than the depth cap.");
        }

        switch (node)
        {
            case null:
                return Value.Null;
            case JsonArray array:
                var items = new List<Value>(array.Count);
                foreach (var item in array)
                {
                    items.Add(FromJson(item, budget, depth + 1));
                }

                return Value.List(items);
            case JsonObject obj:
                var map = new OrderedDictionary<string, Value>(obj.Count, StringComparer.Ordinal);
                foreach (var (key, item) in obj)
                {
                    map[key] = FromJson(item, budget, depth + 1);
                }

                return Value.Dict(map);
            default:
                var value = node.AsValue();
                return value.GetValueKind() switch
                {
                    JsonValueKind.String => Value.Str(value.TryGetValue<string>(out var text) ? text : StringOf(value)),
                    JsonValueKind.True => Value.True,
                    JsonValueKind.False => Value.False,
                    JsonValueKind.Number => Value.NumberOf(double.Parse(value.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture)),
                    _ => Value.Null,
                };
        }
    }

    private static string StringOf(JsonValue value)
    {
        using var document = JsonDocument.Parse(value.ToJsonString());
        return document.RootElement.GetString() ?? string.Empty;
    }

    private static Value Namespace(CallArguments arguments)
    {
        if (arguments.Positional.Count > 1)
        {
            throw Evaluator.Runtime("namespace() takes at most one positional argument.");
        }

        var entries = new OrderedDictionary<string, Value>(StringComparer.Ordinal);
        if (arguments.Positional.Count == 1)
        {
            var source = arguments.Positional[0];
            if (source.IsDict)
            {
                foreach (var (key, value) in source.Map)
                {
                    entries[key] = value;
                }
            }
            else if (source.IsList)
            {
                foreach (var pair in source.Items)
                {
                    List<Value>? parts = pair.IsList ? pair.Items : pair.Kind == ValueKind.String ? JsText.CodePoints(pair.Text).ConvertAll(Value.Str) : null;
                    if (parts is not { Count: 2 } || parts[0].Kind != ValueKind.String)
                    {
                        throw Evaluator.Runtime("namespace() expects a mapping or a list of [key, value] pairs.");
                    }

                    entries[parts[0].Text] = parts[1];
                }
            }
            else
            {
                throw Evaluator.Runtime("namespace() expects a mapping or a list of pairs.");
            }
        }

        if (arguments.Keywords is not null)
        {
            foreach (var (key, value) in arguments.Keywords)
            {
                entries[key] = value;
            }
        }

        return Value.Namespace(entries);
    }

    private static Value Range(CallArguments arguments, Budget budget)
    {
        var positional = arguments.Positional;
        if (positional.Count is 0 or > 3 || !positional.TrueForAll(v => v.IsNumber))
        {
            throw Evaluator.Runtime("range() takes one to three numbers.");
        }

        double start = 0;
        double stop = positional[0].Number;
        double step = 1;
        if (positional.Count > 1)
        {
            start = positional[0].Number;
            stop = positional[1].Number;
        }

        if (positional.Count > 2)
        {
            step = positional[2].Number;
        }

        if (step == 0 || double.IsNaN(step))
        {
            throw Evaluator.Runtime("range() step must not be zero.");
        }

        var count = Math.Max(0, Math.Ceiling((stop - start) / step));
        budget.Charge(double.IsFinite(count) ? (long)Math.Min(count, long.MaxValue / 2) : long.MaxValue / 2);
        var result = new List<Value>((int)Math.Min(count, 1 << 16));
        for (var i = start; step > 0 ? i < stop : i > stop; i += step)
        {
            result.Add(Value.NumberOf(i));
        }

        return Value.List(result);
    }

    /// <summary>The reference's strftime subset: %Y %m %d %b %B %H %M %% (English month names).</summary>
    private static string Strftime(DateTime now, Value format)
    {
        if (format.Kind != ValueKind.String)
        {
            throw Evaluator.Runtime("strftime_now() expects a format string.");
        }

        var text = format.Text;
        var builder = new System.Text.StringBuilder(text.Length + 16);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '%' || i + 1 >= text.Length)
            {
                builder.Append(text[i]);
                continue;
            }

            var token = text[i + 1];
            var replacement = token switch
            {
                'Y' => now.Year.ToString(CultureInfo.InvariantCulture),
                'm' => now.Month.ToString("00", CultureInfo.InvariantCulture),
                'd' => now.Day.ToString("00", CultureInfo.InvariantCulture),
                'b' => s_monthsShort[now.Month - 1],
                'B' => s_monthsLong[now.Month - 1],
                'H' => now.Hour.ToString("00", CultureInfo.InvariantCulture),
                'M' => now.Minute.ToString("00", CultureInfo.InvariantCulture),
                '%' => "%",
                _ => null,
            };
            if (replacement is null)
            {
                builder.Append('%');
                continue;
            }

            builder.Append(replacement);
            i++;
        }

        return builder.ToString();
    }
}
