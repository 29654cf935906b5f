using System.Text.Json.Nodes;
using Edgewise.Tokenization.Templates;

namespace Edgewise.Tokenization.Tests.Templates;

public sealed class ChatTemplateRendererTests
{
    private const string ChatMlExpected =
        "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\n";

    private static readonly ChatTemplateLimits s_limits = new() { MaxSteps = 20_000, MaxDuration = TimeSpan.FromSeconds(30) };

    private static ChatTemplateContext Conversation() => new()
    {
        Messages =
        [
            new JsonObject { ["role"] = "system", ["content"] = "S" },
            new JsonObject { ["role"] = "user", ["content"] = "U" },
        ],
        AddGenerationPrompt = true,
        BosToken = "<BOS>",
        EosToken = "<EOS>",
        Limits = s_limits,
    };

    [Fact]
    public void Render_M10_TemplateOverStepCap_FallsBackToBuiltIn()
    {
        var renderer = new ChatTemplateRenderer(
            "<|im_start|>{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}", limits: s_limits);

        var result = renderer.Render(Conversation());

        Assert.True(result.UsedFallback);
        Assert.Equal(ChatTemplateFamily.ChatMl, result.Family);
        Assert.Equal(ChatMlExpected, result.Text);
        var warning = Assert.Single(result.Warnings);
        Assert.Contains(TemplateErrorCodes.StepCap, warning, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_M10_TemplateOver256KiB_FallsBackWithWarning()
    {
        var huge = "<|start_header_id|>" + new string(' ', 300 * 1024);

        var renderer = new ChatTemplateRenderer(huge);
        var result = renderer.Render(Conversation());

        Assert.Null(renderer.ModelTemplate);
        Assert.True(result.UsedFallback);
        Assert.Equal(ChatTemplateFamily.Llama3, result.Family);
        Assert.StartsWith("<BOS><|start_header_id|>system<|end_header_id|>", result.Text, StringComparison.Ordinal);
        Assert.Contains(TemplateErrorCodes.TooLarge, Assert.Single(result.Warnings), StringComparison.Ordinal);
    }

    [Fact]
    public void Render_M10_SstiTemplate_FallsBackAndLeaksNothing()
    {
        var renderer = new ChatTemplateRenderer("<|user|>{{ ''.__class__.__mro__[1].__subclasses__() }}");

        var result = renderer.Render(Conversation());

        Assert.True(result.UsedFallback);
        Assert.Equal("<|system|>\nS<|end|>\n<|user|>\nU<|end|>\n<|assistant|>\n", result.Text);
        Assert.DoesNotContain("__", Assert.Single(result.Warnings), StringComparison.Ordinal);
    }

    [Fact]
    public void Render_UnsupportedStatement_FallsBackToFamily()
    {
        var result = new ChatTemplateRenderer("<|user|>{% call x() %}{% endcall %}").Render(Conversation());

        Assert.True(result.UsedFallback);
        Assert.Equal(ChatTemplateFamily.Phi3, result.Family);
        Assert.Contains(TemplateErrorCodes.Unsupported, Assert.Single(result.Warnings), StringComparison.Ordinal);
    }

    [Fact]
    public void Render_MissingTemplate_UsesFallbackFamily()
    {
        var result = new ChatTemplateRenderer(null, ChatTemplateFamily.Gemma).Render(Conversation());

        Assert.True(result.UsedFallback);
        Assert.Equal(
            "<BOS><start_of_turn>user\nS<end_of_turn>\n<start_of_turn>user\nU<end_of_turn>\n<start_of_turn>model\n", result.Text);
        Assert.Single(result.Warnings);
    }

    [Fact]
    public void Render_UnknownFamily_FallsBackToChatMl()
    {
        var result = new ChatTemplateRenderer("{{ undefined_function() }}").Render(Conversation());

        Assert.Equal(ChatTemplateFamily.ChatMl, result.Family);
        Assert.Equal(ChatMlExpected, result.Text);
    }

    [Fact]
    public void Render_ValidModelTemplate_RendersWithoutFallback()
    {
        var source = File.ReadAllText(GoldenFiles.TemplatePath("Qwen-Qwen2.5-7B-Instruct"));

        var result = new ChatTemplateRenderer(source).Render(Conversation());

        Assert.False(result.UsedFallback);
        Assert.Empty(result.Warnings);
        Assert.Equal(ChatMlExpected, result.Text);
    }

    [Fact]
    public void Render_TemplateRaisesException_Propagates()
    {
        var renderer = new ChatTemplateRenderer(File.ReadAllText(GoldenFiles.TemplatePath("google-gemma-2-2b-it")));

        var ex = Assert.Throws<TemplateException>(() => renderer.Render(Conversation()));

        Assert.Equal(TemplateErrorCodes.Raised, ex.Code);
        Assert.Equal("System role not supported", ex.Message);
    }

    [Theory]
    [InlineData("Qwen-Qwen2.5-7B-Instruct", ChatTemplateFamily.ChatMl)]
    [InlineData("Qwen-Qwen3-0.6B", ChatTemplateFamily.ChatMl)]
    [InlineData("Qwen3-Coder", ChatTemplateFamily.ChatMl)]
    [InlineData("HuggingFaceTB-SmolLM3-3B", ChatTemplateFamily.ChatMl)]
    [InlineData("NousResearch-Hermes-3-Llama-3.1-8B-tool_use", ChatTemplateFamily.ChatMl)]
    [InlineData("meta-llama-Llama-3.1-8B-Instruct", ChatTemplateFamily.Llama3)]
    [InlineData("meta-llama-Llama-3.2-3B-Instruct", ChatTemplateFamily.Llama3)]
    [InlineData("microsoft-Phi-3.5-mini-instruct", ChatTemplateFamily.Phi3)]
    [InlineData("google-gemma-2-2b-it", ChatTemplateFamily.Gemma)]
    [InlineData("mistralai-Mistral-Nemo-Instruct-2407", ChatTemplateFamily.Unknown)]
    public void Detect_ReferenceTemplate_ReturnsFamily(string stem, ChatTemplateFamily expected)
    {
        Assert.Equal(expected, ChatTemplateFamilies.Detect(File.ReadAllText(GoldenFiles.TemplatePath(stem))));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("{{ messages }}")]
    public void Detect_NoMarkers_ReturnsUnknown(string? text)
    {
        Assert.Equal(ChatTemplateFamily.Unknown, ChatTemplateFamilies.Detect(text));
    }

    [Theory]
    [InlineData("gemma", ChatTemplateFamily.Gemma)]
    [InlineData("gemma3", ChatTemplateFamily.Gemma)]
    [InlineData("llama", ChatTemplateFamily.Unknown)] // runnable: its folder declares the fallback
    [InlineData("mistral3", ChatTemplateFamily.Unknown)]
    [InlineData(null, ChatTemplateFamily.Unknown)]
    public void ForOtherArchitecture_Name_ReturnsFamily(string? architecture, ChatTemplateFamily expected)
    {
        Assert.Equal(expected, ChatTemplateFamilies.ForOtherArchitecture(architecture));
    }

    [Theory]
    [InlineData(ChatTemplateFamily.ChatMl, ChatMlExpected)]
    [InlineData(ChatTemplateFamily.Llama3,
        "<BOS><|start_header_id|>system<|end_header_id|>\n\nS<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nU<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n")]
    [InlineData(ChatTemplateFamily.Phi3, "<|system|>\nS<|end|>\n<|user|>\nU<|end|>\n<|assistant|>\n")]
    [InlineData(ChatTemplateFamily.Gemma,
        "<BOS><start_of_turn>user\nS<end_of_turn>\n<start_of_turn>user\nU<end_of_turn>\n<start_of_turn>model\n")]
    public void BuiltIn_Family_RendersExpectedPrompt(ChatTemplateFamily family, string expected)
    {
        Assert.Equal(expected, ChatTemplateFamilies.BuiltIn(family).Render(Conversation()));
    }

    [Fact]
    public void BuiltIn_ChatMlWithToolsAndContentParts_RendersToolBlocks()
    {
        var context = new ChatTemplateContext
        {
            Messages =
            [
                new JsonObject { ["role"] = "system", ["content"] = "S" },
                new JsonObject { ["role"] = "user", ["content"] = new JsonArray(new JsonObject { ["type"] = "text", ["text"] = "Weather?" }) },
                new JsonObject
                {
                    ["role"] = "assistant",
                    ["content"] = "",
                    ["tool_calls"] = new JsonArray(new JsonObject
                    {
                        ["function"] = new JsonObject { ["name"] = "w", ["arguments"] = new JsonObject { ["city"] = "Paris" } },
                    }),
                },
                new JsonObject { ["role"] = "tool", ["content"] = "sunny" },
            ],
            Tools = [new JsonObject { ["type"] = "function", ["function"] = new JsonObject { ["name"] = "w" } }],
            Limits = s_limits,
        };

        var text = ChatTemplateFamilies.BuiltIn(ChatTemplateFamily.ChatMl).Render(context);

        Assert.Equal(
            "<|im_start|>system\nS\n\n# Tools\n\n<tools>\n{\"type\": \"function\", \"function\": {\"name\": \"w\"}}\n</tools><|im_end|>\n"
            + "<|im_start|>user\nWeather?<|im_end|>\n"
            + "<|im_start|>assistant\n\n<tool_call>\n{\"name\": \"w\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call><|im_end|>\n"
            + "<|im_start|>tool\nsunny<|im_end|>\n",
            text);
    }

    [Fact]
    public void Render_StrftimeNow_UsesContextClock()
    {
        var context = new ChatTemplateContext { Messages = [], Now = new DateTimeOffset(2025, 3, 7, 9, 5, 0, TimeSpan.Zero) };

        var text = ChatTemplate.Parse("{{ strftime_now('%d %b %Y %H:%M %B %m %%') }}").Render(context);

        Assert.Equal("07 Mar 2025 09:05 March 03 %", text);
    }

    [Fact]
    public void Render_Llama32WithoutDateString_UsesContextClock()
    {
        var context = new ChatTemplateContext
        {
            Messages = [new JsonObject { ["role"] = "user", ["content"] = "hi" }],
            Now = new DateTimeOffset(2026, 1, 2, 0, 0, 0, TimeSpan.Zero),
        };

        var text = ChatTemplate.Parse(File.ReadAllText(GoldenFiles.TemplatePath("meta-llama-Llama-3.2-3B-Instruct"))).Render(context);

        Assert.Contains("Today Date: 02 Jan 2026\n", text, StringComparison.Ordinal);
    }
}
