using System.Text.Json.Nodes;
using Edgewise.Gguf;
using Edgewise.Gguf.Architectures;
using Edgewise.Tokenization;
using Edgewise.Tokenization.Templates;
using Microsoft.Extensions.AI;

namespace Edgewise.Inference;

/// <summary>
/// Turns chat messages into prompt tokens: renders the model's chat template (or the architecture's built-in
/// family template when the model has none or it fails), then tokenizes with special tokens parsed and BOS added
/// unless the rendered text already starts with it.
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
        var fallback = architecture switch
        {
            ModelArchitecture.Llama => ChatTemplateFamily.Llama3,
            ModelArchitecture.Phi3 => ChatTemplateFamily.Phi3,
            _ => ChatTemplateFamily.ChatMl,
        };
        _renderer = new ChatTemplateRenderer(metadata.GetString(GgufKeys.Tokenizer.ChatTemplate), fallback, s_limits);
        var vocabulary = tokenizer.Vocabulary;
        _bos = vocabulary.BosId >= 0 && vocabulary.BosId < vocabulary.Count ? vocabulary.GetText(vocabulary.BosId) : null;
        _eos = vocabulary.EosId >= 0 && vocabulary.EosId < vocabulary.Count ? vocabulary.GetText(vocabulary.EosId) : null;
    }

    /// <summary>The rendered prompt text for <paramref name="messages"/>, ending with the assistant header.</summary>
    public string Render(IEnumerable<ChatMessage> messages)
    {
        var array = new JsonArray();
        foreach (var message in messages)
        {
            array.Add(new JsonObject
            {
                ["role"] = message.Role.Value,
                ["content"] = message.Text,
            });
        }

        return _renderer.Render(new ChatTemplateContext
        {
            Messages = array,
            AddGenerationPrompt = true,
            BosToken = _bos,
            EosToken = _eos,
            Limits = s_limits,
        }).Text;
    }

    /// <summary>Renders and tokenizes <paramref name="messages"/>.</summary>
    public int[] Tokenize(IEnumerable<ChatMessage> messages)
    {
        var text = Render(messages);
        var startsWithBos = _bos is { Length: > 0 } && text.StartsWith(_bos, StringComparison.Ordinal);
        return _tokenizer.Encode(text, addSpecial: !startsWithBos, parseSpecial: true);
    }
}
