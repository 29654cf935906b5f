using Edgewise.Agents.Diagnostics;
using Edgewise.Agents.Tools;
using Microsoft.Extensions.AI;

namespace Edgewise.Agents;

/// <summary>
/// An agent over one <see cref="IChatClient"/> with our own tool loop: the model is called with the agent's
/// instructions, history and tool declarations; requested calls run under <see cref="ToolExecutor"/>'s policy and
/// their results go back to the model, until it answers, a tool needs approval, three calls in a row fail
/// (<c>tool_error</c>), the run uses its tool rounds or run time (<c>max_iterations</c>), or the model hands the
/// session to another agent (<see cref="AgentOptions.Handoffs"/>).
/// </summary>
public sealed partial class ChatAgent : Agent
{
    private const int MaxConsecutiveToolErrors = 3;
    private readonly IChatClient _chatClient;
    private readonly ToolExecutor _executor;
    private readonly ContextWindow _context;

    /// <summary>Creates an agent that talks to <paramref name="chatClient"/>.</summary>
    public ChatAgent(IChatClient chatClient, AgentOptions options)
        : base(options)
    {
        ArgumentNullException.ThrowIfNull(chatClient);
        _chatClient = chatClient;
        _executor = new ToolExecutor(options);
        _context = new ContextWindow(options);
    }

