using Edgewise.Agents;
using Edgewise.Server.Errors;
using Edgewise.Server.Hosting;
using Edgewise.Server.Http;
using Edgewise.Server.OpenAi;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Edgewise.Server.Agents;

/// <summary>
/// The agent routes: <c>GET /v1/agents</c>, <c>POST /v1/agents/{name}/runs</c>, <c>GET /v1/sessions</c> (the
/// caller's own sessions, newest first), <c>GET</c>/<c>DELETE
/// /v1/sessions/{id}</c> and <c>POST /v1/sessions/{id}/approvals/{callId}</c>. Sessions are the caller's own: any
/// other key gets the 404 of a missing id (A13); one run per session at a time (409).
/// </summary>
internal static class AgentEndpoints
{
    private const int DefaultSessionLimit = 20;
    private const int MaxSessionLimit = 100;

    public static IEndpointRouteBuilder MapAgents(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1");
        group.MapGet("/agents", ListAgents);
        group.MapPost("/agents/{name}/runs", RunAsync);
        group.MapGet("/sessions", ListSessionsAsync);
        group.MapGet("/sessions/{id}", GetSessionAsync);
        group.MapDelete("/sessions/{id}", DeleteSessionAsync);
        group.MapPost("/sessions/{id}/approvals/{callId}", ApproveAsync);
        return app;
    }

    private static Task ListAgents(HttpContext context, AgentCatalog catalog)
    {
        var data = new List<AgentInfoDto>();
        if (catalog.Config is { } config)
        {
            foreach (var agent in config.Agents.Values)
            {
                data.Add(new AgentInfoDto(agent.Name, "agent", agent.Description, agent.Model, agent.Tools)
                {
                    ApprovalRequired = agent.ApprovalRequired,
                    Private = agent.Private,
                });
            }

            foreach (var router in config.Routers.Values)
            {
                var description = "Routes each request to one of: " + string.Join(", ", router.Agents) + ".";
                data.Add(new AgentInfoDto(router.Name, "router", description, router.Model, []) { Agents = router.Agents });
            }
        }

        return OpenAiEndpoints.WriteJsonAsync(context, new AgentListDto(data));
    }

    private static async Task RunAsync(HttpContext context, string name, AgentCatalog catalog, AgentSessions sessions, AgentRunner runner, ModelHost host, ServerOptions options)
    {
        var body = await JsonBody.ReadAsync<AgentRunRequest>(context, options.MaxRequestBodyBytes).ConfigureAwait(false);
        if (string.IsNullOrWhiteSpace(body.Input))
        {
            throw ApiException.Invalid("The input is required.", "input", ErrorCodes.MissingField);
        }

        if (body.Input.Length > Agent.MaxInputChars)
        {
            throw ApiException.Invalid("The input is too long.", "input");
        }

        var isRouter = catalog.IsRouter(name);
        if (!catalog.IsAgent(name) && !isRouter)
        {
            throw AgentCatalog.NotFound();
        }

        var cancel = context.RequestAborted;
        var owner = SessionOwner.Of(context);
        var key = RequestGuard.KeyOf(context);
        if (body.SessionId is { } id)
        {
            var (session, claim) = await ClaimOwnedAsync(sessions, id, owner, cancel).ConfigureAwait(false);
            await using (claim.ConfigureAwait(false))
            {
                var agentName = session.AgentName ?? name;
                if (!string.Equals(agentName, name, StringComparison.Ordinal) && !catalog.CanContinue(name, agentName))
                {
                    throw ApiException.Invalid("The session belongs to another agent.", "session_id");
                }

                var agent = await catalog.CreateAgentAsync(agentName, key, cancel).ConfigureAwait(false);
                host.Resolve(agent.Options.Model!);
                var interrupted = await sessions.InterruptedApprovalsAsync(session, null, cancel).ConfigureAwait(false);
                var continued = interrupted.Count == 0 ? null : new AgentRunOptions { InterruptedApprovals = interrupted };
                await runner.RunAsync(context, agent, session, body.Input, continued, body.Stream == true).ConfigureAwait(false);
            }

            return;
        }

        Agent chosen;
        AgentRunOptions? runOptions = null;
        if (isRouter)
        {
            var router = await catalog.CreateRouterAsync(name, key, cancel).ConfigureAwait(false);
            var decision = await AgentRunner.RouteAsync(router, body.Input, cancel).ConfigureAwait(false);
            chosen = decision.Agent;
            runOptions = decision.ToRunOptions();
        }
        else
        {
            chosen = await catalog.CreateAgentAsync(name, key, cancel).ConfigureAwait(false);
            host.Resolve(chosen.Options.Model!);
        }

        var now = sessions.Clock.GetUtcNow();
        var fresh = new AgentSession { AgentName = chosen.Name, IsPrivate = chosen.Options.IsPrivate, Owner = owner, CreatedAt = now, UpdatedAt = now };
        var freshClaim = await sessions.ClaimAsync(fresh.Id, cancel).ConfigureAwait(false);
        await using (freshClaim.ConfigureAwait(false))
        {
            await runner.RunAsync(context, chosen, fresh, body.Input, runOptions, body.Stream == true).ConfigureAwait(false);
        }
    }

