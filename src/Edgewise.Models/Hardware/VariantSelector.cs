using Edgewise.Inference.Runtime;
using Edgewise.Models.Catalog;

namespace Edgewise.Models.Hardware;

/// <summary>
/// Memory planning and variant choice: a model needs its weights (the file, memory-mapped), its KV cache at the
/// configured context, and a fixed allowance for scratch buffers and the runtime.
/// </summary>
public static class VariantSelector
{
    /// <summary>Scratch, logits and runtime allowance per loaded model.</summary>
    public const long OverheadBytes = 64L << 20;

    /// <summary>Share of physical memory used as the default budget.</summary>
    public const double DefaultBudgetFraction = 0.75;

    /// <summary>The default memory budget for a machine with <paramref name="totalMemoryBytes"/>.</summary>
    public static long DefaultBudget(long totalMemoryBytes) => (long)(totalMemoryBytes * DefaultBudgetFraction);

    /// <summary>Bytes needed to run <paramref name="weightBytes"/> of weights with a KV cache of <paramref name="contextLength"/> tokens.</summary>
    public static long MemoryNeeded(long weightBytes, long kvBytesPerToken, int contextLength, int sequences = 1) =>
        checked(weightBytes + (kvBytesPerToken * contextLength * Math.Max(1, sequences)) + OverheadBytes);

    /// <summary>Bytes needed to run <paramref name="variant"/> of <paramref name="model"/>.</summary>
    public static long MemoryNeeded(CatalogModel model, CatalogVariant variant, int contextLength = ContextOptions.DefaultMaxContextLength)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(variant);
        return MemoryNeeded(variant.Bytes, model.KvBytesPerToken, Math.Min(contextLength, model.ContextLength));
    }

    /// <summary>
    /// The highest-quality variant (q4_0 &lt; q4_k_m &lt; q5_k_m &lt; q6_k &lt; q8_0; f16 only by name) whose weights plus
    /// KV cache at <paramref name="contextLength"/> fit <paramref name="budgetBytes"/>; null when none fits.
    /// </summary>
    public static CatalogVariant? Choose(CatalogModel model, long budgetBytes, int contextLength = ContextOptions.DefaultMaxContextLength)
    {
        ArgumentNullException.ThrowIfNull(model);
        CatalogVariant? best = null;
        foreach (var v in model.Variants)
        {
            var rank = Quantizations.QualityRank(v.Quant);
            if (rank >= 0 && MemoryNeeded(model, v, contextLength) <= budgetBytes
                && (best is null || rank > Quantizations.QualityRank(best.Quant)))
            {
                best = v;
            }
        }

        return best;
    }

    /// <summary>
    /// The largest model (by parameters) carrying <paramref name="tag"/> that has a variant fitting the budget, with
    /// that variant; null when nothing fits.
    /// </summary>
    public static (CatalogModel Model, CatalogVariant Variant)? Recommend(ModelCatalog catalog, string tag, long budgetBytes, int contextLength = ContextOptions.DefaultMaxContextLength)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        (CatalogModel, CatalogVariant)? best = null;
        foreach (var m in catalog.WithTag(tag))
        {
            if (Choose(m, budgetBytes, contextLength) is { } v && (best is null || m.Parameters > best.Value.Item1.Parameters))
            {
                best = (m, v);
            }
        }

        return best;
    }
}
