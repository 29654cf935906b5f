using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Edgewise.Agents.Routing;

/// <summary>
/// Chooses the agent for a request with a (small) model: the model sees the agents' names and descriptions and
/// answers <c>{"agent": NAME, "confidence": 0..1}</c>; the response format carries a JSON schema whose
/// <c>agent</c> is an enum of the names, so a client with constrained decoding can only answer a configured name.
/// Answers that name no configured agent fall back to the first agent with confidence 0.
/// </summary>
public sealed class AgentRouter
{
    private readonly IChatClient _chatClient;
    private readonly IReadOnlyList<Agent> _agents;
    private readonly ChatOptions _chatOptions;
    private readonly string _instructions;

    /// <summary>Creates a router over <paramref name="agents"/> (the first is the fallback).</summary>
    public AgentRouter(IChatClient chatClient, IReadOnlyList<Agent> agents)
    {
        ArgumentNullException.ThrowIfNull(chatClient);
        ArgumentNullException.ThrowIfNull(agents);
        if (agents.Count == 0 || agents.Select(a => a.Name).Distinct(StringComparer.Ordinal).Count() != agents.Count)
        {
            throw new ArgumentException("A router needs at least one agent and unique names.", nameof(agents));
        }

        _chatClient = chatClient;
        _agents = agents;
        _instructions = BuildInstructions(agents);
        _chatOptions = new ChatOptions
        {
            Temperature = 0,
            MaxOutputTokens = 64,
            ResponseFormat = ChatResponseFormat.ForJsonSchema(BuildSchema(agents), "route", "The chosen agent and the confidence in the choice."),
        };
    }

    /// <summary>The agents routed among.</summary>
    public IReadOnlyList<Agent> Agents => _agents;

    /// <summary>Asks the model which agent should answer <paramref name="input"/>.</summary>
    public async Task<RouteDecision> RouteAsync(string input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (_agents.Count == 1)
        {
            return new RouteDecision(_agents[0], 1, false);
        }

        ChatMessage[] messages = [new(ChatRole.System, _instructions), new(ChatRole.User, input.Length > 8192 ? input[..8192] : input)];
        var response = await _chatClient.GetResponseAsync(messages, _chatOptions, cancellationToken).ConfigureAwait(false);
        return Parse(response.Text);
    }

    internal RouteDecision Parse(string text)
    {
        var start = text.IndexOf('{', StringComparison.Ordinal);
        var end = text.LastIndexOf('}');
        if (start >= 0 && end > start)
        {
            try
            {
                using var document = JsonDocument.Parse(text[start..(end + 1)], new JsonDocumentOptions { MaxDepth = 8 });
                var root = document.RootElement;
                if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("agent", out var name) && name.ValueKind == JsonValueKind.String
                    && Find(name.GetString()!) is { } agent)
                {
                    var confidence = 0.5;
                    if (root.TryGetProperty("confidence", out var value))
                    {
                        confidence = value.ValueKind switch
                        {
                            JsonValueKind.Number => value.GetDouble(),
                            JsonValueKind.String when double.TryParse(value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) => parsed,
                            _ => 0.5,
                        };
                    }

                    return new RouteDecision(agent, ToUnitInterval(confidence), false);
                }
            }
            catch (JsonException)
            {
            }
        }

        var mentioned = _agents.Where(a => text.Contains(a.Name, StringComparison.OrdinalIgnoreCase)).ToList();
        return mentioned.Count == 1 ? new RouteDecision(mentioned[0], 0.3, false) : new RouteDecision(_agents[0], 0, true);
    }

    /// <summary>
    /// The confidence as a number in [0, 1]: NaN, infinities and anything at or below zero (negative zero included, which
    /// would print as "-0.00") become 0, anything above one becomes 1.
    /// </summary>
    internal static double ToUnitInterval(double confidence) =>
        !double.IsFinite(confidence) || confidence <= 0 ? 0.0 : Math.Min(confidence, 1.0);

    private Agent? Find(string name) =>
        _agents.FirstOrDefault(a => string.Equals(a.Name, name.Trim(), StringComparison.OrdinalIgnoreCase));

    private static string BuildInstructions(IReadOnlyList<Agent> agents)
    {
        var builder = new StringBuilder("Choose the one agent best suited to answer the user's message. Agents:\n");
        foreach (var agent in agents)
        {
            builder.Append("- ").Append(agent.Name).Append(": ").Append(agent.Description).Append('\n');
        }

        return builder.Append("Answer only with JSON: {\"agent\": \"<name>\", \"confidence\": <0 to 1>}.").ToString();
    }

    private static JsonElement BuildSchema(IReadOnlyList<Agent> agents)
    {
        var schema = new Dictionary<string, object>
        {
            ["type"] = "object",
            ["properties"] = new Dictionary<string, object>
            {
                ["agent"] = new Dictionary<string, object> { ["type"] = "string", ["enum"] = agents.Select(a => a.Name).ToArray() },
                ["confidence"] = new Dictionary<string, object> { ["type"] = "number", ["minimum"] = 0, ["maximum"] = 1 },
            },
            ["required"] = new[] { "agent", "confidence" },
            ["additionalProperties"] = false,
        };
        return JsonSerializer.SerializeToElement(schema, AgentsJsonContext.Info<Dictionary<string, object>>(AgentsJsonContext.PlainOptions));
    }
}

/// <summary>A router's choice.</summary>
/// <param name="Agent">The chosen agent.</param>
/// <param name="Confidence">The model's confidence in [0, 1] (0 for a fallback).</param>
/// <param name="IsFallback">True when the model named no configured agent and the first agent was taken.</param>
public sealed record RouteDecision(Agent Agent, double Confidence, bool IsFallback)
{
    /// <summary>The run options for this choice: escalate when the confidence is below <paramref name="minConfidence"/>.</summary>
    public AgentRunOptions ToRunOptions(double minConfidence = 0.5) => new() { Escalate = Confidence < minConfidence, Route = this };
}