    private static async Task ListSessionsAsync(HttpContext context, AgentSessions sessions)
    {
        var limit = DefaultSessionLimit;
        if (context.Request.Query.TryGetValue("limit", out var raw)
            && (!int.TryParse(raw.ToString(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxSessionLimit))
        {
            throw ApiException.Invalid("limit must be an integer from 1 to " + MaxSessionLimit + ".", "limit");
        }

        var summaries = await sessions.ListOwnedAsync(SessionOwner.Of(context), limit, context.RequestAborted).ConfigureAwait(false);
        var data = summaries.Select(s => new SessionSummaryDto(s.Id, s.AgentName, s.CreatedAt, s.UpdatedAt, s.MessageCount)).ToList();
        await OpenAiEndpoints.WriteJsonAsync(context, new SessionListDto(data)).ConfigureAwait(false);
    }

    private static async Task GetSessionAsync(HttpContext context, string id, AgentSessions sessions)
    {
        var session = await sessions.GetOwnedAsync(id, SessionOwner.Of(context), context.RequestAborted).ConfigureAwait(false);
        await OpenAiEndpoints.WriteJsonAsync(context, AgentWire.Session(session)).ConfigureAwait(false);
    }

    private static async Task DeleteSessionAsync(HttpContext context, string id, AgentSessions sessions)
    {
        await sessions.DeleteOwnedAsync(id, SessionOwner.Of(context), context.RequestAborted).ConfigureAwait(false);
        await OpenAiEndpoints.WriteJsonAsync(context, new SessionDeletedDto(id)).ConfigureAwait(false);
    }

    private static async Task ApproveAsync(HttpContext context, string id, string callId, AgentCatalog catalog, AgentSessions sessions, AgentRunner runner, ServerOptions options)
    {
        var body = await JsonBody.ReadAsync<ApprovalRequestBody>(context, options.MaxRequestBodyBytes).ConfigureAwait(false);
        if (body.Approved is not { } approved)
        {
            throw ApiException.Invalid("approved (true or false) is required.", "approved", ErrorCodes.MissingField);
        }

        var cancel = context.RequestAborted;
        var (session, claim) = await ClaimOwnedAsync(sessions, id, SessionOwner.Of(context), cancel).ConfigureAwait(false);
        await using (claim.ConfigureAwait(false))
        {
            var request = session.PendingApprovals.FirstOrDefault(r => string.Equals(r.CallId, callId, StringComparison.Ordinal))
                ?? throw new ApiException(404, ErrorTypes.NotFound, "approval_not_found", "The session has no pending approval with this call id.", "call_id");
            if (session.AgentName is not { } agentName || !catalog.IsAgent(agentName))
            {
                throw AgentCatalog.NotFound();
            }

            var agent = await catalog.CreateAgentAsync(agentName, RequestGuard.KeyOf(context), cancel).ConfigureAwait(false);
            var interrupted = await sessions.InterruptedApprovalsAsync(session, request.CallId, cancel).ConfigureAwait(false);
            await sessions.DecideAsync(id, request.CallId, approved, cancel).ConfigureAwait(false);
            var decision = new ApprovalDecision(request.CallId, body.ArgumentsHash ?? request.ArgumentsHash, approved);
            await runner.RunAsync(context, agent, session, null, new AgentRunOptions { Approvals = [decision], InterruptedApprovals = interrupted }, body.Stream == true).ConfigureAwait(false);
        }
    }

    /// <summary>Checks ownership, claims the session for this request, and reloads it so the run starts from the latest version.</summary>
    private static async Task<(AgentSession Session, IAsyncDisposable Claim)> ClaimOwnedAsync(AgentSessions sessions, string id, string owner, CancellationToken cancellationToken)
    {
        await sessions.GetOwnedAsync(id, owner, cancellationToken).ConfigureAwait(false);
        var claim = await sessions.ClaimAsync(id, cancellationToken).ConfigureAwait(false);
        try
        {
            return (await sessions.GetOwnedAsync(id, owner, cancellationToken).ConfigureAwait(false), claim);
        }
        catch
        {
            await claim.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
