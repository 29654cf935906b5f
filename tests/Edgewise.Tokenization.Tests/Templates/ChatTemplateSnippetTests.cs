using System.Text.Json.Nodes;
using Edgewise.Tokenization.Templates;

namespace Edgewise.Tokenization.Tests.Templates;

/// <summary>Single-feature templates (golden/snippets.json) compared with @huggingface/jinja's output or error.</summary>
public sealed class ChatTemplateSnippetTests
{
    private static readonly Lazy<JsonArray> s_snippets = new(() =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(GoldenFiles.Directory, "snippets.json")))!.AsArray());

    private static readonly Lazy<JsonObject> s_expected = new(() =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(GoldenFiles.Directory, "snippets.expected.json")))!.AsObject());

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var snippet in s_snippets.Value)
        {
            data.Add(snippet!["name"]!.GetValue<string>());
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Render_Snippet_MatchesHuggingFaceJinja(string name)
    {
        var snippet = s_snippets.Value.First(s => s!["name"]!.GetValue<string>() == name)!;
        var expected = s_expected.Value[name]!.AsObject();
        var variables = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        JsonArray messages = [];
        if (snippet["vars"] is JsonObject vars)
        {
            foreach (var (key, value) in vars)
            {
                if (key == "messages")
                {
                    messages = value!.DeepClone().AsArray();
                }
                else
                {
                    variables[key] = value?.DeepClone();
                }
            }
        }

        var context = new ChatTemplateContext
        {
            Messages = messages,
            BosToken = GoldenFiles.Bos,
            EosToken = GoldenFiles.Eos,
            Variables = variables,
            Limits = GoldenFiles.Limits,
        };
        var source = snippet["template"]!.GetValue<string>();

        if (expected["output"] is { } output)
        {
            Assert.Equal(output.GetValue<string>(), ChatTemplate.Parse(source).Render(context));
        }
        else
        {
            Assert.Throws<TemplateException>(() => ChatTemplate.Parse(source).Render(context));
        }
    }
}
