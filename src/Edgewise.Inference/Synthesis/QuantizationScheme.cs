using Edgewise.Gguf;

namespace Edgewise.Inference.Synthesis;

/// <summary>
/// Which storage type each tensor gets for a named file type (<c>f16</c>, <c>q8_0</c>, <c>q4_0</c>, <c>q4_k_m</c>, ...),
/// following llama-quantize's choices without an importance matrix: 1-D tensors stay F32; the output matrix (or the
/// tied embedding) gets Q6_K in the 4-bit schemes; Q4_K_M gives <c>attn_v</c>/<c>attn_qkv</c> and <c>ffn_down</c>
/// Q6_K in the first and last eighth of the blocks and every third block between; K-quants fall back to
/// Q5_0 / Q5_1 / Q8_0 when a row is not a multiple of 256.
/// </summary>
public sealed class QuantizationScheme
{
    private static readonly string[] s_names = ["f32", "f16", "bf16", "q8_0", "q4_0", "q4_k_m", "q5_k_m", "q6_k"];

    private QuantizationScheme(string name) => Name = name;

    /// <summary>Scheme name, lower case.</summary>
    public string Name { get; }

    /// <summary>The <c>general.file_type</c> value llama.cpp writes for this scheme (its <c>llama_ftype</c>).</summary>
    public uint FileType => GgufFileType.FromName(Name) ?? throw new InvalidOperationException("The scheme has no llama.cpp file type.");

    /// <summary>Every scheme name.</summary>
    public static IReadOnlyList<string> Names => s_names;

    /// <summary>Parses a scheme name (case-insensitive); null when unknown.</summary>
    public static QuantizationScheme? Parse(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var lower = name.ToLowerInvariant();
        return Array.IndexOf(s_names, lower) >= 0 ? new QuantizationScheme(lower) : null;
    }

    /// <summary>The storage type of tensor <paramref name="name"/> with shape <paramref name="dims"/> in a model of <paramref name="blockCount"/> blocks.</summary>
    public GgmlType TypeFor(string name, IReadOnlyList<long> dims, int blockCount, bool tiedOutput)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(dims);
        if (dims.Count < 2)
        {
            return GgmlType.F32;
        }

        var isOutput = name == TensorNames.Output || (tiedOutput && name == TensorNames.TokenEmbedding);
        var layer = LayerOf(name);
        var preferred = Name switch
        {
            "f32" => GgmlType.F32,
            "f16" => GgmlType.F16,
            "bf16" => GgmlType.BF16,
            "q8_0" => GgmlType.Q8_0,
            "q6_k" => GgmlType.Q6_K,
            "q4_0" => isOutput ? GgmlType.Q6_K : GgmlType.Q4_0,
            "q4_k_m" => KMixed(name, layer, blockCount, isOutput, GgmlType.Q4_K),
            _ => KMixed(name, layer, blockCount, isOutput, GgmlType.Q5_K),
        };
        return Fallback(preferred, dims[0]);
    }

    private static GgmlType KMixed(string name, int layer, int blockCount, bool isOutput, GgmlType baseType)
    {
        if (isOutput)
        {
            return GgmlType.Q6_K;
        }

        var moreBits = name.EndsWith(".attn_v.weight", StringComparison.Ordinal)
            || name.EndsWith(".attn_qkv.weight", StringComparison.Ordinal)
            || name.EndsWith(".ffn_down.weight", StringComparison.Ordinal);
        return moreBits && layer >= 0 && UseMoreBits(layer, blockCount) ? GgmlType.Q6_K : baseType;
    }

    private static bool UseMoreBits(int layer, int count) =>
        layer < count / 8 || layer >= 7 * count / 8 || (layer - (count / 8)) % 3 == 2;

    private static GgmlType Fallback(GgmlType type, long rowLength)
    {
        if (rowLength % GgmlTypeTraits.BlockSize(type) == 0)
        {
            return type;
        }

        var fallback = type switch
        {
            GgmlType.Q4_K => GgmlType.Q5_0,
            GgmlType.Q5_K => GgmlType.Q5_1,
            GgmlType.Q6_K => GgmlType.Q8_0,
            _ => GgmlType.F16,
        };
        return rowLength % GgmlTypeTraits.BlockSize(fallback) == 0 ? fallback : GgmlType.F16;
    }

    private static int LayerOf(string name)
    {
        if (!name.StartsWith("blk.", StringComparison.Ordinal))
        {
            return -1;
        }

        var end = name.IndexOf('.', 4);
        return end > 4 && int.TryParse(name.AsSpan(4, end - 4), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var layer) ? layer : -1;
    }
}
