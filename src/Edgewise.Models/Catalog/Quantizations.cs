namespace Edgewise.Models.Catalog;

/// <summary>Quantization names the catalog uses, ranked by output quality.</summary>
public static class Quantizations
{
    /// <summary>The quantization chosen when nothing else is known (what Ollama and most tools default to).</summary>
    public const string Default = "q4_k_m";

    // Lowest quality first. f16 is never chosen automatically: on a CPU it doubles the memory traffic of q8_0 for
    // no visible quality gain; ask for it by name.
    private static readonly string[] s_byQuality = ["q4_0", "q4_k_m", "q5_k_m", "q6_k", "q8_0"];

    /// <summary>Rank for automatic choice: higher is better; -1 for quantizations never chosen automatically.</summary>
    public static int QualityRank(string quant) => Array.IndexOf(s_byQuality, quant.ToLowerInvariant());
}
