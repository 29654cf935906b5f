namespace Edgewise.Tokenization.PreTokenization;

/// <summary>The pre-tokenizer families Edgewise implements (llama.cpp's <c>llama_vocab_pre_type</c> subset).</summary>
internal enum PreTokenizerKind
{
    /// <summary>llama.cpp's fallback: punctuation runs, GPT-2, digit runs, ASCII digit triples.</summary>
    Default,

    /// <summary>Llama 3 (<c>\p{N}{1,3}</c>).</summary>
    Llama3,

    /// <summary>Qwen2 (single digits).</summary>
    Qwen2,

    /// <summary>GPT-2.</summary>
    Gpt2,

    /// <summary>StarCoder / SmolLM: single digits, then GPT-2.</summary>
    StarCoder,

    /// <summary>o200k (GPT-4o, Phi-4-mini, Llama 4): words split at ASCII case changes, <c>\p{N}{1,3}</c>.</summary>
    Gpt4o,
}

/// <summary>How one <c>tokenizer.ggml.pre</c> value tokenizes and detokenizes.</summary>
/// <param name="Kind">The splitter family.</param>
/// <param name="IgnoreMerges">Words that are already tokens skip the merges (llama.cpp <c>ignore_merges</c>).</param>
/// <param name="CleanSpaces">Detokenization removes spaces before punctuation (llama.cpp <c>clean_spaces</c>).</param>
/// <param name="AddBos">The default of <c>add_bos</c> when the file does not say.</param>
internal readonly record struct PreTokenizerSettings(PreTokenizerKind Kind, bool IgnoreMerges, bool CleanSpaces, bool AddBos);

/// <summary>Splits text (as code points) into the words BPE merges run on.</summary>
internal static class PreTokenizer
{
    /// <summary>
    /// Maps <c>tokenizer.ggml.pre</c> to its settings as llama.cpp applies them. Returns false for a name Edgewise
    /// does not implement.
    /// </summary>
    public static bool TryResolve(string? name, out PreTokenizerSettings settings)
    {
        settings = name switch
        {
            null or "" or "default" => new(PreTokenizerKind.Default, IgnoreMerges: false, CleanSpaces: true, AddBos: false),
            "llama3" or "llama-v3" or "llama-bpe" or "falcon3" or "falcon-h1" or "pixtral" or "midm-2.0" or "lfm2"
                or "jina-v5-nano" => new(PreTokenizerKind.Llama3, IgnoreMerges: true, CleanSpaces: true, AddBos: true),
            "dbrx" or "smaug-bpe" => new(PreTokenizerKind.Llama3, IgnoreMerges: false, CleanSpaces: true, AddBos: false),
            "qwen2" or "deepseek-r1-qwen" or "kormo" or "f2llmv2" or "hunyuan" or "solar-open" or "grok-2"
                => new(PreTokenizerKind.Qwen2, IgnoreMerges: false, CleanSpaces: false, AddBos: false),
            "stablelm2" or "megrez" => new(PreTokenizerKind.Qwen2, IgnoreMerges: false, CleanSpaces: true, AddBos: false),
            "gpt-2" or "phi-2" or "jina-es" or "jina-de" or "gigachat" or "jina-v2-es" or "jina-v2-de" or "a.x-4.0"
                or "mellum" or "modern-bert" or "mpt" or "olmo" or "jais" or "exaone4"
                => new(PreTokenizerKind.Gpt2, IgnoreMerges: false, CleanSpaces: true, AddBos: false),
            "trillion" or "granite-docling" => new(PreTokenizerKind.Gpt2, IgnoreMerges: false, CleanSpaces: false, AddBos: false),
            "starcoder" or "refact" or "codeshell" or "exaone" or "minerva-7b" or "mellum2"
                => new(PreTokenizerKind.StarCoder, IgnoreMerges: false, CleanSpaces: true, AddBos: false),
            "smollm" or "command-r" => new(PreTokenizerKind.StarCoder, IgnoreMerges: false, CleanSpaces: false, AddBos: false),
            "gpt-4o" or "llama4" or "kanana2" or "talkie" or "minimax-m2"
                => new(PreTokenizerKind.Gpt4o, IgnoreMerges: false, CleanSpaces: false, AddBos: false),
            _ => default,
        };
        return name is null or "" or "default" || settings != default;
    }

    /// <summary>Splits <paramref name="cps"/>; <paramref name="words"/> receives word lengths in code points.</summary>
    public static void Split(PreTokenizerKind kind, ReadOnlySpan<int> cps, List<int> words, List<int> scratch)
    {
        words.Clear();
        if (cps.IsEmpty)
        {
            return;
        }

        scratch.Clear();
        scratch.Add(cps.Length);
        switch (kind)
        {
            case PreTokenizerKind.Llama3:
                Splitters.Llama3(cps, scratch, words, 3);
                break;
            case PreTokenizerKind.Qwen2:
                Splitters.Llama3(cps, scratch, words, 1);
                break;
            case PreTokenizerKind.Gpt2:
                Splitters.Gpt2(cps, scratch, words);
                break;
            case PreTokenizerKind.Gpt4o:
                Splitters.Gpt4o(cps, scratch, words);
                break;
            case PreTokenizerKind.StarCoder:
                Splitters.Isolate(cps, scratch, words, Splitters.IsNumber, runs: false);
                Swap(words, scratch);
                Splitters.Gpt2(cps, scratch, words);
                break;
            default:
                Splitters.Isolate(cps, scratch, words, Splitters.IsDefaultPunctuation, runs: true);
                Swap(words, scratch);
                Splitters.Gpt2(cps, scratch, words);
                Swap(words, scratch);
                Splitters.Isolate(cps, scratch, words, Splitters.IsNumber, runs: true);
                Swap(words, scratch);
                Splitters.AsciiDigitTriples(cps, scratch, words);
                break;
        }
    }

    private static void Swap(List<int> produced, List<int> next)
    {
        next.Clear();
        next.AddRange(produced);
        produced.Clear();
    }
}
