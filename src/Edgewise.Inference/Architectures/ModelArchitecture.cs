using System.Text.Json;
using System.Text.Json.Serialization;
using Edgewise.Gguf;
using Edgewise.Inference.Constraints;
using Edgewise.Inference.Model;
using Edgewise.Inference.Runtime.Kernels;
using Edgewise.Tokenization.Templates;

namespace Edgewise.Inference.Architectures;

/// <summary>
/// One transformer architecture Edgewise runs, keyed by <c>general.architecture</c>. Each lives in its own folder
/// (<c>Architectures/&lt;Arch&gt;/</c>) and says, once, everything that distinguishes it: its tensor list (from which
/// the loader's checks, the weight binding, the synthesizer's tensors and a shape's parameter count are derived), its
/// RoPE style and factor choice, how its models write tool calls, and the chat template used when a file has none.
/// The hyperparameters are read the same way for every architecture (<see cref="ModelHyperparameters.Read"/>); the
/// transformer block is the shared <see cref="Runtime.ForwardPass"/>, driven by the bound weights. The supported set
/// is <see cref="ModelArchitectures.All"/>. Instances are singletons and compare by reference; in JSON an
/// architecture is its name.
/// </summary>
[JsonConverter(typeof(ModelArchitectureJsonConverter))]
public abstract class ModelArchitecture
{
    private TensorDeclaration[]? _globalTensors;
    private TensorDeclaration[]? _blockTensors;

    private protected ModelArchitecture()
    {
    }

    /// <summary>The GGUF architecture name (<c>general.architecture</c>, the prefix of its hyperparameter keys), e.g. <c>qwen2</c>.</summary>
    public abstract string Name { get; }

    /// <summary>How models of this architecture write tool calls when their chat template does not say (see <see cref="DetectToolCallFormat"/>).</summary>
    public abstract ToolCallFormat ToolCallFormat { get; }

    /// <summary>The built-in chat template family used when a file has no chat template, or its template fails.</summary>
    public abstract ChatTemplateFamily ChatTemplateFallback { get; }

    /// <summary>Which dimensions of a head rotate together.</summary>
    internal abstract RopeStyle RopeStyle { get; }

    /// <summary>The tensors outside the blocks, in the order they are checked and written.</summary>
    internal IReadOnlyList<TensorDeclaration> GlobalTensors => _globalTensors ??= Split(block: false);

    /// <summary>The tensors of every block, in the order they are checked and written.</summary>
    internal IReadOnlyList<TensorDeclaration> BlockTensors => _blockTensors ??= Split(block: true);

    /// <summary>True when the architecture reads a <c>rope_freqs</c> table (Llama 3 frequency divisors).</summary>
    internal bool DeclaresRopeFrequencies => GlobalTensors.Any(t => t.Role == TensorRole.RopeFrequencies);

    /// <summary>True when the architecture reads LongRoPE factor tables (so a file holding one uses LongRoPE scaling).</summary>
    internal bool UsesLongRope => GlobalTensors.Any(t => t.Role is TensorRole.RopeFactorsLong or TensorRole.RopeFactorsShort);

    /// <summary>
    /// The architecture's tensor list, written once: global tensors first, then those of one block (a block tensor's
    /// name takes the block number). The order is the order of the loader's checks and of a synthesized file.
    /// </summary>
    private protected abstract TensorDeclaration[] Tensors { get; }

    /// <summary>The GGUF name.</summary>
    public override string ToString() => Name;

    /// <summary>
    /// The tool-call format of a model: Hermes when its chat template wraps calls in <c>&lt;tool_call&gt;</c> tags,
    /// else <see cref="ToolCallFormat"/>.
    /// </summary>
    public ToolCallFormat DetectToolCallFormat(string? chatTemplate) =>
        chatTemplate is not null && chatTemplate.Contains("<tool_call>", StringComparison.Ordinal)
            ? ToolCallFormat.Hermes
            : ToolCallFormat;

    /// <summary>
    /// The per-pair frequency divisors for a context of <paramref name="contextLength"/> positions per sequence,
    /// or null for none.
    /// </summary>
    internal virtual float[]? RopeFactors(ModelWeights weights, ModelHyperparameters hp, int contextLength) => weights.RopeFrequencies;

    /// <summary>Binds every tensor by the roles of the tensor list. The caller has validated the layout.</summary>
    internal ModelWeights Bind(WeightBinder binder, ModelHyperparameters hp)
    {
        var layers = new LayerWeights[hp.BlockCount];
        for (var i = 0; i < layers.Length; i++)
        {
            layers[i] = BindLayer(binder, i);
        }

        // The global tensors every architecture shares, and the RoPE factor tables only where the architecture's list
        // declares them: only a declared tensor has had its shape checked, so an undeclared table in a hostile file (a
        // one-element rope_freqs in a qwen2 file) is ignored, as llama.cpp ignores it, instead of being read past its end.
        var embedding = binder.Matrix(TensorNames.TokenEmbedding);
        return new ModelWeights
        {
            TokenEmbedding = embedding,
            OutputNorm = binder.Vector(TensorNames.OutputNorm),
            Output = binder.OptionalMatrix(TensorNames.Output) ?? embedding,
            RopeFrequencies = DeclaresRopeFrequencies ? binder.OptionalVector(TensorNames.RopeFreqs) : null,
            RopeFactorsLong = DeclaredVector(binder, TensorRole.RopeFactorsLong, TensorNames.RopeFactorsLong),
            RopeFactorsShort = DeclaredVector(binder, TensorRole.RopeFactorsShort, TensorNames.RopeFactorsShort),
            Layers = layers,
        };
    }

