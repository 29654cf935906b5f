using System.Collections.Concurrent;
using System.Text.Json;
using Edgewise.Testing;

namespace Edgewise.Tokenization.Tests;

/// <summary>
/// The tokenization recorded with every logits reference (../shared/reference/logits/*.json): all four
/// add_special × parse_special combinations of every prompt, and the rendered piece of every evaluated token.
/// </summary>
public sealed class LogitsPromptTests
{
    private static readonly string[] s_modes =
    [
        "tokens_add_special_parse_special", "tokens_add_special_no_parse_special",
        "tokens_no_add_special_parse_special", "tokens_no_add_special_no_parse_special",
    ];

    private static readonly ConcurrentDictionary<string, Lazy<Reference>> s_references = new(StringComparer.Ordinal);

    public static TheoryData<string, int, string> EncodeCases()
    {
        var data = new TheoryData<string, int, string>();
        foreach (var file in ReferenceFiles())
        {
            for (var p = 0; p < PromptCount(file); p++)
            {
                foreach (var mode in s_modes)
                {
                    data.Add(file, p, mode);
                }
            }
        }

        return data;
    }

    public static TheoryData<string, int> PromptCases()
    {
        var data = new TheoryData<string, int>();
        foreach (var file in ReferenceFiles())
        {
            for (var p = 0; p < PromptCount(file); p++)
            {
                data.Add(file, p);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(EncodeCases))]
    public void Encode_LogitsPrompt_MatchesLlamaCpp(string file, int prompt, string mode)
    {
        var reference = Load(file);
        var entry = reference.Prompts[prompt];
        var expected = entry.GetProperty(mode).EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var addSpecial = mode.StartsWith("tokens_add_special", StringComparison.Ordinal);
        var parseSpecial = !mode.EndsWith("no_parse_special", StringComparison.Ordinal);

        var actual = ReferenceVocabularies.ForModelFile(reference.ModelFile)
            .Encode(entry.GetProperty("text").GetString()!, addSpecial, parseSpecial);

        Assert.Equal(expected, actual);
    }

    [Theory]
    [MemberData(nameof(PromptCases))]
    public void TokenToPiece_EvalTokens_MatchReferenceHex(string file, int prompt)
    {
        var reference = Load(file);
        var entry = reference.Prompts[prompt];
        var tokenizer = ReferenceVocabularies.ForModelFile(reference.ModelFile);
        var ids = entry.GetProperty("eval_tokens").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var expected = entry.GetProperty("eval_token_pieces_hex").EnumerateArray().Select(e => e.GetString()).ToArray();

        var actual = ids.Select(id => Convert.ToHexStringLower(tokenizer.TokenToPiece(id, renderSpecial: true))).ToArray();

        Assert.Equal(expected, actual);
    }

    public static TheoryData<string> FileCases() => [.. ReferenceFiles()];

    [Theory]
    [MemberData(nameof(FileCases))]
    public void Vocabulary_LogitsReference_HasRecordedSpecialIds(string file)
    {
        var reference = Load(file);
        var vocabulary = ReferenceVocabularies.ForModelFile(reference.ModelFile).Vocabulary;
        var root = reference.Root;

        Assert.Equal(root.GetProperty("n_vocab").GetInt32(), vocabulary.Count);
        Assert.Equal(root.GetProperty("bos_id").GetInt32(), vocabulary.BosId);
        Assert.Equal(root.GetProperty("eos_id").GetInt32(), vocabulary.EosId);
        Assert.Equal(root.GetProperty("add_bos").GetBoolean(), vocabulary.AddBos);
        Assert.Equal(root.GetProperty("add_eos").GetBoolean(), vocabulary.AddEos);
    }

    private static IEnumerable<string> ReferenceFiles() => !SharedPaths.Available ? [SharedPaths.Missing] :
        Directory.GetFiles(SharedPaths.ReferenceFile("logits"), "*.json").Select(Path.GetFileName).Order(StringComparer.Ordinal)!;

    private static int PromptCount(string file) => SharedPaths.Available ? Load(file).Prompts.Length : 1;

    private static Reference Load(string file) =>
        s_references.GetOrAdd(file, f => new Lazy<Reference>(() => new Reference(f))).Value;

    private sealed class Reference
    {
        public Reference(string file)
        {
            using var stream = File.OpenRead(SharedPaths.ReferenceFile("logits", file));
            using var document = JsonDocument.Parse(stream);
            Root = document.RootElement.Clone();
            ModelFile = Root.GetProperty("model_file").GetString()!;
            Prompts = [.. Root.GetProperty("prompts").EnumerateArray()];
        }

        public JsonElement Root { get; }

        public string ModelFile { get; }

        public JsonElement[] Prompts { get; }
    }
}
