using Edgewise.Gguf;

namespace Edgewise.Tokenization;

/// <summary>
/// Text ↔ token ids for one <see cref="Vocabulary"/>, matching llama.cpp's <c>llama_tokenize</c>,
/// <c>llama_token_to_piece</c> and <c>llama_detokenize</c>. Byte-level BPE (<c>gpt2</c>) and SentencePiece
/// (<c>llama</c>) vocabularies are supported. Thread-safe.
/// </summary>
public sealed class Tokenizer
{
    private readonly BytePairEncoder? _bpe;
    private readonly SentencePieceEncoder? _spm;
    private readonly Lazy<TokenPieces> _pieces;

    /// <summary>Creates a tokenizer for <paramref name="vocabulary"/>.</summary>
    public Tokenizer(Vocabulary vocabulary)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        Vocabulary = vocabulary;
        if (vocabulary.Model == VocabularyModel.BytePairEncoding)
        {
            _bpe = new BytePairEncoder(vocabulary);
        }
        else
        {
            _spm = new SentencePieceEncoder(vocabulary);
        }

        _pieces = new Lazy<TokenPieces>(() => new TokenPieces(vocabulary));
    }

    /// <summary>The vocabulary.</summary>
    public Vocabulary Vocabulary { get; }

    /// <summary>Loads the vocabulary from GGUF metadata and creates its tokenizer.</summary>
    /// <exception cref="InvalidModelFileException">The tokenizer metadata is invalid (codes in <see cref="VocabErrorCodes"/>).</exception>
    public static Tokenizer FromGguf(GgufMetadata metadata) => new(Vocabulary.FromGguf(metadata));

    /// <summary>Tokenizes <paramref name="text"/>.</summary>
    /// <param name="text">The text.</param>
    /// <param name="addSpecial">Add BOS/EOS as the vocabulary specifies.</param>
    /// <param name="parseSpecial">Recognise control-token text (e.g. <c>&lt;|im_start|&gt;</c>) as the token; user-defined tokens are always recognised.</param>
    public int[] Encode(string text, bool addSpecial, bool parseSpecial)
    {
        var output = new List<int>(text.Length / 3 + 4);
        Encode(text, addSpecial, parseSpecial, output);
        return [.. output];
    }

    /// <summary>Tokenizes <paramref name="text"/>, appending the ids to <paramref name="output"/>.</summary>
    public void Encode(string text, bool addSpecial, bool parseSpecial, List<int> output)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(output);
        var vocabulary = Vocabulary;
        if (addSpecial && vocabulary.AddBos)
        {
            output.Add(vocabulary.BosId);
        }

        var fragments = SpecialTokenPartitioner.Partition(vocabulary, text, parseSpecial);
        if (_bpe is not null)
        {
            var work = new BpeWorkspace();
            foreach (var fragment in fragments)
            {
                if (fragment.IsText)
                {
                    _bpe.Encode(text.AsSpan(fragment.Offset, fragment.Length), output, work);
                }
                else
                {
                    output.Add(fragment.Token);
                }
            }
        }
        else
        {
            var previousSpecial = true;
            foreach (var fragment in fragments)
            {
                if (fragment.IsText)
                {
                    _spm!.Encode(text.AsSpan(fragment.Offset, fragment.Length), vocabulary.AddSpacePrefix && previousSpecial, output);
                    previousSpecial = false;
                }
                else
                {
                    output.Add(fragment.Token);
                    previousSpecial = true;
                }
            }
        }

        if (addSpecial && vocabulary.AddEos)
        {
            output.Add(vocabulary.EosId);
        }
    }

    /// <summary>
    /// The bytes token <paramref name="id"/> renders to (<c>llama_token_to_piece</c> with <c>lstrip = 0</c>). A piece
    /// may be part of a UTF-8 sequence. Control and unknown tokens are empty unless <paramref name="renderSpecial"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="id"/> is not in the vocabulary.</exception>
    public ReadOnlySpan<byte> TokenToPiece(int id, bool renderSpecial)
    {
        CheckId(id);
        return _pieces.Value.Get(id, renderSpecial);
    }

    /// <summary>
    /// Turns ids back into text (<c>llama_detokenize</c> with <c>remove_special = false</c>): SentencePiece drops the
    /// first piece's leading space; BPE vocabularies that ask for it get llama.cpp's space clean-up. Invalid UTF-8
    /// becomes U+FFFD.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An id is not in the vocabulary.</exception>
    public string Decode(ReadOnlySpan<int> ids, bool renderSpecial)
    {
        foreach (var id in ids)
        {
            CheckId(id);
        }

        return _pieces.Value.Detokenize(ids, renderSpecial);
    }

    /// <summary>True when <paramref name="id"/> ends generation (EOS, EOT, EOM, <c>&lt;|im_end|&gt;</c>, ...).</summary>
    public bool IsEndOfGeneration(int id) => Vocabulary.IsEndOfGeneration(id);

    private void CheckId(int id)
    {
        if ((uint)id >= (uint)Vocabulary.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(id), id, "The token id is not in the vocabulary.");
        }
    }
}
