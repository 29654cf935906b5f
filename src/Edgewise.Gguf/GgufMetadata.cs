using System.Collections;

namespace Edgewise.Gguf;

/// <summary>The key/value metadata of a GGUF file, in file order, with typed accessors.</summary>
public sealed class GgufMetadata : IReadOnlyCollection<KeyValuePair<string, GgufValue>>
{
    private readonly Dictionary<string, GgufValue> _byKey;
    private readonly List<KeyValuePair<string, GgufValue>> _ordered;

    /// <summary>Creates metadata from entries in file order; keys must be unique.</summary>
    public GgufMetadata(IEnumerable<KeyValuePair<string, GgufValue>> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        _ordered = [.. entries];
        _byKey = new Dictionary<string, GgufValue>(_ordered.Count, StringComparer.Ordinal);
        foreach (var (key, value) in _ordered)
        {
            if (!_byKey.TryAdd(key, value))
            {
                throw new ArgumentException("Duplicate metadata key.", nameof(entries));
            }
        }
    }

    /// <inheritdoc/>
    public int Count => _ordered.Count;

    /// <summary>The value of <paramref name="key"/>, or null.</summary>
    public GgufValue? this[string key] => _byKey.GetValueOrDefault(key);

    /// <summary>True when <paramref name="key"/> is present.</summary>
    public bool Contains(string key) => _byKey.ContainsKey(key);

    /// <summary>The string value of <paramref name="key"/>, or null when absent or not a string.</summary>
    public string? GetString(string key) => this[key]?.AsString();

    /// <summary>The integer value of <paramref name="key"/>, or null when absent, not an integer, or not representable.</summary>
    public long? GetInt64(string key) => this[key]?.AsInt64();

    /// <summary>The numeric value of <paramref name="key"/> as a double, or null.</summary>
    public double? GetDouble(string key) => this[key]?.AsDouble();

    /// <summary>The bool value of <paramref name="key"/>, or null.</summary>
    public bool? GetBool(string key) => this[key]?.AsBool();

    /// <inheritdoc/>
    public IEnumerator<KeyValuePair<string, GgufValue>> GetEnumerator() => _ordered.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