    private float[]? DeclaredVector(WeightBinder binder, TensorRole role, string name) =>
        GlobalTensors.Any(t => t.Role == role) ? binder.OptionalVector(name) : null;

    private LayerWeights BindLayer(WeightBinder binder, int layer)
    {
        float[]? attentionNorm = null, queryBias = null, keyBias = null, valueBias = null, queryNorm = null, keyNorm = null;
        float[]? attentionOutputBias = null, feedForwardNorm = null;
        WeightMatrix? query = null, key = null, value = null, queryKeyValue = null, attentionOutput = null, gate = null, up = null, down = null;
        foreach (var tensor in BlockTensors)
        {
            var name = tensor.Name(layer);
            switch (tensor.Role)
            {
                case TensorRole.AttentionNorm: attentionNorm = Vector(binder, tensor, name); break;
                case TensorRole.Query: query = Matrix(binder, tensor, name); break;
                case TensorRole.Key: key = Matrix(binder, tensor, name); break;
                case TensorRole.Value: value = Matrix(binder, tensor, name); break;
                case TensorRole.QueryBias: queryBias = Vector(binder, tensor, name); break;
                case TensorRole.KeyBias: keyBias = Vector(binder, tensor, name); break;
                case TensorRole.ValueBias: valueBias = Vector(binder, tensor, name); break;
                case TensorRole.QueryKeyValue: queryKeyValue = Matrix(binder, tensor, name); break;
                case TensorRole.QueryNorm: queryNorm = Vector(binder, tensor, name); break;
                case TensorRole.KeyNorm: keyNorm = Vector(binder, tensor, name); break;
                case TensorRole.AttentionOutput: attentionOutput = Matrix(binder, tensor, name); break;
                case TensorRole.AttentionOutputBias: attentionOutputBias = Vector(binder, tensor, name); break;
                case TensorRole.FeedForwardNorm: feedForwardNorm = Vector(binder, tensor, name); break;
                case TensorRole.Gate: gate = Matrix(binder, tensor, name); break;
                case TensorRole.Up: up = Matrix(binder, tensor, name); break;
                case TensorRole.Down: down = Matrix(binder, tensor, name); break;
                default: throw new InvalidOperationException($"The {Name} tensor list puts a global tensor in a block.");
            }
        }

        return new LayerWeights
        {
            AttentionNorm = attentionNorm ?? throw Undeclared(TensorRole.AttentionNorm),
            Query = query,
            Key = key,
            Value = value,
            QueryKeyValue = queryKeyValue,
            QueryBias = queryBias,
            KeyBias = keyBias,
            ValueBias = valueBias,
            QueryNorm = queryNorm,
            KeyNorm = keyNorm,
            AttentionOutput = attentionOutput ?? throw Undeclared(TensorRole.AttentionOutput),
            AttentionOutputBias = attentionOutputBias,
            FeedForwardNorm = feedForwardNorm ?? throw Undeclared(TensorRole.FeedForwardNorm),
            Gate = gate,
            Up = up ?? throw Undeclared(TensorRole.Up),
            Down = down ?? throw Undeclared(TensorRole.Down),
        };
    }

    private static WeightMatrix? Matrix(WeightBinder binder, TensorDeclaration tensor, string name) =>
        tensor.Required ? binder.Matrix(name) : binder.OptionalMatrix(name);

    private static float[]? Vector(WeightBinder binder, TensorDeclaration tensor, string name) =>
        tensor.Required ? binder.Vector(name) : binder.OptionalVector(name);

    private InvalidOperationException Undeclared(TensorRole role) =>
        new($"The {Name} tensor list declares no {role} tensor, which every block needs.");

    private TensorDeclaration[] Split(bool block) => Array.FindAll(Tensors, t => t.IsBlock == block);
}

/// <summary>
/// Writes an architecture as its GGUF name and reads one back (a supported name only). Public so that the
/// source-generated JSON contracts of other assemblies, which name it through <see cref="ModelArchitecture"/>'s
/// attribute, can create it.
/// </summary>
public sealed class ModelArchitectureJsonConverter : JsonConverter<ModelArchitecture>
{
    /// <inheritdoc/>
    public override ModelArchitecture Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String && ModelArchitectures.TryParse(reader.GetString(), out var architecture)
            ? architecture
            : throw new JsonException("Not a supported architecture.");

    /// <inheritdoc/>
    public override void Write(Utf8JsonWriter writer, ModelArchitecture value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.Name);
}
