using System.Text.Json;
using Edgewise.Agents.Diagnostics;
using Microsoft.Extensions.AI;

namespace Edgewise.Agents.Tools;

/// <summary>
/// Runs the tool calls of one model turn under the agent's policy: allow-list (A03), schema validation (A02),
/// approval (A04), per-call timeout (A08), result cap and data delimiters (A05, A07). Every outcome is an event
/// (and so an audit row), a <see cref="AgentToolCall"/>, and a <see cref="FunctionResultContent"/> for the model.
/// </summary>
internal sealed class ToolExecutor(AgentOptions options)
{
    private const string Malformed = "malformed_tool_call";

    /// <summary>The result of one call: its content for the model (null while awaiting approval) and whether it failed.</summary>
    public readonly record struct Outcome(FunctionResultContent? Result, bool Failed);

    public async Task<Outcome> ExecuteAsync(AgentRun run, FunctionCallContent call, CancellationToken cancellationToken)
    {
        var callId = string.IsNullOrEmpty(call.CallId) ? ToolCallParser.NewCallId() : call.CallId;
        var name = call.Name ?? "unknown";
        if (call.Exception is not null)
        {
            return await FailAsync(run, name, callId, "{}", null, ToolCallStatus.Failed, Malformed,
                "The tool call could not be parsed. Write one JSON object with \"name\" and \"arguments\".", "malformed tool call", cancellationToken).ConfigureAwait(false);
        }

        if (!TryGetArguments(call, out var arguments))
        {
            return await FailAsync(run, name, callId, "{}", null, ToolCallStatus.Failed, Malformed,
                "The tool call arguments are not a JSON object.", "malformed tool call arguments", cancellationToken).ConfigureAwait(false);
        }

        var canonical = CanonicalJson.Write(arguments);
        var hash = CanonicalJson.ArgumentsHash(name, canonical);
        var tool = Find(name);
        if (tool is null)
        {
            AgentMetrics.ToolDenied(run.AgentName, "policy");
            await run.EmitAsync(AgentRunEventKind.Denied, "tool not in the agent's allow-list", name, callId, hash, cancellationToken).ConfigureAwait(false);
            return Record(run, name, callId, canonical, ToolCallStatus.Denied, ToolOutput.Error(name, callId, "tool_not_available", "No tool with this name is available to you."), failed: true);
        }

        if (ToolSchemaValidator.Validate(tool.Function.JsonSchema, arguments) is { } problem)
        {
            return await FailAsync(run, name, callId, canonical, hash, ToolCallStatus.InvalidArguments, "invalid_arguments", problem,
                "arguments do not match the tool's schema", cancellationToken).ConfigureAwait(false);
        }

        if (tool.RequiresApproval)
        {
            var now = run.Now;
            run.Session.PendingApprovals.Add(new ApprovalRequest(callId, name, canonical, hash, now, now + options.EffectiveApprovalTimeout));
            await run.EmitAsync(AgentRunEventKind.ApprovalRequested, "tool requires approval", name, callId, hash, cancellationToken).ConfigureAwait(false);
            run.AddToolCall(new AgentToolCall(callId, name, canonical, ToolCallStatus.AwaitingApproval, null));
            return new Outcome(null, false);
        }

        return await InvokeAsync(run, tool, callId, arguments, canonical, hash, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Resolves the session's pending approvals with the run's decisions; returns the results and whether any stay pending.</summary>
    public async Task<(List<AIContent> Results, bool StillPending)> ResolveApprovalsAsync(AgentRun run, bool supersede, CancellationToken cancellationToken)
    {
        var results = new List<AIContent>();
        var remaining = new List<ApprovalRequest>();
        foreach (var request in run.Session.PendingApprovals)
        {
            var decision = run.Decisions.FirstOrDefault(d => string.Equals(d.CallId, request.CallId, StringComparison.Ordinal));
            string? denial = null;
            if (run.InterruptedApprovals.Contains(request.CallId))
            {
                // Decided once already (and perhaps run): recording a denial now would decide it twice.
                await run.EmitAsync(AgentRunEventKind.ToolError, "approval decided in an interrupted run", request.ToolName, request.CallId, request.ArgumentsHash, cancellationToken).ConfigureAwait(false);
                var interrupted = ToolOutput.Error(request.ToolName, request.CallId, "approval_interrupted", "This call's approval was answered, but the run that applied it was interrupted; whether the tool ran is unknown.");
                run.AddToolCall(new AgentToolCall(request.CallId, request.ToolName, request.Arguments, ToolCallStatus.Failed, interrupted));
                results.Add(new FunctionResultContent(request.CallId, interrupted));
                continue;
            }

            if (run.Now >= request.ExpiresAt)
            {
                denial = "approval timed out";
            }
            else if (decision is null)
            {
                if (!supersede)
                {
                    remaining.Add(request);
                    continue;
                }

                denial = "approval superseded by new input";
            }
            else if (!decision.Approved)
            {
                denial = "denied by the user";
            }
            else if (!ApprovalMatches(run, request, decision, out var arguments) || Find(request.ToolName) is not { } tool)
            {
                denial = "approval does not match the call's arguments";
            }
            else
            {
                await run.EmitAsync(AgentRunEventKind.ApprovalGranted, "approved by the user", request.ToolName, request.CallId, request.ArgumentsHash, cancellationToken).ConfigureAwait(false);
                var outcome = await InvokeAsync(run, tool, request.CallId, arguments, request.Arguments, request.ArgumentsHash, cancellationToken).ConfigureAwait(false);
                results.Add(outcome.Result!);
                continue;
            }

            AgentMetrics.ToolDenied(run.AgentName, "approval");
            await run.EmitAsync(AgentRunEventKind.ApprovalDenied, denial, request.ToolName, request.CallId, request.ArgumentsHash, cancellationToken).ConfigureAwait(false);
            var content = ToolOutput.Error(request.ToolName, request.CallId, "approval_denied", "The user did not approve this call; it did not run.");
            run.AddToolCall(new AgentToolCall(request.CallId, request.ToolName, request.Arguments, ToolCallStatus.Denied, content));
            results.Add(new FunctionResultContent(request.CallId, content));
        }

        run.Session.PendingApprovals.Clear();
        foreach (var request in remaining)
        {
            run.Session.PendingApprovals.Add(request);
        }

        return (results, remaining.Count > 0);
    }

    private async Task<Outcome> InvokeAsync(AgentRun run, AgentTool tool, string callId, JsonElement arguments, string canonical, string hash, CancellationToken cancellationToken)
    {
        AgentMetrics.ToolCalled(run.AgentName, tool.Name);
        await run.EmitAsync(AgentRunEventKind.ToolCall, "tool invoked", tool.Name, callId, hash, cancellationToken).ConfigureAwait(false);
        var functionArguments = new AIFunctionArguments();
        foreach (var property in arguments.EnumerateObject())
        {
            functionArguments[property.Name] = property.Value.Clone();
        }

        using var timeout = new CancellationTokenSource(tool.Timeout ?? options.EffectiveToolTimeout, options.Clock);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        object? value;
        try
        {
            value = await tool.Function.InvokeAsync(functionArguments, linked.Token).AsTask().WaitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return await FailAsync(run, tool.Name, callId, canonical, hash, ToolCallStatus.TimedOut, "tool_timeout",
                "The tool did not answer in time.", "tool timed out", cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return await FailAsync(run, tool.Name, callId, canonical, hash, ToolCallStatus.Failed, "tool_failed",
                "The tool failed (" + ex.GetType().Name + ").", "tool failed", cancellationToken).ConfigureAwait(false);
        }

        var text = ToolOutput.Cap(ToolOutput.ToText(value, tool.Function.JsonSerializerOptions), options.EffectiveMaxToolResultBytes);
        var wrapped = ToolOutput.Wrap(tool.Name, callId, text);
        await run.EmitAsync(AgentRunEventKind.ToolResult, text.EndsWith(ToolOutput.TruncationMarker, StringComparison.Ordinal) ? "tool result truncated" : "tool returned",
            tool.Name, callId, hash, cancellationToken).ConfigureAwait(false);
        return Record(run, tool.Name, callId, canonical, ToolCallStatus.Completed, wrapped, failed: false);
    }

    private static bool ApprovalMatches(AgentRun run, ApprovalRequest request, ApprovalDecision decision, out JsonElement arguments)
    {
        arguments = default;
        if (!string.Equals(decision.ArgumentsHash, request.ArgumentsHash, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        try
        {
            using var document = JsonDocument.Parse(request.Arguments);
            arguments = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return false;
        }

        if (arguments.ValueKind != JsonValueKind.Object
            || !string.Equals(CanonicalJson.ArgumentsHash(request.ToolName, CanonicalJson.Write(arguments)), request.ArgumentsHash, StringComparison.Ordinal))
        {
            return false;
        }

        var original = FindCall(run.Session, request.CallId);
        return original is not null
            && string.Equals(original.Name, request.ToolName, StringComparison.Ordinal)
            && TryGetArguments(original, out var originalArguments)
            && string.Equals(CanonicalJson.ArgumentsHash(original.Name, CanonicalJson.Write(originalArguments)), request.ArgumentsHash, StringComparison.Ordinal);
    }

    private static FunctionCallContent? FindCall(AgentSession session, string callId)
    {
        for (var i = session.Messages.Count - 1; i >= 0; i--)
        {
            foreach (var content in session.Messages[i].Contents)
            {
                if (content is FunctionCallContent call && string.Equals(call.CallId, callId, StringComparison.Ordinal))
                {
                    return call;
                }
            }
        }

        return null;
    }

    private static bool TryGetArguments(FunctionCallContent call, out JsonElement arguments)
    {
        try
        {
            arguments = JsonSerializer.SerializeToElement(call.Arguments ?? new Dictionary<string, object?>(), AgentsJsonContext.Info<IDictionary<string, object?>>(SessionJson.Options));
            return arguments.ValueKind == JsonValueKind.Object;
        }
        catch (Exception ex) when (ex is NotSupportedException or JsonException or InvalidOperationException)
        {
            arguments = default;
            return false;
        }
    }

    private AgentTool? Find(string name)
    {
        foreach (var tool in options.Tools)
        {
            if (string.Equals(tool.Name, name, StringComparison.Ordinal))
            {
                return tool;
            }
        }

        return null;
    }

    private static async Task<Outcome> FailAsync(AgentRun run, string name, string callId, string canonical, string? hash, ToolCallStatus status, string code, string message, string detail, CancellationToken cancellationToken)
    {
        await run.EmitAsync(AgentRunEventKind.ToolError, detail, name, callId, hash, cancellationToken).ConfigureAwait(false);
        return Record(run, name, callId, canonical, status, ToolOutput.Error(name, callId, code, message), failed: true);
    }

    private static Outcome Record(AgentRun run, string name, string callId, string canonical, ToolCallStatus status, string content, bool failed)
    {
        run.AddToolCall(new AgentToolCall(callId, name, canonical, status, content));
        return new Outcome(new FunctionResultContent(callId, content), failed);
    }
}
