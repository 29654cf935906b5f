using Edgewise.Gguf;

namespace Edgewise.Inference.Architectures;

/// <summary>
/// What a tensor is to the engine: the weight it binds to, and so its GGUF name. Global roles come first, then the
/// per-block ones (<see cref="TensorDeclaration.IsBlock"/>).
/// </summary>
internal enum TensorRole
{
    /// <summary><c>token_embd.weight</c>.</summary>
    TokenEmbedding,

    /// <summary><c>output_norm.weight</c>.</summary>
    OutputNorm,

    /// <summary><c>output.weight</c> (absent when tied to the embedding).</summary>
    Output,

    /// <summary><c>rope_freqs.weight</c>: Llama 3 per-pair frequency divisors.</summary>
    RopeFrequencies,

    /// <summary><c>rope_factors_long.weight</c>: LongRoPE divisors beyond the original context.</summary>
    RopeFactorsLong,

    /// <summary><c>rope_factors_short.weight</c>: LongRoPE divisors within the original context.</summary>
    RopeFactorsShort,

    /// <summary><c>blk.N.attn_norm.weight</c>.</summary>
    AttentionNorm,

    /// <summary><c>blk.N.attn_q.weight</c>.</summary>
    Query,

    /// <summary><c>blk.N.attn_k.weight</c>.</summary>
    Key,

    /// <summary><c>blk.N.attn_v.weight</c>.</summary>
    Value,

    /// <summary><c>blk.N.attn_q.bias</c>.</summary>
    QueryBias,

    /// <summary><c>blk.N.attn_k.bias</c>.</summary>
    KeyBias,

    /// <summary><c>blk.N.attn_v.bias</c>.</summary>
    ValueBias,

    /// <summary><c>blk.N.attn_qkv.weight</c>: fused [Q | K | V].</summary>
    QueryKeyValue,

    /// <summary><c>blk.N.attn_q_norm.weight</c>: per-head RMSNorm of Q.</summary>
    QueryNorm,

    /// <summary><c>blk.N.attn_k_norm.weight</c>: per-head RMSNorm of K.</summary>
    KeyNorm,

    /// <summary><c>blk.N.attn_output.weight</c>.</summary>
    AttentionOutput,

    /// <summary><c>blk.N.attn_output.bias</c>.</summary>
    AttentionOutputBias,

    /// <summary><c>blk.N.ffn_norm.weight</c>.</summary>
    FeedForwardNorm,

    /// <summary><c>blk.N.ffn_gate.weight</c>.</summary>
    Gate,

    /// <summary><c>blk.N.ffn_up.weight</c>: the up projection, or the fused [gate | up] one when there is no gate.</summary>
    Up,

    /// <summary><c>blk.N.ffn_down.weight</c>.</summary>
    Down,
}

/// <summary>A dimension of a tensor, named by the hyperparameter it equals (see <see cref="TensorDeclaration.Resolve"/>).</summary>
internal enum TensorDimension
{
    /// <summary>n_embd.</summary>
    Embedding,

    /// <summary>Vocabulary entries.</summary>
    Vocabulary,

    /// <summary>Rotated pairs per head: rope dimensions / 2.</summary>
    RopePairs,

    /// <summary>Per-head size of Q and K.</summary>
    HeadDimension,

    /// <summary>Q projection width: heads × head dimension.</summary>
    Query,

    /// <summary>K projection width: KV heads × head dimension.</summary>
    KeyValue,

    /// <summary>V projection width: KV heads × value head dimension.</summary>
    Value,

    /// <summary>Fused [Q | K | V] width.</summary>
    QueryKeyValue,

    /// <summary>n_ff.</summary>
    FeedForward,

    /// <summary>Fused [gate | up] width: 2 × n_ff.</summary>
    GateUp,
}

/// <summary>
/// One entry of an architecture's tensor list: the role (which names the tensor and says what it binds to), whether
/// a file must hold it, and its shape in hyperparameter terms, innermost dimension first as GGUF stores it. The
/// loader's checks (<see cref="ModelTensorLayout"/>), the binding of weights, the synthesizer's tensors and the
/// parameter count of a shape are all derived from these lists.
/// </summary>
internal sealed class TensorDeclaration
{
    private readonly TensorDimension[] _shape;

