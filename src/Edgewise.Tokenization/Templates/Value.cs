using System.Globalization;
using System.Text;

namespace Edgewise.Tokenization.Templates;

/// <summary>The closed set of value kinds a template can see; there is no path to .NET objects.</summary>
internal enum ValueKind
{
    Undefined,
    Null,
    Boolean,
    Integer,
    Float,
    String,
    Array,
    Tuple,
    Object,
    KeywordArguments,
    Namespace,
    Function,
}

/// <summary>A built-in or macro callable: positional arguments, keyword arguments, the caller's scope.</summary>
internal delegate Value TemplateFunction(CallArguments arguments, Scope callerScope);

/// <summary>Evaluated call arguments. Keywords is null when the call had none.</summary>
internal readonly record struct CallArguments(List<Value> Positional, OrderedDictionary<string, Value>? Keywords)
{
    public Value At(int index) => index < Positional.Count ? Positional[index] : Value.Undefined;

    public Value? Keyword(string name) =>
        Keywords is not null && Keywords.TryGetValue(name, out var value) ? value : null;

    /// <summary>Positional argument <paramref name="index"/>, else keyword <paramref name="name"/>, else null.</summary>
    public Value? Get(int index, string name) => index < Positional.Count ? Positional[index] : Keyword(name);
}

/// <summary>
/// One template value. Numbers are doubles tagged integer or float (the reference renderer is JavaScript);
/// lists share their backing list and dicts their map, so identity comparisons behave like the reference.
/// </summary>
internal sealed class Value
{
    public static readonly Value Undefined = new(ValueKind.Undefined);
    public static readonly Value Null = new(ValueKind.Null);
    public static readonly Value True = new(ValueKind.Boolean) { Bool = true };
    public static readonly Value False = new(ValueKind.Boolean);
    public static readonly Value EmptyString = new(ValueKind.String) { Text = string.Empty };

    private const int SmallIntegerCount = 1024;
    private static readonly Value[] s_smallIntegers = CreateSmallIntegers();

    private Value(ValueKind kind) => Kind = kind;

    private static Value[] CreateSmallIntegers()
    {
        var values = new Value[SmallIntegerCount];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = new Value(ValueKind.Integer) { Number = i };
        }

