using System.Globalization;

namespace Edgewise.Configuration;

/// <summary>
/// The one rule for the names of <c>edgewise.yaml</c> entries (models, agents, routers, MCP servers) and the list of
/// known names that an error about an unknown one ends with.
/// </summary>
public static class ConfigNames
{
    private const int MaxLength = 64;

    /// <summary>Returns <paramref name="name"/>, the key of <paramref name="node"/>, if it is a valid entry name.</summary>
    /// <exception cref="ConfigException">The name is empty, longer than 64 characters or holds a character other than letters, digits, '-', '_' and '.'.</exception>
    public static string Check(YamlNodeReader node, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length is 0 or > MaxLength || !name.All(static c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            throw node.Error("names are 1-64 characters of letters, digits, '-', '_' and '.'");
        }

        return name;
    }

    /// <summary>
    /// <c>; known: A, B, …</c> with <paramref name="names"/> in ordinal order, or an empty string when there are none:
    /// the tail of an "unknown model/tool/agent" error.
    /// </summary>
    public static string Known(IEnumerable<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        var list = string.Join(", ", names.Order(StringComparer.Ordinal));
        return list.Length == 0 ? string.Empty : string.Create(CultureInfo.InvariantCulture, $"; known: {list}");
    }
}
