using System.Text.Json;
using Edgewise.Server.Agents;
using Edgewise.Server.Generation;
using Edgewise.Server.Hosting;
using Edgewise.Server.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Edgewise.Server.OpenAi;

/// <summary>
/// The OpenAI-compatible routes: chat completions and the model list. A configured agent's or router's name is
/// accepted as <c>model</c> (agents first) and answered by the agent (<see cref="AgentChatCompletions"/>); agents are
/// listed beside the models.
/// </summary>
internal static class OpenAiEndpoints
{
    public static IEndpointRouteBuilder MapOpenAi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1");
        group.MapPost("/chat/completions", ChatCompletionsAsync);
        group.MapGet("/models", ListModels);
        group.MapGet("/models/{id}", GetModel);
        return app;
    }

    private static async Task ChatCompletionsAsync(HttpContext context, GenerationHandler generation, ServerOptions options, AgentCatalog agents)
    {
        var request = await JsonBody.ReadAsync<ChatCompletionRequest>(context, options.MaxRequestBodyBytes).ConfigureAwait(false);
        var call = ChatRequestMapper.Map(request);
        if (agents.IsAgent(call.Model) || agents.IsRouter(call.Model))
        {
            await AgentChatCompletions.HandleAsync(context, call, agents, options).ConfigureAwait(false);
            return;
        }

        var run = new GenerationRequest(call.Model, call.Messages, call.Options);
        if (call.Stream)
        {
            var writer = new ChatStreamWriter(context, call);
            if (await generation.StreamAsync(context, run, writer).ConfigureAwait(false))
            {
                await writer.CompleteAsync().ConfigureAwait(false);
            }

            return;
        }

        var (model, response) = await generation.RespondAsync(context, run).ConfigureAwait(false);
        await WriteJsonAsync(context, ChatResponses.ToCompletion(response, model, ChatResponses.NewId(), DateTimeOffset.UtcNow.ToUnixTimeSeconds())).ConfigureAwait(false);
    }

    private static Task ListModels(HttpContext context, ModelHost host, AgentCatalog agents)
    {
        var agentNames = agents.Config is { } config ? config.Agents.Keys.Concat(config.Routers.Keys) : [];
        var names = host.Resolver.Names.Concat(host.Manager.Loaded.Select(m => m.Name)).Concat(agentNames).Distinct(StringComparer.Ordinal);
        var list = new ModelListDto(names.Select(n => Describe(host, n)).ToList());
        return WriteJsonAsync(context, list);
    }

    private static Task GetModel(HttpContext context, ModelHost host, AgentCatalog agents, string id)
    {
        var known = agents.IsAgent(id) || agents.IsRouter(id) || host.Resolver.Names.Contains(id, StringComparer.Ordinal) || host.Manager.Loaded.Any(m => string.Equals(m.Name, id, StringComparison.Ordinal));
        if (!known)
        {
            host.Resolve(ChatRequestMapper.ModelName(id));
        }

        return WriteJsonAsync(context, Describe(host, id));
    }

    private static ModelDto Describe(ModelHost host, string name)
    {
        var loaded = host.Manager.Loaded.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.Ordinal));
        return new ModelDto(name, (loaded?.LoadedAt ?? DateTimeOffset.UnixEpoch).ToUnixTimeSeconds());
    }

    internal static Task WriteJsonAsync<T>(HttpContext context, T value)
    {
        context.Response.ContentType = "application/json";
        return context.Response.Body.WriteAsync(ServerJsonContext.BodyBytes(value), context.RequestAborted).AsTask();
    }
}
