using System.Runtime.InteropServices;
using Edgewise.Gguf;
using Edgewise.Inference.Architectures;
using Edgewise.Inference.Model;

namespace Edgewise.Inference.Tests.Support;

/// <summary>
/// Builds small random-weight GGUF models in memory: metadata per architecture (overridable), every tensor of
/// <see cref="ModelTensorLayout"/> as F32 (optional ones on request), values drawn from a seeded generator.
/// </summary>
internal sealed class TinyModel
{
    private readonly Dictionary<string, GgufValue> _metadata = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long[]?> _shapeOverrides = new(StringComparer.Ordinal);
    private readonly HashSet<string> _optional = new(StringComparer.Ordinal);
    private readonly List<(string Name, long[] Shape)> _undeclared = [];

    public TinyModel(string architecture)
    {
        Architecture = architecture;
        Set(GgufKeys.General.Architecture, GgufValue.String(architecture));
        Set(GgufKeys.General.Name, GgufValue.String("tiny-" + architecture));
        Set(GgufKeys.Llm.ContextLength(architecture), GgufValue.UInt32(256));
        Set(GgufKeys.Llm.EmbeddingLength(architecture), GgufValue.UInt32(32));
        Set(GgufKeys.Llm.BlockCount(architecture), GgufValue.UInt32(2));
        Set(GgufKeys.Llm.FeedForwardLength(architecture), GgufValue.UInt32(64));
        Set(GgufKeys.Llm.HeadCount(architecture), GgufValue.UInt32(4));
        Set(GgufKeys.Llm.HeadCountKv(architecture), GgufValue.UInt32(2));
        Set(GgufKeys.Llm.RopeFreqBase(architecture), GgufValue.Float32(10000f));
        Set(GgufKeys.Llm.RmsEpsilon(architecture), GgufValue.Float32(1e-5f));
        Set(GgufKeys.Llm.VocabSize(architecture), GgufValue.UInt32(48));
        if (architecture == "qwen3")
        {
            Set(GgufKeys.Llm.KeyLength(architecture), GgufValue.UInt32(16));
            Set(GgufKeys.Llm.ValueLength(architecture), GgufValue.UInt32(16));
        }
    }

    public string Architecture { get; }

    public int Seed { get; set; } = 7;

    public IEnumerable<KeyValuePair<string, GgufValue>> MetadataForTests => _metadata;

    public TinyModel Set(string key, GgufValue value)
    {
        _metadata[key] = value;
        return this;
    }

    public TinyModel Remove(string key)
    {
        _metadata.Remove(key);
        return this;
    }

    /// <summary>Includes an optional tensor of the layout (output, rope factors, biases).</summary>
    public TinyModel With(string tensor)
    {
        _optional.Add(tensor);
        return this;
    }

    /// <summary>Adds a tensor the architecture's list does not declare (as a hostile or odd file might).</summary>
    public TinyModel WithUndeclared(string tensor, long[] shape)
    {
        _undeclared.Add((tensor, shape));
        return this;
    }

    /// <summary>Gives a tensor another shape, or leaves it out (null).</summary>
    public TinyModel Override(string tensor, long[]? shape)
    {
        _shapeOverrides[tensor] = shape;
        return this;
    }

    public byte[] Build()
    {
        var metadataOnly = new GgufWriter();
        foreach (var (k, v) in _metadata)
        {
            metadataOnly.Add(k, v);
        }

        // Rope-factor tensors change the scaling kind, so read the hyperparameters with them present.
        foreach (var name in _optional)
        {
            if (name is TensorNames.RopeFreqs or TensorNames.RopeFactorsLong or TensorNames.RopeFactorsShort)
            {
                metadataOnly.AddTensor(name, GgmlType.F32, [1], new byte[4]);
            }
        }

        using var probe = GgufFile.FromBytes(metadataOnly.ToArray());
        var layout = ModelTensorLayout.For(ModelHyperparameters.Read(probe.Header));
        var writer = new GgufWriter();
        foreach (var (k, v) in _metadata)
        {
            writer.Add(k, v);
        }

        var random = new Random(Seed);
        foreach (var t in layout.Tensors)
        {
            if (!t.Required && !_optional.Contains(t.Name))
            {
                continue;
            }

            var shape = _shapeOverrides.TryGetValue(t.Name, out var o) ? o : [.. t.Shape];
            if (shape is null)
            {
                continue;
            }

            writer.AddTensor(t.Name, GgmlType.F32, shape, MemoryMarshal.AsBytes(Values(t.Name, shape, random).AsSpan()).ToArray());
        }

        foreach (var (name, shape) in _undeclared)
        {
            writer.AddTensor(name, GgmlType.F32, shape, MemoryMarshal.AsBytes(Values(name, shape, new Random(Seed)).AsSpan()).ToArray());
        }

        return writer.ToArray();
    }

    public LocalModel Load() => LocalModel.Load(GgufFile.FromBytes(Build()), ownsFile: true);

    private static float[] Values(string name, long[] shape, Random random)
    {
        var count = 1L;
        foreach (var d in shape)
        {
            count *= d;
        }

        var values = new float[count];
        var isRope = name.StartsWith("rope_", StringComparison.Ordinal);
        var isNorm = name.Contains("norm", StringComparison.Ordinal);
        var std = name == TensorNames.TokenEmbedding ? 0.35 : 1.0 / Math.Sqrt(shape[0]);
        for (var i = 0; i < values.Length; i++)
        {
            var g = Gaussian(random);
            values[i] = isRope ? (float)(1 + (3 * random.NextDouble()))
                : isNorm ? (float)(1 + (0.1 * g))
                : shape.Length == 1 ? (float)(0.1 * g)
                : (float)(std * g);
        }

        return values;
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
