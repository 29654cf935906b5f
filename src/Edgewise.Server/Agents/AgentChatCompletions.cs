using Edgewise.Agents;
using Edgewise.Inference;
using Edgewise.Server.Errors;
using Edgewise.Server.Generation;
using Edgewise.Server.Hosting;
using Edgewise.Server.Http;
using Edgewise.Server.OpenAi;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;

namespace Edgewise.Server.Agents;

/// <summary>
/// An agent (or router) named as <c>model</c> in <c>POST /v1/chat/completions</c>, so any OpenAI client can talk to
/// it. Stateless: the request's messages before the last user message are the history (system messages are dropped;
/// the agent has its own instructions), the last user message is the input, request-supplied tools are ignored
/// (A03), and nothing is stored. A tool that needs approval cannot run here: the answer says to use the agents API.
/// </summary>
internal static class AgentChatCompletions
{
    public static async Task HandleAsync(HttpContext context, ChatCall call, AgentCatalog catalog, ServerOptions options)
    {
        var messages = call.Messages;
        var last = messages.Count - 1;
        if (last < 0 || messages[last].Role != ChatRole.User || string.IsNullOrWhiteSpace(messages[last].Text))
        {
            throw ApiException.Invalid("An agent needs the last message to be a user message with text.", "messages");
        }

        // An agent declares no capabilities beyond chat: its answer may come from several model calls and tools.
        if (call.Options.RequiredCapabilities() != ChatCapabilities.None)
        {
            throw ApiException.Invalid("An agent does not report log probabilities: remove logprobs, or name a model instead of an agent.", "logprobs", ErrorCodes.UnsupportedParameter);
        }

        var input = messages[last].Text;
        if (input.Length > Agent.MaxInputChars)
        {
            throw ApiException.Invalid("The last message is too long.", "messages");
        }

        var cancel = context.RequestAborted;
        var key = RequestGuard.KeyOf(context);
        Agent agent;
        AgentRunOptions? runOptions = null;
        if (catalog.IsRouter(call.Model))
        {
            var router = await catalog.CreateRouterAsync(call.Model, key, cancel).ConfigureAwait(false);
            var decision = await AgentRunner.RouteAsync(router, input, cancel).ConfigureAwait(false);
            agent = decision.Agent;
            runOptions = decision.ToRunOptions();
        }
        else
        {
            agent = await catalog.CreateAgentAsync(call.Model, key, cancel).ConfigureAwait(false);
        }

        var session = new AgentSession { AgentName = agent.Name, IsPrivate = agent.Options.IsPrivate, Owner = SessionOwner.Of(context) };
        for (var i = 0; i < last; i++)
        {
            if (messages[i].Role != ChatRole.System)
            {
                session.Messages.Add(messages[i]);
            }
        }

        var id = ChatResponses.NewId();
        var created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        if (!call.Stream)
        {
            AgentRunResult result;
            try
            {
                result = await agent.RunAsync(input, session, runOptions, cancel).ConfigureAwait(false);
            }
            catch (Exception e) when (AgentRunner.Translate(e) is { } error)
            {
                throw error;
            }

            var response = new ChatResponse(new ChatMessage(ChatRole.Assistant, Answer(result, agent.Name)))
            {
                FinishReason = Finish(result),
                Usage = result.Usage,
            };
            await OpenAiEndpoints.WriteJsonAsync(context, ChatResponses.ToCompletion(response, call.Model, id, created)).ConfigureAwait(false);
            return;
        }

        var writer = new ChunkWriter(context, id, created, call.Model);
        if (!await GenerationLoop.RunAsync(context, token => agent.RunStreamingAsync(input, session, runOptions, token), writer, options.StreamKeepAlive, AgentRunner.Translate).ConfigureAwait(false)
            || writer.Result is not { } streamed)
        {
            return;
        }

        if (streamed.FinishReason == AgentFinishReason.ApprovalRequired)
        {
            await writer.WriteDeltaAsync(Answer(streamed, agent.Name), null).ConfigureAwait(false);
        }

        await writer.WriteDeltaAsync(null, ChatResponses.FinishReason(Finish(streamed))).ConfigureAwait(false);
        if (call.IncludeUsage)
        {
            await writer.Sse.WriteAsync(null, new ChatCompletionChunkDto(id, created, call.Model, [], ChatResponses.Usage(streamed.Usage))).ConfigureAwait(false);
        }

        await writer.Sse.DoneAsync().ConfigureAwait(false);
    }

    /// <summary>An agent run told as chat completion chunks: its text as deltas; run events are not part of this format.</summary>
    private sealed class ChunkWriter(HttpContext context, string id, long created, string model) : IGenerationSink<AgentRunUpdate>
    {
        private bool _roleSent;

        public SseStream Sse { get; } = new(context);

        public AgentRunResult? Result { get; private set; }

        public bool Started => Sse.Started;

        public async ValueTask UpdateAsync(AgentRunUpdate update)
        {
            if (update.Result is { } result)
            {
                Result = result;
            }
            else if (update.Text is { Length: > 0 } text)
            {
                await WriteDeltaAsync(text, null).ConfigureAwait(false);
            }
        }

        public ValueTask QuietAsync() => new(Sse.KeepAliveAsync());

        public async ValueTask FailedAsync(ApiException error, bool shutdown)
        {
            if (shutdown)
            {
                // The drain deadline passed: end the stream as a stream ends, then say why (S01).
                await WriteDeltaAsync(null, "length").ConfigureAwait(false);
                await Sse.WriteErrorAsync(null, error).ConfigureAwait(false);
                await Sse.DoneAsync().ConfigureAwait(false);
                return;
            }

            await Sse.WriteErrorAsync(null, error).ConfigureAwait(false);
        }

        public Task WriteDeltaAsync(string? text, string? finish)
        {
            var delta = new DeltaDto(_roleSent ? null : "assistant", text, null);
            _roleSent = true;
            return Sse.WriteAsync(null, new ChatCompletionChunkDto(id, created, model, [new ChunkChoiceDto(0, delta, finish)], null));
        }
    }

    /// <summary>The answer text; for a run paused on an approval, a fixed explanation instead.</summary>
    internal static string Answer(AgentRunResult result, string agentName)
    {
        if (result.FinishReason != AgentFinishReason.ApprovalRequired)
        {
            return result.Output;
        }

        var tools = string.Join(", ", result.PendingApprovals.Select(p => p.ToolName).Distinct(StringComparer.Ordinal));
        return "The agent '" + agentName + "' needs approval to call " + tools + ", which the chat completions endpoint cannot give. "
            + "Approvals need the agents API: POST /v1/agents/" + agentName + "/runs, then POST /v1/sessions/{session_id}/approvals/{call_id}.";
    }

    private static ChatFinishReason Finish(AgentRunResult result) =>
        result.FinishReason == AgentFinishReason.Length ? ChatFinishReason.Length
        : result.FinishReason == AgentFinishReason.ContentFilter ? ChatFinishReason.ContentFilter
        : ChatFinishReason.Stop;
}
