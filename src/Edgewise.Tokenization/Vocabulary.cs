using Edgewise.Gguf;
using Edgewise.Tokenization.PreTokenization;

namespace Edgewise.Tokenization;

/// <summary>
/// A model's token vocabulary as llama.cpp loads it from GGUF metadata: token texts, scores, types and attributes,
/// BPE merges, the special ids, the add-BOS/EOS flags and the end-of-generation set. Immutable and thread-safe.
/// Create with <see cref="FromGguf"/>; every id it hands out is in [0, <see cref="Count"/>).
/// </summary>
public sealed class Vocabulary
{
    /// <summary>The largest accepted vocabulary (4 Mi entries).</summary>
    public const int MaxTokens = 4 * 1024 * 1024;

    private readonly string[] _texts;
    private readonly float[] _scores;
    private readonly TokenType[] _types;
    private readonly TokenAttributes[] _attributes;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly bool[] _endOfGeneration;

    internal Vocabulary(VocabularyData data)
    {
        Model = data.Model;
        PreTokenizerName = data.PreName;
        Pre = data.Pre;
        _texts = data.Texts;
        _scores = data.Scores;
        _types = data.Types;
        _attributes = data.Attributes;
        _lookup = data.Lookup.GetAlternateLookup<ReadOnlySpan<char>>();
        Merges = data.Merges;
        ByteTokens = data.ByteTokens;
        BosId = data.Bos;
        EosId = data.Eos;
        EotId = data.Eot;
        EomId = data.Eom;
        UnknownId = data.Unk;
        PaddingId = data.Pad;
        SeparatorId = data.Sep;
        AddBos = data.AddBos;
        AddEos = data.AddEos;
        AddSpacePrefix = data.AddSpacePrefix;
        _endOfGeneration = new bool[_texts.Length];
        foreach (var id in data.EndOfGeneration)
        {
            _endOfGeneration[id] = true;
        }

        EndOfGenerationIds = [.. data.EndOfGeneration];
        SpecialTokensLongestFirst = data.SpecialTokensLongestFirst;
    }

    /// <summary>The tokenizer algorithm.</summary>
    public VocabularyModel Model { get; }

    /// <summary>The <c>tokenizer.ggml.pre</c> value (empty when absent).</summary>
    public string PreTokenizerName { get; }

    /// <summary>Number of tokens.</summary>
    public int Count => _texts.Length;

    /// <summary>Number of distinct BPE merges (0 for SentencePiece).</summary>
    public int MergeCount => Merges.Count;

    /// <summary>Beginning-of-sequence id, or −1.</summary>
    public int BosId { get; }

    /// <summary>End-of-sequence id, or −1.</summary>
    public int EosId { get; }

    /// <summary>End-of-turn id (stored, or detected by text such as <c>&lt;|im_end|&gt;</c>), or −1.</summary>
    public int EotId { get; }

    /// <summary>End-of-message id (<c>&lt;|eom_id|&gt;</c>), or −1.</summary>
    public int EomId { get; }

    /// <summary>Unknown-token id, or −1.</summary>
    public int UnknownId { get; }

    /// <summary>Padding id, or −1.</summary>
    public int PaddingId { get; }

    /// <summary>Separator id, or −1.</summary>
    public int SeparatorId { get; }

    /// <summary>Whether encoding with special tokens prepends <see cref="BosId"/>.</summary>
    public bool AddBos { get; }

    /// <summary>Whether encoding with special tokens appends <see cref="EosId"/>.</summary>
    public bool AddEos { get; }

    /// <summary>Whether SentencePiece encoding prepends a space to text at the start and after a special token.</summary>
    public bool AddSpacePrefix { get; }

    /// <summary>Every id that ends generation (EOS, EOT, EOM and the end markers llama.cpp recognises), ascending.</summary>
    public IReadOnlyList<int> EndOfGenerationIds { get; }

    internal PreTokenizerSettings Pre { get; }

    /// <summary>BPE merges: rank and merged id by pair of token ids.</summary>
    internal MergeTable Merges { get; }

    /// <summary>Token for each byte value (byte-level BPE: the mapped character; SentencePiece: <c>&lt;0xHH&gt;</c>), or −1.</summary>
    internal int[] ByteTokens { get; }

    /// <summary>Control, user-defined and unknown tokens, longest text first (llama.cpp's special-token cache).</summary>
    internal int[] SpecialTokensLongestFirst { get; }

    /// <summary>Reads and validates the tokenizer metadata of a GGUF file.</summary>
    /// <exception cref="InvalidModelFileException">The metadata is missing, inconsistent or hostile (codes in <see cref="VocabErrorCodes"/>).</exception>
    public static Vocabulary FromGguf(GgufMetadata metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        return new Vocabulary(VocabularyLoader.Load(metadata));
    }

    /// <summary>The text of token <paramref name="id"/> as stored (byte-level or <c>▁</c>-escaped form).</summary>
    public string GetText(int id) => _texts[CheckId(id)];

    /// <summary>The score of token <paramref name="id"/> (0 when the file has none).</summary>
    public float GetScore(int id) => _scores[CheckId(id)];

    /// <summary>The stored type of token <paramref name="id"/>.</summary>
    public TokenType GetTokenType(int id) => _types[CheckId(id)];

    /// <summary>The effective attributes of token <paramref name="id"/>.</summary>
    public TokenAttributes GetAttributes(int id) => _attributes[CheckId(id)];

    /// <summary>True when <paramref name="id"/> ends generation.</summary>
    public bool IsEndOfGeneration(int id) => (uint)id < (uint)_endOfGeneration.Length && _endOfGeneration[id];

    /// <summary>Looks up the token whose stored text is exactly <paramref name="text"/>.</summary>
    public bool TryGetId(ReadOnlySpan<char> text, out int id) => _lookup.TryGetValue(text, out id);

    internal TokenAttributes AttributesUnchecked(int id) => _attributes[id];

    internal string TextUnchecked(int id) => _texts[id];

    internal float ScoreUnchecked(int id) => _scores[id];

    private int CheckId(int id)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(id);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(id, _texts.Length);
        return id;
    }
}
