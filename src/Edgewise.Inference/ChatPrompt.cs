using System.Text.Json.Nodes;
using Edgewise.Gguf;
using Edgewise.Inference.Architectures;
using Edgewise.Tokenization;
using Edgewise.Tokenization.Templates;
using Microsoft.Extensions.AI;

namespace Edgewise.Inference;

/// <summary>
/// Turns chat messages into prompt tokens: renders the model's chat template (or its architecture's
/// <see cref="ModelArchitecture.ChatTemplateFallback"/> when the model has none or it fails), then tokenizes with
/// special tokens parsed and BOS added unless the rendered text already starts with it.
/// </summary>
internal sealed class ChatPrompt
{
    // The step cap is the deterministic defence; the wall-clock backstop is raised because a cold render (JIT of
    // the interpreter) on a machine busy with inference can exceed the 1 s default and fail a valid request.
    private static readonly ChatTemplateLimits s_limits = ChatTemplateLimits.Default with { MaxDuration = TimeSpan.FromSeconds(10) };

    private readonly Tokenizer _tokenizer;
    private readonly ChatTemplateRenderer _renderer;
    private readonly string? _bos;
    private readonly string? _eos;

    public ChatPrompt(Tokenizer tokenizer, GgufMetadata metadata, ModelArchitecture architecture)
    {
        _tokenizer = tokenizer;
        _renderer = new ChatTemplateRenderer(metadata.GetString(GgufKeys.Tokenizer.ChatTemplate), architecture.ChatTemplateFallback, s_limits);
        var vocabulary = tokenizer.Vocabulary;
        _bos = vocabulary.BosId >= 0 && vocabulary.BosId < vocabulary.Count ? vocabulary.GetText(vocabulary.BosId) : null;
        _eos = vocabulary.EosId >= 0 && vocabulary.EosId < vocabulary.Count ? vocabulary.GetText(vocabulary.EosId) : null;
    }

    /// <summary>
    /// The rendered prompt text for <paramref name="messages"/>, ending with the assistant header. Function calls
    /// become the assistant's <c>tool_calls</c>, function results <c>tool</c> messages, and <paramref name="tools"/>
    /// (OpenAI function shape) the template's <c>tools</c>. Without <paramref name="addGenerationPrompt"/> the text
    /// stops after the last message (a prefix of any longer conversation's prompt).
    /// </summary>
    public string Render(IEnumerable<ChatMessage> messages, IReadOnlyList<System.Text.Json.JsonElement>? tools = null, bool addGenerationPrompt = true)
    {
        var array = new JsonArray();
        foreach (var message in messages)
        {
            var entry = new JsonObject
            {
                ["role"] = message.Role.Value,
                ["content"] = message.Text,
            };
            var calls = new JsonArray();
            var hadResult = false;
            foreach (var content in message.Contents)
            {
                switch (content)
                {
                    case FunctionCallContent call:
                        calls.Add((JsonNode)new JsonObject
                        {
                            ["type"] = "function",
                            ["id"] = call.CallId,
                            ["function"] = new JsonObject
                            {
                                ["name"] = call.Name,
                                ["arguments"] = System.Text.Json.JsonSerializer.SerializeToNode(call.Arguments ?? new Dictionary<string, object?>(), InferenceJsonContext.Info<IDictionary<string, object?>>()),
                            },
                        });
                        break;
                    case FunctionResultContent result:
                        hadResult = true;
                        array.Add((JsonNode)new JsonObject
                        {
                            ["role"] = "tool",
                            ["tool_call_id"] = result.CallId,
                            ["content"] = result.Result is string text ? text : System.Text.Json.JsonSerializer.Serialize(result.Result, InferenceJsonContext.Info<object?>()),
                        });
                        break;
                    default:
                        break;
                }
            }

            if (calls.Count > 0)
            {
                entry["tool_calls"] = calls;
            }

            if (calls.Count > 0 || !hadResult)
            {
                array.Add((JsonNode)entry);
            }
        }

        JsonArray? toolArray = null;
        if (tools is { Count: > 0 })
        {
            toolArray = [];
            foreach (var tool in tools)
            {
                toolArray.Add(JsonNode.Parse(tool.GetRawText()));
            }
        }

        return _renderer.Render(new ChatTemplateContext
        {
            Messages = array,
            Tools = toolArray,
            AddGenerationPrompt = addGenerationPrompt,
            BosToken = _bos,
            EosToken = _eos,
            Limits = s_limits,
        }).Text;
    }

    /// <summary>Renders and tokenizes <paramref name="messages"/> (with <paramref name="tools"/> when given).</summary>
    public int[] Tokenize(IEnumerable<ChatMessage> messages, IReadOnlyList<System.Text.Json.JsonElement>? tools = null, bool addGenerationPrompt = true)
    {
        var text = Render(messages, tools, addGenerationPrompt);
        var startsWithBos = _bos is { Length: > 0 } && text.StartsWith(_bos, StringComparison.Ordinal);
        return _tokenizer.Encode(text, addSpecial: !startsWithBos, parseSpecial: true);
    }
}
