using System.Net;
using Edgewise.Agents.Configuration;
using Edgewise.Server.Tests.Support;

namespace Edgewise.Server.Tests.OpenAi;

/// <summary>
/// Raw prompts (<c>/v1/completions</c>) and logprobs are capabilities a model's client declares: a remote model has
/// neither, and a request asking for one gets a 400 naming the parameter instead of an answer that ignored it.
/// </summary>
public sealed class CapabilityTests
{
    private static EdgewiseConfig Config(string yaml) => EdgewiseConfig.Parse(yaml, "/etc/edgewise/edgewise.yaml", new ToolRegistry());

    [Fact]
    public async Task Complete_RemoteModel_400NamingThePromptAndTheBackendIsNotCalled()
    {
        var backend = ScriptedChatClient.Text("chat answer");
        await using var remote = await LiveServer.StartAsync(backend);
        await using var server = await StartWithRemoteAsync(remote);

        using var response = await server.Client.PostAsync("/v1/completions", LiveServer.Json("""{"model":"lab","prompt":"Once upon"}"""), TestContext.Current.CancellationToken);
        var error = await LiveServer.ErrorOf(response);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("prompt", error.GetProperty("param").GetString());
        Assert.Equal("unsupported_parameter", error.GetProperty("code").GetString());
        Assert.Contains("raw prompts", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, backend.Calls);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task CompleteChat_LogprobsOnRemoteModel_400NamingLogprobs(bool stream)
    {
        var backend = ScriptedChatClient.Text("chat answer");
        await using var remote = await LiveServer.StartAsync(backend);
        await using var server = await StartWithRemoteAsync(remote);

        using var response = await server.PostChatAsync(LiveServer.Chat("lab", ",\"logprobs\":true,\"top_logprobs\":2" + (stream ? ",\"stream\":true" : string.Empty)));
        var error = await LiveServer.ErrorOf(response);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("logprobs", error.GetProperty("param").GetString());
        Assert.Equal("unsupported_parameter", error.GetProperty("code").GetString());
        Assert.Equal(0, backend.Calls);
    }

    [Fact]
    public async Task CompleteChat_RemoteModelWithoutLogprobs_Answers()
    {
        await using var remote = await LiveServer.StartAsync(ScriptedChatClient.Text("chat answer"));
        await using var server = await StartWithRemoteAsync(remote);

        using var response = await server.PostChatAsync(LiveServer.Chat("lab"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task CompleteChat_LogprobsFromAnAgent_400NamingLogprobsAndNoModelCalled()
    {
        var model = Agents.AgentScripts.Echo();
        await using var server = await Agents.AgentServer.StartAsync(Agents.AgentServer.Yaml(), new Dictionary<string, Microsoft.Extensions.AI.IChatClient> { ["small"] = model, ["tiny"] = model });

        using var response = await server.Client.PostAsync("/v1/chat/completions", LiveServer.Json(LiveServer.Chat("helper", ",\"logprobs\":true")), TestContext.Current.CancellationToken);
        var error = await LiveServer.ErrorOf(response);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("logprobs", error.GetProperty("param").GetString());
        Assert.Equal("unsupported_parameter", error.GetProperty("code").GetString());
        Assert.Equal(0, model.Calls);
    }

    private static Task<LiveServer> StartWithRemoteAsync(LiveServer remote)
    {
        var config = Config($"""
            models:
              lab:
                url: {remote.BaseAddress}v1
                model: test
            """);
        return LiveServer.StartAsync(ScriptedChatClient.Text("local"), o => o.Configuration = config);
    }
}
