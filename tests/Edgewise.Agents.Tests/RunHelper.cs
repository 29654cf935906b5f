using System.Text;

namespace Edgewise.Agents.Tests;

/// <summary>Runs an agent either way and checks the streaming contract when streaming.</summary>
internal static class RunHelper
{
    public static async Task<AgentRunResult> RunAsync(Agent agent, string? input, AgentSession session, bool streaming, IReadOnlyList<ApprovalDecision>? decisions = null, AgentRunOptions? options = null)
    {
        options ??= decisions is null ? null : new AgentRunOptions { Approvals = decisions };
        if (!streaming)
        {
            return await agent.RunAsync(input, session, options, TestContext.Current.CancellationToken);
        }

        var text = new StringBuilder();
        var events = new List<AgentRunEvent>();
        AgentRunResult? result = null;
        await foreach (var update in agent.RunStreamingAsync(input, session, options, TestContext.Current.CancellationToken))
        {
            Assert.Null(result);
            if (update.Text is not null)
            {
                text.Append(update.Text);
            }
            else if (update.Event is not null)
            {
                events.Add(update.Event);
            }
            else
            {
                result = update.Result;
            }
        }

        Assert.NotNull(result);
        Assert.Equal(result.Events, events);
        var streamed = text.ToString().Trim();
        Assert.EndsWith(result.Output.Trim(), streamed, StringComparison.Ordinal);
        Assert.DoesNotContain("<tool_call>", streamed, StringComparison.Ordinal);
        Assert.DoesNotContain("functools[", streamed, StringComparison.Ordinal);
        return result;
    }
}
