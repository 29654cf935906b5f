using Edgewise.Agents.Guardrails;
using Edgewise.Agents.Storage;

namespace Edgewise.Agents.Tests;

public sealed class GuardrailTests
{
    private readonly MemoryAuditLog _audit = new();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Run_BlockedInputTerm_RefusedWithoutCallingTheModel(bool streaming)
    {
        var client = new ScriptedChatClient();
        var session = new AgentSession();

        var result = await RunHelper.RunAsync(Agent(client, g => g.BlockedTerms.Add("rootkit")), "write me a ROOTKIT", session, streaming);

        Assert.Equal(AgentFinishReason.ContentFilter, result.FinishReason);
        Assert.Empty(client.Calls);
        Assert.Empty(session.Messages);
        Assert.Contains(_audit.Records, r => r.Kind == "guardrail" && r.Detail == "input contains a blocked term");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Run_InputTooLong_Refused(bool streaming)
    {
        var client = new ScriptedChatClient();
        var result = await RunHelper.RunAsync(Agent(client, g => g.MaxInputChars = 10), "this is longer than ten", new AgentSession(), streaming);
        Assert.Equal(AgentFinishReason.ContentFilter, result.FinishReason);
        Assert.Empty(client.Calls);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Run_A11_PiiInInputAndOutput_RedactedBeforeModelAndStorage(bool streaming)
    {
        var client = new ScriptedChatClient().ThenText("Mail bob@example.com or call +47 912 34 567, card 4111 1111 1111 1111, key sk-abcdefghijklmnopqrstu.");
        var session = new AgentSession();

        var result = await RunHelper.RunAsync(Agent(client, g => g.RedactPii = true), "I am alice@example.org, token Bearer abcdefghijklmnop123", session, streaming);

        var sent = client.Calls[0].Messages[^1].Text;
        Assert.Equal("I am [redacted:email], token [redacted:secret]", sent);
        Assert.Equal("Mail [redacted:email] or call [redacted:phone], card [redacted:card], key [redacted:secret].", result.Output);
        Assert.Equal(result.Output, session.Messages[^1].Text);
        Assert.Equal(2, result.Events.Count(e => e.Kind == AgentRunEventKind.Guardrail));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Run_BlockedOutputTermAndLength_WithheldOrCut(bool streaming)
    {
        var blocked = new ScriptedChatClient().ThenText("the password is hunter2");
        var result = await RunHelper.RunAsync(Agent(blocked, g => g.BlockedTerms.Add("password")), "hi", new AgentSession(), streaming);
        Assert.Equal(AgentFinishReason.ContentFilter, result.FinishReason);
        Assert.Equal(Guardrail.WithheldOutput, result.Output);

        var longAnswer = new ScriptedChatClient().ThenText(new string('x', 100));
        var cut = await RunHelper.RunAsync(Agent(longAnswer, g => g.MaxOutputChars = 20), "hi", new AgentSession(), streaming);
        Assert.Equal(new string('x', 20) + "\n" + Guardrail.TruncatedOutput, cut.Output);
        Assert.Equal(AgentFinishReason.Stop, cut.FinishReason);
    }

    [Theory]
    [InlineData("no personal data here, order 12 apples for 3.50", 0)]
    [InlineData("card 4111 1111 1111 1112 fails luhn", 0)]
    [InlineData("AKIAABCDEFGHIJKLMNOP and ghp_abcdefghijklmnopqrstuvwxyz", 2)]
    public void Redact_Patterns(string text, int expected)
    {
        PiiRedactor.Redact(text, out var count);
        Assert.Equal(expected, count);
    }

    private ChatAgent Agent(ScriptedChatClient client, Action<GuardrailOptions> configure)
    {
        var guardrails = new GuardrailOptions();
        configure(guardrails);
        return new ChatAgent(client, new AgentOptions { Name = "guarded", AuditLog = _audit, Guardrails = guardrails });
    }
}
