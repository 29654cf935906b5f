using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace Edgewise.Agents.Configuration;

/// <summary>Reads one YAML node strictly, naming the file, line and key path in every error.</summary>
internal readonly struct YamlNodeReader
{
    private readonly string _file;

    public YamlNodeReader(string file, YamlNode node, string path)
    {
        _file = file;
        Node = node;
        Path = path;
    }

    public YamlNode Node { get; }

    public string Path { get; }

    public ConfigException Error(string problem, Exception? inner = null) =>
        new(_file, Node.Start.Line, Node.Start.Column, Path, problem, inner);

    public YamlNodeReader Child(YamlNode node, string key) => new(_file, node, Path.Length == 0 ? key : Path + "." + key);

    public bool IsNull => Node is YamlScalarNode { Value: null or "" or "~" or "null", Style: not (YamlDotNet.Core.ScalarStyle.SingleQuoted or YamlDotNet.Core.ScalarStyle.DoubleQuoted) };

    /// <summary>The entries of a mapping, each key checked against <paramref name="allowed"/>.</summary>
    public IEnumerable<(string Key, YamlNodeReader Value)> Mapping(params string[] allowed)
    {
        if (Node is not YamlMappingNode mapping)
        {
            throw Error("expected a mapping (key: value lines)");
        }

        var result = new List<(string, YamlNodeReader)>(mapping.Children.Count);
        foreach (var (keyNode, valueNode) in mapping.Children)
        {
            if (keyNode is not YamlScalarNode { Value: { Length: > 0 } key })
            {
                throw new YamlNodeReader(_file, keyNode, Path).Error("keys must be plain names");
            }

            var keyReader = Child(keyNode, key);
            if (allowed.Length > 0 && Array.IndexOf(allowed, key) < 0)
            {
                throw keyReader.Error("unknown key; expected one of: " + string.Join(", ", allowed));
            }

            result.Add((key, Child(valueNode, key)));
        }

        return result;
    }

    public IReadOnlyList<YamlNodeReader> Sequence()
    {
        if (Node is not YamlSequenceNode sequence)
        {
            throw Error("expected a list");
        }

        var result = new List<YamlNodeReader>(sequence.Children.Count);
        for (var i = 0; i < sequence.Children.Count; i++)
        {
            result.Add(new YamlNodeReader(_file, sequence.Children[i], Path + "[" + i.ToString(CultureInfo.InvariantCulture) + "]"));
        }

        return result;
    }

    public string String()
    {
        if (Node is not YamlScalarNode { Value: { } value } || IsNull)
        {
            throw Error("expected a text value");
        }

        return value;
    }

    public IReadOnlyList<string> Strings()
    {
        var items = Sequence();
        var result = new List<string>(items.Count);
        foreach (var item in items)
        {
            result.Add(item.String());
        }

        return result;
    }

    public int Int(int min, int max)
    {
        if (!int.TryParse(Scalar("a whole number"), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            throw Error("expected a whole number");
        }

        if (value < min || value > max)
        {
            throw Error(string.Create(CultureInfo.InvariantCulture, $"must be between {min} and {max}"));
        }

        return value;
    }

    public float Float()
    {
        if (!float.TryParse(Scalar("a number"), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !float.IsFinite(value))
        {
            throw Error("expected a number");
        }

        return value;
    }

    public bool Bool() => Scalar("true or false") switch
    {
        "true" => true,
        "false" => false,
        _ => throw Error("expected true or false"),
    };

    /// <summary>A duration such as <c>500ms</c>, <c>30s</c>, <c>5m</c>, <c>2h</c> or <c>7d</c>.</summary>
    public TimeSpan Duration()
    {
        var text = Scalar("a duration such as 30s, 5m or 2h");
        var (digits, unit) = text.EndsWith("ms", StringComparison.Ordinal) ? (text[..^2], "ms") : text.Length > 1 ? (text[..^1], text[^1..]) : (text, string.Empty);
        if (!double.TryParse(digits, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n) || !double.IsFinite(n) || n <= 0)
        {
            throw Error("expected a positive duration such as 30s, 5m or 2h");
        }

        return unit switch
        {
            "ms" => TimeSpan.FromMilliseconds(n),
            "s" => TimeSpan.FromSeconds(n),
            "m" => TimeSpan.FromMinutes(n),
            "h" => TimeSpan.FromHours(n),
            "d" => TimeSpan.FromDays(n),
            _ => throw Error("expected a duration with a unit: ms, s, m, h or d"),
        };
    }

    private string Scalar(string expected)
    {
        if (Node is not YamlScalarNode { Value: { } value } || IsNull)
        {
            throw Error("expected " + expected);
        }

        return value;
    }
}