        return values;
    }

    public ValueKind Kind { get; }

    public bool Bool { get; private init; }

    public double Number { get; private init; }

    public string Text { get; private init; } = string.Empty;

    public List<Value> Items { get; private init; } = [];

    public OrderedDictionary<string, Value> Map { get; private init; } = [];

    public TemplateFunction? Function { get; private init; }

    public bool IsNumber => Kind is ValueKind.Integer or ValueKind.Float;

    public bool IsList => Kind is ValueKind.Array or ValueKind.Tuple;

    public bool IsDict => Kind is ValueKind.Object or ValueKind.KeywordArguments;

    public bool IsAttributeContainer => IsDict || Kind == ValueKind.Namespace;

    public bool IsNullish => Kind is ValueKind.Null or ValueKind.Undefined;

    public static Value FromBool(bool value) => value ? True : False;

    public static Value Int(double value) =>
        value is >= 0 and < SmallIntegerCount && double.IsInteger(value) && !double.IsNegative(value)
            ? s_smallIntegers[(int)value]
            : new(ValueKind.Integer) { Number = value };

    public static Value Float(double value) => new(ValueKind.Float) { Number = value };

    /// <summary>A number from outside (JSON, a JS-style function result): integral values are integers.</summary>
    public static Value NumberOf(double value) => double.IsInteger(value) ? Int(value) : Float(value);

    public static Value Str(string value) => value.Length == 0 ? EmptyString : new(ValueKind.String) { Text = value };

    public static Value List(List<Value> items) => new(ValueKind.Array) { Items = items };

    public static Value Tuple(List<Value> items) => new(ValueKind.Tuple) { Items = items };

    public static Value Dict(OrderedDictionary<string, Value> map) => new(ValueKind.Object) { Map = map };

    public static Value Keywords(OrderedDictionary<string, Value> map) => new(ValueKind.KeywordArguments) { Map = map };

    public static Value Namespace(OrderedDictionary<string, Value> map) => new(ValueKind.Namespace) { Map = map };

    public static Value Callable(TemplateFunction function) => new(ValueKind.Function) { Function = function };

    /// <summary>Truthiness as the reference defines it: empty lists and dicts are false, namespaces and functions true.</summary>
    public bool IsTruthy() => Kind switch
    {
        ValueKind.Undefined or ValueKind.Null => false,
        ValueKind.Boolean => Bool,
        ValueKind.Integer or ValueKind.Float => Number != 0 && !double.IsNaN(Number),
        ValueKind.String => Text.Length > 0,
        ValueKind.Array or ValueKind.Tuple => Items.Count > 0,
        ValueKind.Object or ValueKind.KeywordArguments => Map.Count > 0,
        _ => true,
    };

    /// <summary>The text a value renders as inside <c>{{ }}</c> (floats keep ".0", containers are JSON).</summary>
    public string ToDisplayString(Budget? budget = null) => Kind switch
    {
        ValueKind.Undefined => "undefined",
        ValueKind.Null => "null",
        ValueKind.Boolean => Bool ? "true" : "false",
        ValueKind.Integer => JsNumber.ToString(Number),
        ValueKind.Float => JsNumber.ToFloatDisplay(Number),
        ValueKind.String => Text,
        ValueKind.Function => throw new TemplateException(TemplateErrorCodes.Unsupported, "A function cannot be rendered as text."),
        _ => JsonText.Serialize(this, JsonTextOptions.Display, budget),
    };

    /// <summary>The text a value turns into under <c>+</c> and <c>~</c> (numbers without ".0", lists comma-joined).</summary>
    public string ToConcatString(Budget? budget = null)
    {
        switch (Kind)
        {
            case ValueKind.String:
                return Text;
            case ValueKind.Integer:
            case ValueKind.Float:
                return JsNumber.ToString(Number);
            case ValueKind.Boolean:
                return Bool ? "true" : "false";
            case ValueKind.Array:
            case ValueKind.Tuple:
                var builder = new StringBuilder();
                for (var i = 0; i < Items.Count; i++)
                {
                    if (i > 0)
                    {
                        builder.Append(',');
                    }

                    builder.Append(Items[i].ToDisplayString(budget));
                    budget?.CheckLength(builder.Length);
                }

                return builder.ToString();
            case ValueKind.Object:
            case ValueKind.KeywordArguments:
            case ValueKind.Namespace:
                return "[object Map]";
            default:
                throw new TemplateException(TemplateErrorCodes.Unsupported, "This value cannot be converted to text.");
        }
    }

    /// <summary>The reference's type name, used in a few error messages.</summary>
    public string TypeName => Kind switch
    {
        ValueKind.Undefined => "undefined",
        ValueKind.Null => "none",
        ValueKind.Boolean => "boolean",
        ValueKind.Integer => "integer",
        ValueKind.Float => "float",
        ValueKind.String => "string",
        ValueKind.Array => "list",
        ValueKind.Tuple => "tuple",
        ValueKind.Object or ValueKind.KeywordArguments => "dict",
        ValueKind.Namespace => "namespace",
        _ => "function",
    };

    /// <summary>JavaScript strict equality (<c>===</c>) of the underlying values.</summary>
    public static bool StrictEquals(Value a, Value b)
    {
        if (a.IsNumber && b.IsNumber)
        {
            return a.Number == b.Number;
        }

        if (a.Kind != b.Kind)
        {
            return a.IsDict && b.IsDict && ReferenceEquals(a.Map, b.Map);
        }

        return a.Kind switch
        {
            ValueKind.Undefined or ValueKind.Null => true,
            ValueKind.Boolean => a.Bool == b.Bool,
            ValueKind.String => string.Equals(a.Text, b.Text, StringComparison.Ordinal),
            ValueKind.Array or ValueKind.Tuple => ReferenceEquals(a.Items, b.Items),
            ValueKind.Function => ReferenceEquals(a.Function, b.Function),
            _ => ReferenceEquals(a.Map, b.Map),
        };
    }

    /// <summary>JavaScript loose equality (<c>==</c>) of the underlying values, which is what the reference's <c>==</c> does.</summary>
    public static bool LooseEquals(Value a, Value b)
    {
        while (true)
        {
            if (a.Kind == b.Kind || (a.IsNumber && b.IsNumber) || (a.IsDict && b.IsDict))
            {
                return StrictEquals(a, b);
            }

            if (a.IsNullish || b.IsNullish)
            {
                return a.IsNullish && b.IsNullish;
            }

            if (a.Kind == ValueKind.Boolean)
            {
                a = Int(a.Bool ? 1 : 0);
                continue;
            }

            if (b.Kind == ValueKind.Boolean)
            {
                b = Int(b.Bool ? 1 : 0);
                continue;
            }

            var aPrimitive = a.IsNumber || a.Kind == ValueKind.String;
            var bPrimitive = b.IsNumber || b.Kind == ValueKind.String;
            if (aPrimitive && bPrimitive)
            {
                var x = a.IsNumber ? a.Number : JsNumber.Parse(a.Text);
                var y = b.IsNumber ? b.Number : JsNumber.Parse(b.Text);
                return x == y;
            }

            if (aPrimitive == bPrimitive || a.Kind == ValueKind.Function || b.Kind == ValueKind.Function)
            {
                return false;
            }

            if (aPrimitive)
            {
                b = Str(b.ToConcatString());
            }
            else
            {
                a = Str(a.ToConcatString());
            }
        }
    }

    public override string ToString() => Kind == ValueKind.String ? Text : TypeName;
}

