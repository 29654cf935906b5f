using Edgewise.Agents.Configuration;
using Edgewise.Samples.Tools;

namespace Edgewise.Testing;

/// <summary>
/// The samples' seven tools as C# registry tools, for the tests of configurations that name registry tools (the
/// product registers none; the samples get the same tools from their MCP server). The test projects that link this
/// file also link samples/sample-tools/SampleTools.cs, so the tools and their data are the server's own:
/// inventory_lookup, find_alternatives, price_quote, place_order (approval), appointment_availability,
/// service_status and reset_password (approval).
/// </summary>
internal static class TestTools
{
    /// <summary>A new registry holding the seven tools; place_order and reset_password require approval.</summary>
    public static ToolRegistry Registry()
    {
        var registry = new ToolRegistry();
        foreach (var function in SampleTools.All)
        {
            registry.Register(function.Name, function, requiresApproval: function.Name is "place_order" or "reset_password");
        }

        return registry;
    }
}
