using Edgewise.Gguf;
using Edgewise.Inference.Architectures;
using Edgewise.Inference.Architectures.Llama;
using Edgewise.Inference.Architectures.Phi3;
using Edgewise.Inference.Architectures.Qwen2;
using Edgewise.Inference.Architectures.Qwen3;

namespace Edgewise.Inference.Synthesis;

/// <summary>
/// The exact tensor shapes and hyperparameters of a published model, without its weights: what
/// <c>edgewise model synth</c> and <c>edgewise bench --shape</c> build random-weight models from. Decode speed
/// depends on shapes and storage types, not on weight values.
/// </summary>
/// <param name="Name">Catalog name, e.g. <c>qwen2.5-0.5b</c>.</param>
/// <param name="Source">The published model the shape is taken from.</param>
/// <param name="Architecture">The architecture (one of <see cref="ModelArchitectures.All"/>).</param>
/// <param name="EmbeddingLength">Hidden size.</param>
/// <param name="BlockCount">Transformer blocks.</param>
/// <param name="HeadCount">Query heads.</param>
/// <param name="HeadCountKv">Key/value heads.</param>
/// <param name="HeadDimension">Head size.</param>
/// <param name="FeedForwardLength">FFN inner size.</param>
/// <param name="VocabSize">Vocabulary entries.</param>
/// <param name="TiedOutput">True when the output layer reuses the token embedding.</param>
/// <param name="RopeFreqBase">RoPE θ.</param>
/// <param name="RmsEpsilon">RMSNorm epsilon.</param>
/// <param name="ContextLength">Training context length.</param>
/// <param name="RopeDimensionCount">Rotated dimensions per head.</param>
/// <param name="Scaling">RoPE scaling scheme (Llama 3 frequency factors or Phi LongRoPE).</param>
public sealed record ModelShape(
    string Name,
    string Source,
    ModelArchitecture Architecture,
    int EmbeddingLength,
    int BlockCount,
    int HeadCount,
    int HeadCountKv,
    int HeadDimension,
    int FeedForwardLength,
    int VocabSize,
    bool TiedOutput,
    float RopeFreqBase,
    float RmsEpsilon,
    int ContextLength,
    int RopeDimensionCount,
    RopeScalingKind Scaling)
{
    /// <summary>
    /// Number of weights, embedding included (counted once when tied): the elements of every tensor a synthesized
    /// file of this shape holds (<see cref="SyntheticModel.Tensors"/>), RoPE factor tables aside.
    /// </summary>
    public long ParameterCount
    {
        get
        {
            long total = 0;
            foreach (var tensor in SyntheticModel.Tensors(this))
            {
                if (tensor.Name is TensorNames.RopeFreqs or TensorNames.RopeFactorsLong or TensorNames.RopeFactorsShort)
                {
                    continue;
                }

                long elements = 1;
                foreach (var dimension in tensor.Shape)
                {
                    elements *= dimension;
                }

                total += elements;
            }

            return total;
        }
    }

    /// <summary>The hyperparameters a GGUF file of this shape declares.</summary>
    public ModelHyperparameters ToHyperparameters() => new()
    {
        Architecture = Architecture,
        ContextLength = ContextLength,
        EmbeddingLength = EmbeddingLength,
        BlockCount = BlockCount,
        FeedForwardLength = FeedForwardLength,
        HeadCount = HeadCount,
        HeadCountKv = HeadCountKv,
        HeadDimension = HeadDimension,
        ValueHeadDimension = HeadDimension,
        RopeDimensionCount = RopeDimensionCount,
        RopeFreqBase = RopeFreqBase,
        RmsEpsilon = RmsEpsilon,
        VocabSize = VocabSize,
        RopeScaling = Scaling switch
        {
            RopeScalingKind.LongRope => new RopeScaling(RopeScalingKind.LongRope, 4096, LongRopeAttentionFactor(ContextLength, 4096)),
            RopeScalingKind.FrequencyFactors => new RopeScaling(RopeScalingKind.FrequencyFactors, 0, 1f),
            _ => RopeScaling.None,
        },
        TiedOutput = TiedOutput,
    };

    /// <summary>√(1 + ln(ctx/original) / ln(original)), the attention factor Phi LongRoPE models declare.</summary>
    internal static float LongRopeAttentionFactor(int context, int original) =>
        (float)Math.Sqrt(1 + (Math.Log((double)context / original) / Math.Log(original)));
}

