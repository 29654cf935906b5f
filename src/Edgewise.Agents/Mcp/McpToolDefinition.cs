namespace Edgewise.Agents.Mcp;

/// <summary>
/// A tool an MCP server offers, as seen at listing time, with the hash that pins it (A09): SHA-256 over the
/// name, the description and the canonical input schema. A changed hash means the definition changed (a "rug
/// pull") and the tool stays disabled until the new hash is pinned.
/// </summary>
/// <param name="Name">The tool name.</param>
/// <param name="Description">The description, cut to <see cref="McpToolSource.MaxDescriptionChars"/>.</param>
/// <param name="Hash">The definition hash (lowercase hex).</param>
/// <param name="HasInvisibleCharacters">True when the name or description holds zero-width, bidi-control or tag characters (hidden instructions).</param>
/// <param name="Enabled">True when the hash matches the pin and nothing is flagged, so agents may use the tool.</param>
public sealed record McpToolDefinition(string Name, string Description, string Hash, bool HasInvisibleCharacters, bool Enabled)
{
    /// <summary>The tool's input schema as the server listed it (the hash covers its canonical form).</summary>
    public System.Text.Json.JsonElement InputSchema { get; init; }
}
