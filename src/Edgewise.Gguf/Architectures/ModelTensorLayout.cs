namespace Edgewise.Gguf.Architectures;

/// <summary>
/// The tensors an architecture binds, with the shapes its hyperparameters imply. <see cref="Validate"/> runs when a
/// model is built, before any inference, so a file whose tensors disagree with its metadata is refused up front.
/// </summary>
public sealed class ModelTensorLayout
{
    private ModelTensorLayout(ModelHyperparameters hyperparameters, List<TensorRequirement> tensors)
    {
        Hyperparameters = hyperparameters;
        Tensors = tensors;
    }

    /// <summary>The hyperparameters the shapes were derived from.</summary>
    public ModelHyperparameters Hyperparameters { get; }

    /// <summary>Every tensor the architecture binds, global tensors first, then block by block.</summary>
    public IReadOnlyList<TensorRequirement> Tensors { get; }

    /// <summary>The layout implied by <paramref name="hp"/>.</summary>
    public static ModelTensorLayout For(ModelHyperparameters hp)
    {
        ArgumentNullException.ThrowIfNull(hp);
        var list = new List<TensorRequirement>();
        long embd = hp.EmbeddingLength;
        long vocab = hp.VocabSize;
        long pairs = hp.RopeDimensionCount / 2;
        Add(list, TensorNames.TokenEmbedding, true, embd, vocab);
        Add(list, TensorNames.OutputNorm, true, embd);
        Add(list, TensorNames.Output, false, embd, vocab);
        switch (hp.Architecture)
        {
            case ModelArchitecture.Llama:
                Add(list, TensorNames.RopeFreqs, false, pairs);
                break;
            case ModelArchitecture.Phi3:
                Add(list, TensorNames.RopeFactorsLong, false, pairs);
                Add(list, TensorNames.RopeFactorsShort, false, pairs);
                break;
            default:
                break;
        }

        for (var i = 0; i < hp.BlockCount; i++)
        {
            AddBlock(list, hp, i);
        }

        return new ModelTensorLayout(hp, list);
    }

    /// <summary>Reads the hyperparameters of <paramref name="header"/> and validates its tensors against them.</summary>
    /// <exception cref="InvalidModelFileException">Unsupported architecture, bad hyperparameters, or a missing or misshapen tensor.</exception>
    public static ModelTensorLayout Validate(GgufHeader header)
    {
        ArgumentNullException.ThrowIfNull(header);
        var layout = For(ModelHyperparameters.Read(header));
        layout.Check(header);
        return layout;
    }

    /// <summary>Checks that every required tensor exists and every present tensor has its expected shape.</summary>
    /// <exception cref="InvalidModelFileException"><c>model.tensor.missing</c> or <c>model.tensor.shape</c>.</exception>
    public void Check(GgufHeader header)
    {
        ArgumentNullException.ThrowIfNull(header);
        foreach (var requirement in Tensors)
        {
            var tensor = header.FindTensor(requirement.Name);
            if (tensor is null)
            {
                if (requirement.Required)
                {
                    throw new InvalidModelFileException(GgufErrorCodes.TensorMissing, -1, "A tensor the architecture requires is missing.");
                }

                continue;
            }

            if (!requirement.Matches(tensor))
            {
                throw new InvalidModelFileException(GgufErrorCodes.TensorShapeMismatch, -1, "A tensor's shape disagrees with the model's hyperparameters.");
            }
        }
    }

    private static void AddBlock(List<TensorRequirement> list, ModelHyperparameters hp, int i)
    {
        long embd = hp.EmbeddingLength;
        long q = hp.QueryLength;
        long kv = hp.KeyValueLength;
        long v = hp.ValueLength;
        long ff = hp.FeedForwardLength;
        Add(list, TensorNames.Block(i, "attn_norm"), true, embd);
        if (hp.Architecture == ModelArchitecture.Phi3)
        {
            Add(list, TensorNames.Block(i, "attn_qkv"), true, embd, q + kv + v);
        }
        else
        {
            var biases = hp.Architecture == ModelArchitecture.Qwen2;
            var optionalBiases = hp.Architecture == ModelArchitecture.Llama;
            Add(list, TensorNames.Block(i, "attn_q"), true, embd, q);
            Add(list, TensorNames.Block(i, "attn_k"), true, embd, kv);
            Add(list, TensorNames.Block(i, "attn_v"), true, embd, v);
            if (biases || optionalBiases)
            {
                Add(list, TensorNames.Block(i, "attn_q", "bias"), biases, q);
                Add(list, TensorNames.Block(i, "attn_k", "bias"), biases, kv);
                Add(list, TensorNames.Block(i, "attn_v", "bias"), biases, v);
            }

            if (optionalBiases)
            {
                Add(list, TensorNames.Block(i, "attn_output", "bias"), false, embd);
            }

            if (hp.Architecture == ModelArchitecture.Qwen3)
            {
                Add(list, TensorNames.Block(i, "attn_q_norm"), true, hp.HeadDimension);
                Add(list, TensorNames.Block(i, "attn_k_norm"), true, hp.HeadDimension);
            }
        }

        Add(list, TensorNames.Block(i, "attn_output"), true, q, embd);
        Add(list, TensorNames.Block(i, "ffn_norm"), true, embd);
        if (hp.Architecture == ModelArchitecture.Phi3)
        {
            Add(list, TensorNames.Block(i, "ffn_up"), true, embd, 2 * ff);
        }
        else
        {
            Add(list, TensorNames.Block(i, "ffn_gate"), true, embd, ff);
            Add(list, TensorNames.Block(i, "ffn_up"), true, embd, ff);
        }

        Add(list, TensorNames.Block(i, "ffn_down"), true, ff, embd);
    }

    private static void Add(List<TensorRequirement> list, string name, bool required, params long[] shape) =>
        list.Add(new TensorRequirement(name, shape, required));
}
