using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Edgewise.Configuration;

/// <summary>
/// Reads one YAML node strictly, naming the file, line and key path in every error (<see cref="ConfigException"/>).
/// Every section of <c>edgewise.yaml</c> is read through it: the models section (<see cref="ModelsSectionReader"/>), the
/// agents configuration and the server's own sections.
/// </summary>
public readonly struct YamlNodeReader
{
    private readonly string _file;

    /// <summary>Wraps <paramref name="node"/> of <paramref name="file"/>, found at key path <paramref name="path"/>.</summary>
    public YamlNodeReader(string file, YamlNode node, string path)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(path);
        _file = file;
        Node = node;
        Path = path;
    }

    /// <summary>The YAML node.</summary>
    public YamlNode Node { get; }

    /// <summary>The dotted key path of the node, e.g. <c>server.limits.parallel</c>; empty for the root.</summary>
    public string Path { get; }

    /// <summary>The file the node was read from, as given.</summary>
    public string File => _file;

    /// <summary>The 1-based line of the node.</summary>
    public long Line => Node.Start.Line;

    /// <summary>
    /// Parses <paramref name="yaml"/> (one document) as if read from <paramref name="file"/> and returns its root.
    /// </summary>
    /// <exception cref="ConfigException">The text is not YAML or holds more or fewer than one document.</exception>
    public static YamlNodeReader Parse(string yaml, string file)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        ArgumentNullException.ThrowIfNull(file);
        var stream = new YamlStream();
        var parser = new Parser(new StringReader(yaml));
        try
        {
            stream.Load(parser);
        }
        catch (YamlException ex)
        {
            throw new ConfigException(file, ex.Start.Line, ex.Start.Column, string.Empty, "not valid YAML: " + ex.Message, ex);
        }
        catch (InvalidOperationException ex)
        {
            var mark = parser.Current?.End ?? Mark.Empty;
            throw new ConfigException(file, mark.Line, mark.Column, string.Empty, "not valid YAML: an unterminated [list] or {mapping}", ex);
        }

        if (stream.Documents.Count != 1)
        {
            throw new ConfigException(file, 1, 1, string.Empty, "expected exactly one YAML document");
        }

        return new YamlNodeReader(file, stream.Documents[0].RootNode, string.Empty);
    }

    /// <summary>An error about this node: file, line, column and key path, then <paramref name="problem"/>.</summary>
    public ConfigException Error(string problem, Exception? inner = null) =>
        new(_file, Node.Start.Line, Node.Start.Column, Path, problem, inner);

    /// <summary>A reader for <paramref name="node"/>, a child of this node under <paramref name="key"/>.</summary>
    public YamlNodeReader Child(YamlNode node, string key) => new(_file, node, Path.Length == 0 ? key : Path + "." + key);

    /// <summary>True for an empty or null scalar (<c>~</c>, <c>null</c>, nothing), unless quoted.</summary>
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

    /// <summary>The items of a list.</summary>
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

    /// <summary>A text value.</summary>
    public string String()
    {
        if (Node is not YamlScalarNode { Value: { } value } || IsNull)
        {
            throw Error("expected a text value");
        }

        return value;
    }

    /// <summary>A list of text values.</summary>
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

    /// <summary>A whole number between <paramref name="min"/> and <paramref name="max"/>.</summary>
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

    /// <summary>A finite number.</summary>
    public float Float()
    {
        if (!float.TryParse(Scalar("a number"), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !float.IsFinite(value))
        {
            throw Error("expected a number");
        }

        return value;
    }

    /// <summary><c>true</c> or <c>false</c>.</summary>
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

    /// <summary>
    /// A size in bytes between <paramref name="min"/> and <paramref name="max"/>: a whole number, optionally with a unit
    /// <c>KiB</c>, <c>MiB</c> or <c>GiB</c> (powers of 1024), e.g. <c>4MiB</c>.
    /// </summary>
    public long Bytes(long min, long max)
    {
        var text = Scalar("a size such as 4MiB");
        var (digits, scale) = text switch
        {
            _ when text.EndsWith("KiB", StringComparison.Ordinal) => (text[..^3], 1L << 10),
            _ when text.EndsWith("MiB", StringComparison.Ordinal) => (text[..^3], 1L << 20),
            _ when text.EndsWith("GiB", StringComparison.Ordinal) => (text[..^3], 1L << 30),
            _ => (text, 1L),
        };
        if (!long.TryParse(digits.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n > long.MaxValue / scale)
        {
            throw Error("expected a size: a whole number of bytes, or with KiB, MiB or GiB, e.g. 4MiB");
        }

        var value = n * scale;
        if (value < min || value > max)
        {
            throw Error(string.Create(CultureInfo.InvariantCulture, $"must be between {min} and {max} bytes"));
        }

        return value;
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
