using System.Text.Json;
using Edgewise.Inference.Constraints;
using Edgewise.Inference.Model;
using Edgewise.Testing;
using Microsoft.Extensions.AI;

namespace Edgewise.Inference.Tests.Constraints;

/// <summary>Constrained chat through <see cref="LocalChatClient"/> on random-weight reference models, streaming and not.</summary>
public sealed class LocalChatClientConstraintTests : IDisposable
{
    private const string WeatherSchema = """
        {"type":"object","properties":{"city":{"type":"string","minLength":1,"maxLength":8},"unit":{"enum":["celsius","fahrenheit"]},"days":{"type":"integer","minimum":1,"maximum":7}},"required":["city","unit"]}
        """;

    private const string TimeSchema = """{"type":"object","properties":{"zone":{"type":"string","pattern":"^[A-Z][a-z]+/[A-Z][a-z]+$","maxLength":20}},"required":["zone"]}""";

    private static readonly ChatMessage[] s_messages = [new(ChatRole.User, "What is the weather in Paris?")];

    private readonly LocalModel _qwen = LocalModel.Load(SharedPaths.ReferenceFile("models", "ref-qwen2-F32.gguf"));
    private readonly LocalModel _phi = LocalModel.Load(SharedPaths.ReferenceFile("models", "ref-phi4-Q8_0.gguf"));

    public void Dispose()
    {
        _qwen.Dispose();
        _phi.Dispose();
    }

    public static TheoryData<bool, bool, int> Cases() => new()
    {
        { true, false, 1 }, { true, true, 2 }, { true, false, 3 }, { true, true, 4 },
        { false, false, 5 }, { false, true, 6 }, { false, false, 7 }, { false, true, 8 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task GetResponseAsync_ToolModeRequired_CallsOfferedToolWithValidArguments(bool qwen, bool streaming, int seed)
    {
        using var client = new LocalChatClient(qwen ? _qwen : _phi);
        Assert.Equal(qwen ? ToolCallFormat.Hermes : ToolCallFormat.Json, client.ToolCallFormat);
        var options = Options(ChatToolMode.RequireAny, seed);

        var response = await Respond(client, options, streaming);

        var call = Assert.Single(response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        Assert.Contains(call.Name, new[] { "get_weather", "get_time" });
        Assert.Equal(ChatFinishReason.ToolCalls, response.FinishReason);
        Assert.Equal(string.Empty, response.Text);
        AssertValidArguments(call, call.Name == "get_weather" ? WeatherSchema : TimeSchema);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task GetResponseAsync_ToolModeRequireSpecific_CallsThatTool(bool streaming)
    {
        using var client = new LocalChatClient(_qwen);

        var response = await Respond(client, Options(ChatToolMode.RequireSpecific("get_time"), 11), streaming);

        var call = Assert.Single(response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        Assert.Equal("get_time", call.Name);
        AssertValidArguments(call, TimeSchema);
    }

    [Theory]
    [InlineData(false, 1)]
    [InlineData(true, 2)]
    public async Task GetResponseAsync_ResponseFormatJsonSchema_OutputValidates(bool streaming, int seed)
    {
        using var client = new LocalChatClient(_phi);
        using var schema = JsonDocument.Parse(WeatherSchema);
        var options = new ChatOptions { ResponseFormat = ChatResponseFormat.ForJsonSchema(schema.RootElement.Clone()), Temperature = 1, Seed = seed, MaxOutputTokens = 200 };

        var response = await Respond(client, options, streaming);

        using var value = JsonDocument.Parse(response.Text);
        Assert.True(ReferenceValidator.IsValid(schema.RootElement, value.RootElement), response.Text);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task GetResponseAsync_ResponseFormatJson_OutputIsObjectPrefix(bool streaming)
    {
        using var client = new LocalChatClient(_qwen);
        var options = new ChatOptions { ResponseFormat = ChatResponseFormat.Json, Temperature = 1, Seed = 3, MaxOutputTokens = 24 };

        var response = await Respond(client, options, streaming);

        Assert.NotEqual(ConstraintTestSupport.Outcome.Rejected, ConstraintTestSupport.Run(Constraint.ForJsonObject(), response.Text));
        Assert.StartsWith("{", response.Text.TrimStart(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task GetResponseAsync_Choices_OutputIsOneChoice(bool streaming)
    {
        using var client = new LocalChatClient(_phi);
        var choices = new ChoiceConstraint(["billing", "support", "sales"]);
        var options = new ChatOptions { Temperature = 1, Seed = 5, MaxOutputTokens = 12, AdditionalProperties = new() { [ChatConstraints.ConstraintKey] = choices } };

        var response = await Respond(client, options, streaming);

        Assert.InRange(choices.Match(response.Text), 0, 2);
    }

    [Fact]
    public async Task GetResponseAsync_UnsupportedSchema_ThrowsBeforeGenerating()
    {
        using var client = new LocalChatClient(_phi);
        using var schema = JsonDocument.Parse("""{"type":"object","patternProperties":{"^x":{}}}""");
        var options = new ChatOptions { ResponseFormat = ChatResponseFormat.ForJsonSchema(schema.RootElement.Clone()) };

        var error = await Assert.ThrowsAsync<UnsupportedSchemaFeatureException>(() => client.GetResponseAsync(s_messages, options, TestContext.Current.CancellationToken));
        Assert.Equal("patternProperties", error.Feature);
    }

    private static ChatOptions Options(ChatToolMode mode, int seed)
    {
        using var weather = JsonDocument.Parse(WeatherSchema);
        using var time = JsonDocument.Parse(TimeSchema);
        return new ChatOptions
        {
            Tools =
            [
                AIFunctionFactory.CreateDeclaration("get_weather", "Current weather.", weather.RootElement.Clone()),
                AIFunctionFactory.CreateDeclaration("get_time", "Current time.", time.RootElement.Clone()),
            ],
            ToolMode = mode,
            Temperature = 1,
            Seed = seed,
            MaxOutputTokens = 300,
        };
    }

    private static async Task<ChatResponse> Respond(LocalChatClient client, ChatOptions options, bool streaming)
    {
        var token = TestContext.Current.CancellationToken;
        if (!streaming)
        {
            return await client.GetResponseAsync(s_messages, options, token);
        }

        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync(s_messages, options, token))
        {
            updates.Add(update);
        }

        return updates.ToChatResponse();
    }

    private static void AssertValidArguments(FunctionCallContent call, string schema)
    {
        var arguments = JsonSerializer.Serialize(call.Arguments);
        using var document = JsonDocument.Parse(schema);
        using var value = JsonDocument.Parse(arguments);
        Assert.True(ReferenceValidator.IsValid(document.RootElement, value.RootElement), arguments);
    }
}
