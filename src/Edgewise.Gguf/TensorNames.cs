namespace Edgewise.Gguf;

/// <summary>Every tensor name Edgewise binds, in one place.</summary>
public static class TensorNames
{
    /// <summary>Token embedding matrix.</summary>
    public const string TokenEmbedding = "token_embd.weight";

    /// <summary>Final norm.</summary>
    public const string OutputNorm = "output_norm.weight";

    /// <summary>Output (unembedding) matrix; absent when tied to the embedding.</summary>
    public const string Output = "output.weight";

    /// <summary>Llama 3 rope frequency factors.</summary>
    public const string RopeFreqs = "rope_freqs.weight";

    /// <summary>LongRoPE long factors.</summary>
    public const string RopeFactorsLong = "rope_factors_long.weight";

    /// <summary>LongRoPE short factors.</summary>
    public const string RopeFactorsShort = "rope_factors_short.weight";

    /// <summary>Name of a per-block tensor, e.g. <c>Block(3, "attn_q")</c> → <c>blk.3.attn_q.weight</c>.</summary>
    public static string Block(int layer, string tensor, string suffix = "weight") =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"blk.{layer}.{tensor}.{suffix}");
}