/// <summary>JavaScript number formatting and parsing, so numbers render as the reference renders them.</summary>
internal static class JsNumber
{
    /// <summary><c>Number.prototype.toString()</c>: shortest round-trip digits, exponent outside [1e-7, 1e21).</summary>
    public static string ToString(double value)
    {
        if (double.IsNaN(value))
        {
            return "NaN";
        }

        if (value == 0)
        {
            return "0";
        }

        if (double.IsInfinity(value))
        {
            return value > 0 ? "Infinity" : "-Infinity";
        }

        if (double.IsInteger(value) && Math.Abs(value) < 1e15)
        {
            return ((long)value).ToString(CultureInfo.InvariantCulture);
        }

        var negative = value < 0;
        var shortest = Math.Abs(value).ToString("R", CultureInfo.InvariantCulture);
        var ePos = shortest.IndexOf('E', StringComparison.Ordinal);
        var mantissa = ePos < 0 ? shortest : shortest[..ePos];
        var exponent = ePos < 0 ? 0 : int.Parse(shortest.AsSpan(ePos + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        var dot = mantissa.IndexOf('.', StringComparison.Ordinal);
        var intPart = dot < 0 ? mantissa : mantissa[..dot];
        var fracPart = dot < 0 ? string.Empty : mantissa[(dot + 1)..];
        var digits = (intPart + fracPart).TrimStart('0');
        var leadingZeros = (intPart + fracPart).Length - digits.Length;
        digits = digits.TrimEnd('0');
        var n = intPart.Length + exponent - leadingZeros;
        var k = digits.Length;
        var builder = new StringBuilder(negative ? "-" : string.Empty);
        if (k <= n && n <= 21)
        {
            builder.Append(digits).Append('0', n - k);
        }
        else if (n > 0 && n <= 21)
        {
            builder.Append(digits, 0, n).Append('.').Append(digits, n, k - n);
        }
        else if (n > -6 && n <= 0)
        {
            builder.Append("0.").Append('0', -n).Append(digits);
        }
        else
        {
            var e = n - 1;
            builder.Append(digits[0]);
            if (k > 1)
            {
                builder.Append('.').Append(digits, 1, k - 1);
            }

            builder.Append('e').Append(e < 0 ? '-' : '+').Append(Math.Abs(e).ToString(CultureInfo.InvariantCulture));
        }

        return builder.ToString();
    }

    /// <summary>How the reference renders a float: integral values keep one decimal ("2.0"), -0 is "-0.0".</summary>
    public static string ToFloatDisplay(double value)
    {
        if (value == 0 && double.IsNegative(value))
        {
            return "-0.0";
        }

        if (double.IsInteger(value) && Math.Abs(value) < 1e21)
        {
            return value.ToString("F1", CultureInfo.InvariantCulture);
        }

        return ToString(value);
    }

    /// <summary><c>Number(text)</c> for decimal text; anything else is NaN.</summary>
    public static double Parse(string text)
    {
        var trimmed = JsText.Trim(text);
        if (trimmed.Length == 0)
        {
            return 0;
        }

        if (trimmed is "Infinity" or "+Infinity")
        {
            return double.PositiveInfinity;
        }

        if (trimmed == "-Infinity")
        {
            return double.NegativeInfinity;
        }

        foreach (var c in trimmed)
        {
            if (!(char.IsAsciiDigit(c) || c is '.' or 'e' or 'E' or '+' or '-'))
            {
                return double.NaN;
            }
        }

        return double.TryParse(trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out var result) ? result : double.NaN;
    }
}
