using System.Text.Json;
using System.Text.Json.Serialization;
using Edgewise.Agents;
using Edgewise.Server.Http;
using Edgewise.Server.OpenAi;
using Microsoft.Extensions.AI;

namespace Edgewise.Server.Agents;

/// <summary><c>POST /v1/agents/{name}/runs</c>.</summary>
internal sealed class AgentRunRequest
{
    public string? Input { get; set; }

    public string? SessionId { get; set; }

    public bool? Stream { get; set; }
}

/// <summary><c>POST /v1/sessions/{id}/approvals/{callId}</c>.</summary>
internal sealed class ApprovalRequestBody
{
    public bool? Approved { get; set; }

    public string? ArgumentsHash { get; set; }

    public bool? Stream { get; set; }
}

/// <summary><c>GET /v1/agents</c>.</summary>
internal sealed record AgentListDto(IReadOnlyList<AgentInfoDto> Data)
{
    public string Object => "list";
}

/// <summary>An agent or a router (<see cref="Type"/> says which; a router lists the agents it picks among).</summary>
internal sealed record AgentInfoDto(string Name, string Type, string Description, string Model, IReadOnlyList<string> Tools)
{
    public IReadOnlyList<string>? ApprovalRequired { get; init; }

    public IReadOnlyList<string>? Agents { get; init; }

    public bool? Private { get; init; }
}

/// <summary>The result of a run.</summary>
internal sealed record AgentRunDto(
    string SessionId,
    string Agent,
    string Output,
    string FinishReason,
    IReadOnlyList<MessageDto> Messages,
    UsageDto Usage,
    IReadOnlyList<EventDto> Events,
    IReadOnlyList<PendingApprovalDto> PendingApprovals);

/// <summary>A stored session.</summary>
internal sealed record SessionDto(
    string Id,
    string? Agent,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    IReadOnlyList<MessageDto> Messages,
    IReadOnlyList<PendingApprovalDto> PendingApprovals)
{
    public string Object => "session";
}

/// <summary><c>GET /v1/sessions</c>: the caller's sessions, most recently updated first.</summary>
internal sealed record SessionListDto(IReadOnlyList<SessionSummaryDto> Data)
{
    public string Object => "list";
}

/// <summary>One session in a listing (no messages).</summary>
internal sealed record SessionSummaryDto(string Id, string? Agent, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, int MessageCount)
{
    public string Object => "session.summary";
}

/// <summary>The answer to a deletion.</summary>
internal sealed record SessionDeletedDto(string Id)
{
    public string Object => "session.deleted";

    public bool Deleted => true;
}

/// <summary>One message of a conversation: text, the tool calls an assistant made, or tool results.</summary>
internal sealed record MessageDto(string Role, [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Content)
{
    public IReadOnlyList<MessageToolCallDto>? ToolCalls { get; init; }

    public IReadOnlyList<ToolResultDto>? ToolResults { get; init; }

    /// <summary>True on the partial answer of a run whose client left (H13).</summary>
    public bool? Interrupted { get; init; }
}

/// <summary>A tool call inside a message.</summary>
internal sealed record MessageToolCallDto(string Id, string Name, JsonElement Arguments);

/// <summary>A tool result inside a message.</summary>
internal sealed record ToolResultDto(string CallId, JsonElement Result);

/// <summary>A run event.</summary>
internal sealed record EventDto(string Kind, string Detail, DateTimeOffset Timestamp)
{
    public string? Tool { get; init; }

    public string? CallId { get; init; }

    public string? ArgumentsHash { get; init; }
}

/// <summary>A tool call waiting for approval.</summary>
internal sealed record PendingApprovalDto(string CallId, string Tool, JsonElement Arguments, string ArgumentsHash, DateTimeOffset RequestedAt, DateTimeOffset ExpiresAt);

/// <summary>Maps the agents library's objects to the wire DTOs.</summary>
internal static class AgentWire
{
    /// <summary>The message property that marks a partial answer cut off by a client that left (H13).</summary>
    public const string InterruptedProperty = "interrupted";

    public static AgentRunDto Run(AgentRunResult result, string agent) => new(
        result.SessionId,
        agent,
        result.Output,
        result.FinishReason.Value,
        Messages(result.Messages),
        ChatResponses.Usage(result.Usage) ?? new UsageDto(0, 0, 0),
        result.Events.Select(Event).ToList(),
        result.PendingApprovals.Select(Approval).ToList());

    public static SessionDto Session(AgentSession session) => new(
        session.Id,
        session.AgentName,
        session.CreatedAt,
        session.UpdatedAt,
        Messages([.. session.Messages]),
        session.PendingApprovals.Select(Approval).ToList());

    public static EventDto Event(AgentRunEvent e) => new(e.Kind.Value, e.Detail, e.Timestamp)
    {
        Tool = e.ToolName,
        CallId = e.CallId,
        ArgumentsHash = e.ArgumentsHash,
    };

    public static PendingApprovalDto Approval(ApprovalRequest r) =>
        new(r.CallId, r.ToolName, ParseOrString(r.Arguments), r.ArgumentsHash, r.RequestedAt, r.ExpiresAt);

    public static IReadOnlyList<MessageDto> Messages(IReadOnlyList<ChatMessage> messages)
    {
        var list = new List<MessageDto>(messages.Count);
        foreach (var message in messages)
        {
            var calls = message.Contents.OfType<FunctionCallContent>()
                .Select(c => new MessageToolCallDto(c.CallId, c.Name, JsonSerializer.SerializeToElement(c.Arguments ?? new Dictionary<string, object?>(), ServerJsonContext.Info<IDictionary<string, object?>>(ServerJsonContext.AIOptions))))
                .ToList();
            var results = message.Contents.OfType<FunctionResultContent>()
                .Select(r => new ToolResultDto(r.CallId, r.Result is string s ? JsonSerializer.SerializeToElement(s, ServerJsonContext.Default.String) : JsonSerializer.SerializeToElement(r.Result, ServerJsonContext.Info<object?>(ServerJsonContext.AIOptions))))
                .ToList();
            var text = message.Text;
            list.Add(new MessageDto(message.Role.Value, text.Length == 0 && (calls.Count > 0 || results.Count > 0) ? null : text)
            {
                ToolCalls = calls.Count > 0 ? calls : null,
                ToolResults = results.Count > 0 ? results : null,
                Interrupted = IsInterrupted(message) ? true : null,
            });
        }

        return list;
    }

    /// <summary>A partial assistant answer flagged as interrupted.</summary>
    public static ChatMessage Interrupted(string partialText) => new(ChatRole.Assistant, partialText)
    {
        AdditionalProperties = new AdditionalPropertiesDictionary { [InterruptedProperty] = true },
    };

    public static bool IsInterrupted(ChatMessage message) =>
        message.AdditionalProperties?.TryGetValue(InterruptedProperty, out var value) == true
        && value switch
        {
            bool b => b,
            JsonElement { ValueKind: JsonValueKind.True } => true,
            _ => false,
        };

    private static JsonElement ParseOrString(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return JsonSerializer.SerializeToElement(json, ServerJsonContext.Default.String);
        }
    }
}
