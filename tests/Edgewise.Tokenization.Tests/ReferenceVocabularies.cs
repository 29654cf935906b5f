using System.Collections.Concurrent;
using Edgewise.Gguf;
using Edgewise.Testing;

namespace Edgewise.Tokenization.Tests;

/// <summary>
/// Shared fixture: each reference vocabulary (a tokenizer-test vocab or a shipped model) is parsed once per test run
/// and shared by every test class, since loading 151k tokens takes a while.
/// </summary>
internal static class ReferenceVocabularies
{
    private static readonly ConcurrentDictionary<string, Lazy<Tokenizer>> s_tokenizers = new(StringComparer.Ordinal);

    public static Tokenizer Vocab(string fileName) => Get(SharedPaths.ReferenceFile("tokenizer", fileName));

    public static Tokenizer Model(string fileName) => Get(SharedPaths.ReferenceFile("models", fileName));

    public static GgufMetadata Metadata(string path)
    {
        using var file = GgufFile.Open(path);
        return file.Metadata;
    }

    /// <summary>
    /// The vocabulary llama.cpp used for a logits reference: the model file itself when shipped, otherwise the vocabulary
    /// file with the same tokenizer (ref-phi4 needs a shipped ref-phi4 model: its general.name switches off the Phi-3 quirk).
    /// </summary>
    public static Tokenizer ForModelFile(string modelFile)
    {
        var shipped = SharedPaths.ReferenceFile("models", modelFile);
        if (File.Exists(shipped))
        {
            return Get(shipped);
        }

        var family = modelFile[..modelFile.LastIndexOf('-')];
        return family switch
        {
            "ref-qwen2" or "ref-qwen3" => Vocab("ggml-vocab-qwen2-rebuilt.gguf"),
            "ref-llama" or "ref-llama32" => Vocab("ggml-vocab-llama-bpe-rebuilt.gguf"),
            "ref-phi3" => Vocab("ggml-vocab-phi-3.gguf"),
            "ref-phi4" => Model("ref-phi4-F16.gguf"),
            _ => throw new InvalidOperationException("No vocabulary for " + modelFile),
        };
    }

    private static Tokenizer Get(string path) =>
        s_tokenizers.GetOrAdd(path, p => new Lazy<Tokenizer>(() => Tokenizer.FromGguf(Metadata(p)))).Value;
}