/// <summary>The catalog of shapes <c>model synth</c> knows.</summary>
public static class ModelShapes
{
    private static readonly ModelShape[] s_all =
    [
        Llama("smollm2-135m", "HuggingFaceTB/SmolLM2-135M-Instruct", 576, 30, 9, 3, 64, 1536, 49152, 1e5f, 8192, RopeScalingKind.None),
        Llama("smollm2-360m", "HuggingFaceTB/SmolLM2-360M-Instruct", 960, 32, 15, 5, 64, 2560, 49152, 1e5f, 8192, RopeScalingKind.None),
        Llama("smollm2-1.7b", "HuggingFaceTB/SmolLM2-1.7B-Instruct", 2048, 24, 32, 32, 64, 8192, 49152, 1.3e5f, 8192, RopeScalingKind.None),
        Qwen2("qwen2.5-0.5b", "Qwen/Qwen2.5-0.5B-Instruct", 896, 24, 14, 2, 4864),
        Qwen2("qwen2.5-1.5b", "Qwen/Qwen2.5-1.5B-Instruct", 1536, 28, 12, 2, 8960),
        Qwen2("qwen2.5-3b", "Qwen/Qwen2.5-3B-Instruct", 2048, 36, 16, 2, 11008),
        Qwen2("qwen2.5-coder-0.5b", "Qwen/Qwen2.5-Coder-0.5B-Instruct", 896, 24, 14, 2, 4864),
        Qwen2("qwen2.5-coder-1.5b", "Qwen/Qwen2.5-Coder-1.5B-Instruct", 1536, 28, 12, 2, 8960),
        Qwen3("qwen3-0.6b", "Qwen/Qwen3-0.6B", 1024, 28, 16, 8, 3072),
        Qwen3("qwen3-1.7b", "Qwen/Qwen3-1.7B", 2048, 28, 16, 8, 6144),
        Qwen3("qwen3-4b", "Qwen/Qwen3-4B", 2560, 36, 32, 8, 9728),
        Llama("llama3.2-1b", "meta-llama/Llama-3.2-1B-Instruct", 2048, 16, 32, 8, 64, 8192, 128256, 5e5f, 131072, RopeScalingKind.FrequencyFactors),
        Llama("llama3.2-3b", "meta-llama/Llama-3.2-3B-Instruct", 3072, 28, 24, 8, 128, 8192, 128256, 5e5f, 131072, RopeScalingKind.FrequencyFactors),
        new("phi-3.5-mini", "microsoft/Phi-3.5-mini-instruct", Phi3Architecture.Instance, 3072, 32, 32, 32, 96, 8192, 32064, false, 1e4f, 1e-5f, 131072, 96, RopeScalingKind.LongRope),
        new("phi-4-mini", "microsoft/Phi-4-mini-instruct", Phi3Architecture.Instance, 3072, 32, 24, 8, 128, 8192, 200064, true, 1e4f, 1e-5f, 131072, 96, RopeScalingKind.LongRope),
    ];

    /// <summary>Every known shape.</summary>
    public static IReadOnlyList<ModelShape> All => s_all;

    /// <summary>Finds a shape by name (case-insensitive).</summary>
    public static ModelShape? Find(string name) =>
        Array.Find(s_all, s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase));

    private static ModelShape Llama(string name, string source, int embd, int layers, int heads, int kv, int headDim, int ff, int vocab, float theta, int ctx, RopeScalingKind scaling) =>
        new(name, source, LlamaArchitecture.Instance, embd, layers, heads, kv, headDim, ff, vocab, true, theta, 1e-5f, ctx, headDim, scaling);

    private static ModelShape Qwen2(string name, string source, int embd, int layers, int heads, int kv, int ff) =>
        new(name, source, Qwen2Architecture.Instance, embd, layers, heads, kv, embd / heads, ff, 151936, true, 1e6f, 1e-6f, 32768, embd / heads, RopeScalingKind.None);

    private static ModelShape Qwen3(string name, string source, int embd, int layers, int heads, int kv, int ff) =>
        new(name, source, Qwen3Architecture.Instance, embd, layers, heads, kv, 128, ff, 151936, true, 1e6f, 1e-6f, 40960, 128, RopeScalingKind.None);
}
