namespace Edgewise.Tokenization;

/// <summary>The tokenizer algorithm a vocabulary uses (<c>tokenizer.ggml.model</c>).</summary>
public enum VocabularyModel
{
    /// <summary><c>gpt2</c>: byte-level BPE with a pre-tokenizer regex.</summary>
    BytePairEncoding,

    /// <summary><c>llama</c>: SentencePiece BPE over scores, with <c>▁</c> for spaces and byte fallback.</summary>
    SentencePiece,
}