    /// <inheritdoc/>
    protected override async Task RunCoreAsync(AgentRun run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        var left = Options.EffectiveRunTimeout - (run.Now - run.StartedAt);
        if (left <= TimeSpan.Zero)
        {
            run.Finish(AgentFinishReason.MaxIterations);
            return;
        }

        using var runTimeout = new CancellationTokenSource(left, Options.Clock);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, runTimeout.Token);
        try
        {
            if (await PrepareAsync(run, linked.Token).ConfigureAwait(false))
            {
                await ConverseWithEscalationAsync(run, linked.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (runTimeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            run.Finish(AgentFinishReason.MaxIterations);
        }
    }

    private async Task ConverseWithEscalationAsync(AgentRun run, CancellationToken cancellationToken)
    {
        var escalation = Options.Escalation;
        var allowed = escalation is not null && !Options.IsPrivate && !run.Session.IsPrivate;
        if (escalation is not null && !allowed && run.EscalationRequested)
        {
            await run.EmitAsync(AgentRunEventKind.Escalation, "escalation skipped: private", cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        if (allowed && run.EscalationRequested)
        {
            AgentMetrics.Escalated(Name, "requested");
            await run.EmitAsync(AgentRunEventKind.Escalation, "escalated to " + escalation!.TargetName + ": requested", cancellationToken: cancellationToken).ConfigureAwait(false);
            if (await TryTargetAsync(run, escalation, cancellationToken).ConfigureAwait(false))
            {
                return;
            }
        }

        var checkpoint = run.Checkpoint();
        await ConverseOnOwnModelAsync(run, cancellationToken).ConfigureAwait(false);
        if (!allowed || escalation!.ValidateOutput is not { } validate || run.FinishReason != AgentFinishReason.Stop
            || validate(run.LastAnswer()?.Text ?? string.Empty))
        {
            return;
        }

        AgentMetrics.Escalated(Name, "validation");
        await run.EmitAsync(AgentRunEventKind.Escalation, "escalated to " + escalation.TargetName + ": the local answer failed validation", cancellationToken: cancellationToken).ConfigureAwait(false);
        var local = run.Rollback(checkpoint);
        if (!await TryTargetAsync(run, escalation, cancellationToken).ConfigureAwait(false))
        {
            run.Restore(checkpoint, local);
        }
    }

    /// <summary>Runs the conversation on the agent's model; when that fails and a fallback is set, drops the partial turn, says so and continues locally.</summary>
    private async Task ConverseOnOwnModelAsync(AgentRun run, CancellationToken cancellationToken)
    {
        if (Options.Fallback is not { } fallback)
        {
            await ConverseAsync(run, _chatClient, cancellationToken).ConfigureAwait(false);
            return;
        }

        var checkpoint = run.Checkpoint();
        try
        {
            await ConverseAsync(run, _chatClient, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            run.Rollback(checkpoint);
            AgentMetrics.BackendFellBack(Name);
            await run.EmitAsync(AgentRunEventKind.Fallback, "model backend unreachable; continued on local model " + fallback.LocalName, cancellationToken: cancellationToken).ConfigureAwait(false);
            await ConverseAsync(run, fallback.Local, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Runs the conversation on the escalation target; on failure drops its partial turn, says so, and returns false.</summary>
    private async Task<bool> TryTargetAsync(AgentRun run, EscalationOptions escalation, CancellationToken cancellationToken)
    {
        var checkpoint = run.Checkpoint();
        try
        {
            await ConverseAsync(run, escalation.Target, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            run.Rollback(checkpoint);
            AgentMetrics.EscalationFellBack(Name);
            await run.EmitAsync(AgentRunEventKind.Escalation, "escalation target unreachable; continued locally", cancellationToken: cancellationToken).ConfigureAwait(false);
            return false;
        }
    }

    /// <summary>Resolves pending approvals and appends the input; false when the run stays paused.</summary>
    private async Task<bool> PrepareAsync(AgentRun run, CancellationToken cancellationToken)
    {
        if (run.Session.PendingApprovals.Count > 0)
        {
            var (results, stillPending) = await _executor.ResolveApprovalsAsync(run, supersede: run.Input is not null, cancellationToken).ConfigureAwait(false);
            if (results.Count > 0)
            {
                run.AddMessage(new ChatMessage(ChatRole.Tool, results));
            }

            if (stillPending)
            {
                run.Finish(AgentFinishReason.ApprovalRequired);
                return false;
            }
        }

        if (run.Input is { } input)
        {
            run.AddMessage(input);
            run.Input = null;
        }

        await _context.SummarizeAsync(run, _chatClient, cancellationToken).ConfigureAwait(false);
        return true;
    }

    private async Task ConverseAsync(AgentRun run, IChatClient chatClient, CancellationToken cancellationToken)
    {
        var handoffs = HandoffTools(run);
        var chatOptions = CreateChatOptions(handoffs);
        // The configured tool choice binds the model's reply to a user input only; after a tool round (the history then
        // ends in tool results) the model chooses freely, so a forced call runs once per input and never loops.
        ChatOptions? forcedOptions = null;
        if (chatOptions.Tools is { Count: > 0 } && Options.ToolChoice is RequiredChatToolMode forced)
        {
            forcedOptions = chatOptions.Clone();
            forcedOptions.ToolMode = forced;
        }

        bool ForcedReply(AgentRun r) => forcedOptions is not null && r.Session.Messages is { Count: > 0 } history && history[^1].Role == ChatRole.User;
        var consecutiveErrors = 0;
        for (var round = 0; ; round++)
        {
            var response = await CallModelAsync(run, chatClient, ForcedReply(run) ? forcedOptions! : chatOptions, cancellationToken).ConfigureAwait(false);
            run.AddUsage(response.Usage);
            var calls = new List<FunctionCallContent>();
            var callIds = new HashSet<string>(StringComparer.Ordinal);
            foreach (var message in response.Messages)
            {
                var normalized = ExtractCalls(message, calls, callIds);
                run.AddMessage(normalized);
            }

            if (calls.Count == 0)
            {
                run.Finish(response.FinishReason == ChatFinishReason.Length ? AgentFinishReason.Length : AgentFinishReason.Stop);
                return;
            }

            if (round >= Options.EffectiveMaxToolRounds)
            {
                await RefuseOverLimitAsync(run, calls, cancellationToken).ConfigureAwait(false);
                run.Finish(AgentFinishReason.MaxIterations);
                return;
            }

            var contents = new List<AIContent>();
            var handoffCalls = new List<(FunctionCallContent Call, Agent Target)>();
            foreach (var call in calls)
            {
                if (handoffs.TryGetValue(call.Name, out var target))
                {
                    handoffCalls.Add((call, target));
                    continue;
                }

                var outcome = await _executor.ExecuteAsync(run, call, cancellationToken).ConfigureAwait(false);
                if (outcome.Result is not null)
                {
                    contents.Add(outcome.Result);
                    consecutiveErrors = outcome.Failed ? consecutiveErrors + 1 : 0;
                }
            }

            if (handoffCalls.Count > 0)
            {
                contents.AddRange(await HandOffAsync(run, handoffCalls, cancellationToken).ConfigureAwait(false));
            }

            if (contents.Count > 0)
            {
                run.AddMessage(new ChatMessage(ChatRole.Tool, contents));
            }

            if (run.HandoffTarget is not null)
            {
                return;
            }

            if (run.Session.PendingApprovals.Count > 0)
            {
                run.Finish(AgentFinishReason.ApprovalRequired);
                return;
            }

            if (consecutiveErrors >= MaxConsecutiveToolErrors)
            {
                run.Finish(AgentFinishReason.ToolError);
                return;
            }
        }
    }

    private async Task<ChatResponse> CallModelAsync(AgentRun run, IChatClient chatClient, ChatOptions chatOptions, CancellationToken cancellationToken)
    {
        var messages = new List<ChatMessage>(run.Session.Messages.Count + 1);
        if (SystemPrompt() is { } system)
        {
            messages.Add(new ChatMessage(ChatRole.System, system));
        }

        if (ContextWindow.SummaryNote(run.Session) is { } note)
        {
            messages.Add(note);
        }

        var history = run.Session.Messages;
        for (var i = await _context.StartAsync(run, cancellationToken).ConfigureAwait(false); i < history.Count; i++)
        {
            messages.Add(history[i]);
        }

        if (!run.Streaming)
        {
            return await chatClient.GetResponseAsync(messages, chatOptions, cancellationToken).ConfigureAwait(false);
        }

        var gate = new StreamingTextGate(enabled: HasTools && Options.ParseToolCallsFromText);
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in chatClient.GetStreamingResponseAsync(messages, chatOptions, cancellationToken).ConfigureAwait(false))
        {
            updates.Add(update);
            var hasCall = update.Contents.Any(static c => c is FunctionCallContent);
            if (!hasCall && !string.IsNullOrEmpty(update.Text))
            {
                await run.WriteTextAsync(gate.Push(update.Text)).ConfigureAwait(false);
            }
        }

        var response = updates.ToChatResponse();
        var foundCalls = response.Messages.Any(m => m.Contents.Any(static c => c is FunctionCallContent))
            || (gate.HasHeldText && ToolCallParser.Parse(response.Text, out _).Count > 0);
        await run.WriteTextAsync(gate.Flush(foundCalls)).ConfigureAwait(false);
        return response;
    }

    /// <summary>
    /// The message as stored: tool calls written as text become <see cref="FunctionCallContent"/>s, and every call gets
    /// an id that is safe in a URL and unique in this turn (<paramref name="callIds"/>), so that an approval names exactly
    /// one call and every call can be reached at <c>/approvals/{id}</c>.
    /// </summary>
    private ChatMessage ExtractCalls(ChatMessage message, List<FunctionCallContent> calls, HashSet<string> callIds)
    {
        if (message.Role != ChatRole.Assistant)
        {
            return message;
        }

        var structured = message.Contents.OfType<FunctionCallContent>().Where(static c => !c.InformationalOnly).ToList();
        if (structured.Count > 0)
        {
            return WithSafeCallIds(message, message.Contents, calls, callIds);
        }

        if (!HasTools || !Options.ParseToolCallsFromText)
        {
            return message;
        }

        var parsed = ToolCallParser.Parse(message.Text, out var remaining);
        if (parsed.Count == 0)
        {
            return message;
        }

        var contents = new List<AIContent>();
        if (remaining.Length > 0)
        {
            contents.Add(new TextContent(remaining));
        }

        contents.AddRange(parsed);
        return WithSafeCallIds(message, contents, calls, callIds);
    }

    /// <summary>
    /// <paramref name="message"/> with <paramref name="contents"/>, where each tool call whose id came from the model
    /// empty, not URL-safe (<see cref="ToolCallIds.IsSafe"/>) or already used in this turn gets a fresh id; the calls
    /// go to <paramref name="calls"/>.
    /// </summary>
    private static ChatMessage WithSafeCallIds(ChatMessage message, IList<AIContent> contents, List<FunctionCallContent> calls, HashSet<string> callIds)
    {
        var rewritten = new List<AIContent>(contents.Count);
        var changed = !ReferenceEquals(contents, message.Contents);
        foreach (var content in contents)
        {
            if (content is not FunctionCallContent { InformationalOnly: false } call)
            {
                rewritten.Add(content);
                continue;
            }

            var safe = call;
            if (!ToolCallIds.IsSafe(call.CallId) || !callIds.Add(call.CallId))
            {
                string fresh;
                do
                {
                    fresh = ToolCallParser.NewCallId();
                }
                while (!callIds.Add(fresh));

                safe = new FunctionCallContent(fresh, call.Name, call.Arguments) { Exception = call.Exception, RawRepresentation = call.RawRepresentation, AdditionalProperties = call.AdditionalProperties };
                changed = true;
            }

            calls.Add(safe);
            rewritten.Add(safe);
        }

        return changed
            ? new ChatMessage(ChatRole.Assistant, rewritten) { AuthorName = message.AuthorName, MessageId = message.MessageId, CreatedAt = message.CreatedAt }
            : message;
    }

    private async Task RefuseOverLimitAsync(AgentRun run, List<FunctionCallContent> calls, CancellationToken cancellationToken)
    {
        var contents = new List<AIContent>();
        foreach (var call in calls)
        {
            var callId = string.IsNullOrEmpty(call.CallId) ? ToolCallParser.NewCallId() : call.CallId;
            var content = ToolOutput.Error(call.Name, callId, "max_iterations", "The tool round limit was reached; this call did not run.");
            AgentMetrics.ToolDenied(Name, "policy");
            await run.EmitAsync(AgentRunEventKind.Denied, "tool round limit reached", call.Name, callId, cancellationToken: cancellationToken).ConfigureAwait(false);
            run.AddToolCall(new AgentToolCall(callId, call.Name, "{}", ToolCallStatus.Denied, content));
            contents.Add(new FunctionResultContent(callId, content));
        }

        run.AddMessage(new ChatMessage(ChatRole.Tool, contents));
    }

    private ChatOptions CreateChatOptions(Dictionary<string, Agent> handoffs)
    {
        var chatOptions = new ChatOptions { Temperature = Options.Temperature, MaxOutputTokens = Options.MaxOutputTokens };
        if (Options.Tools.Count > 0 || handoffs.Count > 0)
        {
            chatOptions.Tools = [.. Options.Tools.Select(static t => t.Function.AsDeclarationOnly()), .. handoffs.Select(static h => HandoffDeclaration(h.Key, h.Value))];
            chatOptions.ToolMode = ChatToolMode.Auto;
        }

        return chatOptions;
    }

    private bool HasTools => Options.Tools.Count > 0 || Options.Handoffs.Count > 0;

    private string? SystemPrompt()
    {
        if (!HasTools)
        {
            return Options.Instructions;
        }

        return string.IsNullOrEmpty(Options.Instructions) ? ToolOutput.DataNotice : Options.Instructions + "\n\n" + ToolOutput.DataNotice;
    }
}
