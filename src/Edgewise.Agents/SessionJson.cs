using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Edgewise.Agents;

/// <summary>JSON options for sessions and messages: M.E.AI's content type discriminators plus compact output.</summary>
internal static class SessionJson
{
    public static JsonSerializerOptions Options { get; } = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(AIJsonUtilities.DefaultOptions) { WriteIndented = false };
        options.TypeInfoResolverChain.Insert(0, AgentsJsonContext.Default);
        options.MakeReadOnly();
        return options;
    }
}
