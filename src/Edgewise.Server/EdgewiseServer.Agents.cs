using Edgewise.Server.Agents;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Edgewise.Server;

/// <summary>The agent and session routes and their services.</summary>
public static partial class EdgewiseServer
{
    static partial void MapAgentEndpoints(WebApplication app) => app.MapAgents();

    static partial void AddAgentServices(IServiceCollection services, ServerOptions options)
    {
        services.AddSingleton<AgentSessions>();
        services.AddSingleton<AgentCatalog>();
        services.AddSingleton<AgentRunner>();
        services.AddHostedService<AgentStorageService>();
    }
}
