namespace Edgewise.Tokenization;

/// <summary>
/// Stable codes carried by <see cref="Edgewise.Gguf.InvalidModelFileException.Code"/> when the tokenizer metadata of a
/// model is rejected (docs/security.md G31–G34, M09).
/// </summary>
public static class VocabErrorCodes
{
    /// <summary><c>tokenizer.ggml.model</c> is missing or not a string.</summary>
    public const string ModelMissing = "vocab.model.missing";

    /// <summary><c>tokenizer.ggml.model</c> names a tokenizer Edgewise does not implement.</summary>
    public const string ModelUnsupported = "vocab.model.unsupported";

    /// <summary><c>tokenizer.ggml.pre</c> names a pre-tokenizer Edgewise does not implement.</summary>
    public const string PreTokenizerUnsupported = "vocab.pre.unsupported";

    /// <summary>The token list is missing, not a string array, empty, or longer than <see cref="Vocabulary.MaxTokens"/> (G31).</summary>
    public const string Tokens = "vocab.tokens";

    /// <summary>Two tokens have the same text.</summary>
    public const string DuplicateToken = "vocab.tokens.duplicate";

    /// <summary>The scores are not a FLOAT32 array with one entry per token (G32).</summary>
    public const string Scores = "vocab.scores";

    /// <summary>The token types are not an integer array with one entry per token (G32).</summary>
    public const string TokenTypes = "vocab.token_type";

    /// <summary>A special-token id is not an integer in [0, vocabulary size), or a required one is absent (G33).</summary>
    public const string SpecialId = "vocab.special_id";

    /// <summary>A BYTE token is not spelled <c>&lt;0xHH&gt;</c> (G34).</summary>
    public const string ByteToken = "vocab.byte_token";

    /// <summary>The merges are missing, not strings, malformed, or name tokens that are not in the vocabulary (G34).</summary>
    public const string Merges = "vocab.merges";

    /// <summary>A boolean tokenizer flag has the wrong type.</summary>
    public const string Flag = "vocab.flag";
}