    private TensorDeclaration(TensorRole role, bool required, TensorDimension[] shape)
    {
        Role = role;
        Required = required;
        _shape = shape;
    }

    /// <summary>The role.</summary>
    public TensorRole Role { get; }

    /// <summary>False for tensors a file may leave out (tied output, optional biases, RoPE factor tables).</summary>
    public bool Required { get; }

    /// <summary>The dimensions, innermost first.</summary>
    public IReadOnlyList<TensorDimension> Shape => _shape;

    /// <summary>True for a per-block tensor (named <c>blk.N.*</c>).</summary>
    public bool IsBlock => Role >= TensorRole.AttentionNorm;

    /// <summary>A tensor every file of the architecture holds.</summary>
    public static TensorDeclaration Require(TensorRole role, params TensorDimension[] shape) => new(role, true, shape);

    /// <summary>A tensor a file may leave out; when present its shape must match.</summary>
    public static TensorDeclaration Allow(TensorRole role, params TensorDimension[] shape) => new(role, false, shape);

    /// <summary>The GGUF name of this tensor in block <paramref name="block"/> (ignored for global tensors).</summary>
    public string Name(int block) => Role switch
    {
        TensorRole.TokenEmbedding => TensorNames.TokenEmbedding,
        TensorRole.OutputNorm => TensorNames.OutputNorm,
        TensorRole.Output => TensorNames.Output,
        TensorRole.RopeFrequencies => TensorNames.RopeFreqs,
        TensorRole.RopeFactorsLong => TensorNames.RopeFactorsLong,
        TensorRole.RopeFactorsShort => TensorNames.RopeFactorsShort,
        TensorRole.AttentionNorm => TensorNames.Block(block, "attn_norm"),
        TensorRole.Query => TensorNames.Block(block, "attn_q"),
        TensorRole.Key => TensorNames.Block(block, "attn_k"),
        TensorRole.Value => TensorNames.Block(block, "attn_v"),
        TensorRole.QueryBias => TensorNames.Block(block, "attn_q", "bias"),
        TensorRole.KeyBias => TensorNames.Block(block, "attn_k", "bias"),
        TensorRole.ValueBias => TensorNames.Block(block, "attn_v", "bias"),
        TensorRole.QueryKeyValue => TensorNames.Block(block, "attn_qkv"),
        TensorRole.QueryNorm => TensorNames.Block(block, "attn_q_norm"),
        TensorRole.KeyNorm => TensorNames.Block(block, "attn_k_norm"),
        TensorRole.AttentionOutput => TensorNames.Block(block, "attn_output"),
        TensorRole.AttentionOutputBias => TensorNames.Block(block, "attn_output", "bias"),
        TensorRole.FeedForwardNorm => TensorNames.Block(block, "ffn_norm"),
        TensorRole.Gate => TensorNames.Block(block, "ffn_gate"),
        TensorRole.Up => TensorNames.Block(block, "ffn_up"),
        TensorRole.Down => TensorNames.Block(block, "ffn_down"),
        _ => throw new ArgumentOutOfRangeException(nameof(block)),
    };

    /// <summary>The shape this tensor has in a model with hyperparameters <paramref name="hp"/>.</summary>
    public long[] Resolve(ModelHyperparameters hp)
    {
        var dims = new long[_shape.Length];
        for (var i = 0; i < dims.Length; i++)
        {
            dims[i] = _shape[i] switch
            {
                TensorDimension.Embedding => hp.EmbeddingLength,
                TensorDimension.Vocabulary => hp.VocabSize,
                TensorDimension.RopePairs => hp.RopeDimensionCount / 2,
                TensorDimension.HeadDimension => hp.HeadDimension,
                TensorDimension.Query => hp.QueryLength,
                TensorDimension.KeyValue => hp.KeyValueLength,
                TensorDimension.Value => hp.ValueLength,
                TensorDimension.QueryKeyValue => (long)hp.QueryLength + hp.KeyValueLength + hp.ValueLength,
                TensorDimension.FeedForward => hp.FeedForwardLength,
                TensorDimension.GateUp => 2L * hp.FeedForwardLength,
                _ => throw new InvalidOperationException("Unknown tensor dimension."),
            };
        }

        return dims;
    }
}
