using Edgewise.Agents.Tools;
using Microsoft.Extensions.AI;

namespace Edgewise.Agents.Configuration;

/// <summary>
/// Named C# tools that <c>edgewise.yaml</c> agents may list; names are unique and ordinal. The product registers none:
/// a host that embeds the server adds its own (<c>ServerOptions.Agents.Tools</c>), and the command line offers tools
/// through MCP servers (<c>mcp_servers:</c>) only.
/// </summary>
public sealed class ToolRegistry
{
    private readonly Dictionary<string, AgentTool> _tools = new(StringComparer.Ordinal);

    /// <summary>The registered names, sorted.</summary>
    public IReadOnlyList<string> Names => [.. _tools.Keys.Order(StringComparer.Ordinal)];

    /// <summary>Registers <paramref name="function"/> as <paramref name="name"/>; the name must equal the function's own.</summary>
    /// <exception cref="ArgumentException">The name is taken or differs from <paramref name="function"/>'s name.</exception>
    public void Register(string name, AIFunction function, bool requiresApproval = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(function);
        if (!string.Equals(name, function.Name, StringComparison.Ordinal))
        {
            throw new ArgumentException("The tool name must equal the function's name, which the model sees.", nameof(name));
        }

        if (!_tools.TryAdd(name, new AgentTool(function, requiresApproval)))
        {
            throw new ArgumentException("A tool named '" + name + "' is already registered.", nameof(name));
        }
    }

    /// <summary>True when <paramref name="name"/> is registered.</summary>
    public bool Contains(string name) => _tools.ContainsKey(name);

    /// <summary>The tool named <paramref name="name"/>, requiring approval when registered so or when <paramref name="requireApproval"/>.</summary>
    /// <exception cref="KeyNotFoundException">No tool has that name.</exception>
    public AgentTool Get(string name, bool requireApproval = false)
    {
        var tool = _tools.TryGetValue(name, out var found) ? found : throw new KeyNotFoundException("No tool named '" + name + "' is registered.");
        return requireApproval && !tool.RequiresApproval ? new AgentTool(tool.Function, requiresApproval: true, tool.Timeout) : tool;
    }
}
