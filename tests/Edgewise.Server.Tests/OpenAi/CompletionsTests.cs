using System.Net;
using System.Text.Json;
using Edgewise.Inference;
using Edgewise.Inference.Model;
using Edgewise.Server.Tests.Support;
using Edgewise.Testing;
using Microsoft.Extensions.AI;

namespace Edgewise.Server.Tests.OpenAi;

/// <summary>POST /v1/completions with raw HTTP and JSON checks (the OpenAI .NET SDK has no public legacy completions client).</summary>
public sealed class CompletionsTests
{
    [Fact]
    public async Task Complete_PromptArray_OneChoicePerPromptWithSummedUsage()
    {
        var model = ScriptedChatClient.Text("Hel", "lo");
        await using var server = await LiveServer.StartAsync(model);

        var body = await PostAsync(server, """{"model":"test","prompt":["a","b"],"max_tokens":5,"temperature":0.5,"top_p":0.9,"stop":["\n"],"seed":7}""");

        Assert.Equal("text_completion", body.GetProperty("object").GetString());
        Assert.StartsWith("cmpl-", body.GetProperty("id").GetString(), StringComparison.Ordinal);
        var choices = body.GetProperty("choices").EnumerateArray().ToList();
        Assert.Equal(2, choices.Count);
        Assert.Equal([0, 1], choices.Select(c => c.GetProperty("index").GetInt32()));
        Assert.All(choices, c => Assert.Equal("Hello", c.GetProperty("text").GetString()));
        Assert.All(choices, c => Assert.Equal("stop", c.GetProperty("finish_reason").GetString()));
        Assert.All(choices, c => Assert.Equal(JsonValueKind.Null, c.GetProperty("logprobs").ValueKind));
        Assert.Equal(10, body.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(4, body.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Equal(["a", "b"], model.Received.Select(r => r.Messages.Single().Text));
        var options = model.Received[0].Options!;
        Assert.Equal(5, options.MaxOutputTokens);
        Assert.Equal(0.5f, options.Temperature);
        Assert.Equal(0.9f, options.TopP);
        Assert.Equal(7, options.Seed);
        Assert.Equal(["\n"], options.StopSequences!);
        Assert.True(model.Received.All(r => r.Options.RequiredCapabilities() == ChatCapabilities.RawPrompt));
    }

    [Fact]
    public async Task Complete_NoMaxTokens_UsesOpenAiDefaultOf16()
    {
        var model = ScriptedChatClient.Text("x");
        await using var server = await LiveServer.StartAsync(model);

        await PostAsync(server, """{"model":"test","prompt":"a"}""");

        Assert.Equal(16, model.Received[0].Options!.MaxOutputTokens);
    }

    [Fact]
    public async Task Complete_Streaming_SendsTextChunksFinishUsageAndDone()
    {
        await using var server = await LiveServer.StartAsync(ScriptedChatClient.Text("Hel", "lo"));

        using var response = await server.Client.PostAsync("/v1/completions", LiveServer.Json("""{"model":"test","prompt":"a","stream":true,"stream_options":{"include_usage":true}}"""), TestContext.Current.CancellationToken);
        var events = (await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))
            .Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(e => e["data: ".Length..])
            .ToList();

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("[DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonDocument.Parse(e).RootElement).ToList();
        Assert.All(chunks, c => Assert.Equal("text_completion", c.GetProperty("object").GetString()));
        var text = string.Concat(chunks.SelectMany(c => c.GetProperty("choices").EnumerateArray()).Select(c => c.GetProperty("text").GetString()));
        Assert.Equal("Hello", text);
        var finishes = chunks.SelectMany(c => c.GetProperty("choices").EnumerateArray()).Select(c => c.GetProperty("finish_reason")).Where(f => f.ValueKind == JsonValueKind.String).ToList();
        Assert.Equal("stop", Assert.Single(finishes).GetString());
        Assert.Equal(0, chunks[^1].GetProperty("choices").GetArrayLength());
        Assert.Equal(2, chunks[^1].GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task Complete_RealModelWithLogprobs_ReturnsParallelArraysOfTopAlternatives()
    {
        await using var server = await LiveServer.StartRealAsync("phi4", "ref-phi4-Q8_0.gguf");

        var body = await PostAsync(server, """{"model":"phi4","prompt":"Hello","max_tokens":3,"temperature":0,"logprobs":2}""");

        var choice = body.GetProperty("choices")[0];
        var logprobs = choice.GetProperty("logprobs");
        var tokens = logprobs.GetProperty("tokens").EnumerateArray().Select(t => t.GetString()!).ToList();
        var values = logprobs.GetProperty("token_logprobs").EnumerateArray().Select(v => v.GetDouble()).ToList();
        var top = logprobs.GetProperty("top_logprobs").EnumerateArray().ToList();
        var offsets = logprobs.GetProperty("text_offset").EnumerateArray().Select(o => o.GetInt32()).ToList();
        Assert.InRange(tokens.Count, 1, 3);
        Assert.Equal(tokens.Count, values.Count);
        Assert.Equal(tokens.Count, top.Count);
        Assert.Equal(tokens.Count, offsets.Count);
        Assert.All(values, v => Assert.True(v <= 0));
        Assert.All(top, t => Assert.Equal(2, t.EnumerateObject().Count()));
        Assert.Equal(0, offsets[0]);
    }

    [Fact]
    public async Task Complete_RealModelStreaming_StreamsSameTextAsNonStreaming()
    {
        await using var server = await LiveServer.StartRealAsync("phi4", "ref-phi4-Q8_0.gguf");
        var whole = await PostAsync(server, """{"model":"phi4","prompt":"Hello","max_tokens":4,"temperature":0}""");

        using var response = await server.Client.PostAsync("/v1/completions", LiveServer.Json("""{"model":"phi4","prompt":"Hello","max_tokens":4,"temperature":0,"stream":true}"""), TestContext.Current.CancellationToken);
        var streamed = string.Concat((await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))
            .Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(e => e["data: ".Length..])
            .Where(e => e != "[DONE]")
            .SelectMany(e => JsonDocument.Parse(e).RootElement.GetProperty("choices").EnumerateArray().Select(c => c.GetProperty("text").GetString())));

        Assert.Equal(whole.GetProperty("choices")[0].GetProperty("text").GetString(), streamed);
    }

    [Fact]
    public async Task Complete_RealModel_PromptTokensAreRawTextTokensNotTemplated()
    {
        const string Prompt = "Once upon a time";
        int raw;
        int templated;
        using (var model = LocalModel.Load(SharedPaths.ReferenceFile("models", "ref-llama32-F16.gguf")))
        using (var client = new LocalChatClient(model))
        {
            raw = client.Tokenizer.Encode(Prompt, addSpecial: true, parseSpecial: true).Length;
            templated = client.TokenizePrompt([new ChatMessage(ChatRole.User, Prompt)]).Length;
        }

        await using var server = await LiveServer.StartRealAsync("llama", "ref-llama32-F16.gguf");

        var body = await PostAsync(server, """{"model":"llama","prompt":"Once upon a time","max_tokens":2,"temperature":0,"seed":3,"stop":["zzz"]}""");

        Assert.NotEqual(templated, raw);
        Assert.Equal(raw, body.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
    }

    [Fact]
    public async Task Complete_H16_SlowFirstToken_SendsKeepAliveCommentFirst()
    {
        var gate = new TaskCompletionSource();
        await using var server = await LiveServer.StartAsync(ScriptedChatClient.Gated(gate.Task), o => o.StreamKeepAlive = TimeSpan.FromMilliseconds(50));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions") { Content = LiveServer.Json("""{"model":"test","prompt":"a","stream":true}""") };

        using var response = await server.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(TestContext.Current.CancellationToken));
        var first = await reader.ReadLineAsync(TestContext.Current.CancellationToken);
        gate.SetResult();
        var rest = await reader.ReadToEndAsync(TestContext.Current.CancellationToken);

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(": keep-alive", first);
        var data = rest.Split('\n').Where(l => l.StartsWith("data: ", StringComparison.Ordinal)).Select(l => l[6..]).ToList();
        Assert.Equal("[DONE]", data[^1]);
        Assert.Contains("\"text\":\"done\"", data[0], StringComparison.Ordinal);
        Assert.Contains("\"finish_reason\":\"stop\"", data[^2], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"model":"test"}""", "prompt")]
    [InlineData("""{"model":"test","prompt":[1,2,3]}""", "prompt")]
    [InlineData("""{"model":"test","prompt":[]}""", "prompt")]
    [InlineData("""{"model":"test","prompt":"a","max_tokens":100000}""", "max_tokens")]
    [InlineData("""{"model":"test","prompt":"a","logprobs":21}""", "logprobs")]
    [InlineData("""{"model":"test","prompt":"a","n":3}""", "n")]
    [InlineData("""{"model":"test","prompt":"a","echo":true}""", "echo")]
    [InlineData("""{"model":"test","prompt":"a","temperature":3}""", "temperature")]
    [InlineData("""{"model":"test","prompt":"a","stop":["1","2","3","4","5"]}""", "stop")]
    public async Task Complete_H07_InvalidParameter_Returns400NamingItAndNothingReachesModel(string json, string param)
    {
        var model = ScriptedChatClient.Text("x");
        await using var server = await LiveServer.StartAsync(model);

        using var response = await server.Client.PostAsync("/v1/completions", LiveServer.Json(json), TestContext.Current.CancellationToken);
        var error = await LiveServer.ErrorOf(response);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.Equal(0, model.Calls);
    }

    [Fact]
    public async Task Complete_UnknownModel_Returns404ModelNotFound()
    {
        await using var server = await LiveServer.StartAsync(ScriptedChatClient.Text("x"));

        using var response = await server.Client.PostAsync("/v1/completions", LiveServer.Json("""{"model":"nope","prompt":"a"}"""), TestContext.Current.CancellationToken);
        var error = await LiveServer.ErrorOf(response);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("model_not_found", error.GetProperty("code").GetString());
    }

    private static async Task<JsonElement> PostAsync(LiveServer server, string json)
    {
        using var response = await server.Client.PostAsync("/v1/completions", LiveServer.Json(json), TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonDocument.Parse(text).RootElement;
    }
}
