using System.Buffers;
using Edgewise.Gguf;
using Edgewise.Inference.Architectures;
using Edgewise.Numerics;

namespace Edgewise.Inference.Synthesis;

/// <summary>
/// Builds random-weight GGUF models with the exact shapes of published ones (<see cref="ModelShapes"/>): weights
/// pseudo-normal with standard deviation 0.02, norm weights 1, biases N(0, 0.02), seeded per row so the output
/// does not depend on the thread count. Tensor data is generated and quantized while it is written, so a
/// multi-gigabyte model never sits in memory.
/// </summary>
public static class SyntheticModel
{
    private const float WeightStd = 0.02f;
    private const int RowsPerChunk = 64;

    /// <summary>Creates a writer for the model; tensor data is produced when the writer writes.</summary>
    /// <param name="shape">The shape to reproduce.</param>
    /// <param name="scheme">Storage types per tensor.</param>
    /// <param name="vocabulary">Metadata of a GGUF file whose <c>tokenizer.*</c> keys are copied (null: a synthetic byte-level vocabulary).</param>
    /// <param name="seed">Seed of the weights.</param>
    /// <exception cref="ArgumentException">The vocabulary's size differs from the shape's.</exception>
    public static GgufWriter CreateWriter(ModelShape shape, QuantizationScheme scheme, GgufMetadata? vocabulary, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(scheme);
        var writer = new GgufWriter();
        var arch = shape.Architecture.Name;
        var hp = shape.ToHyperparameters();
        writer.Add(GgufKeys.General.Architecture, GgufValue.String(arch));
        writer.Add(GgufKeys.General.Name, GgufValue.String("synthetic " + shape.Name));
        writer.Add(GgufKeys.Llm.ContextLength(arch), GgufValue.UInt32((uint)shape.ContextLength));
        writer.Add(GgufKeys.Llm.EmbeddingLength(arch), GgufValue.UInt32((uint)shape.EmbeddingLength));
        writer.Add(GgufKeys.Llm.BlockCount(arch), GgufValue.UInt32((uint)shape.BlockCount));
        writer.Add(GgufKeys.Llm.FeedForwardLength(arch), GgufValue.UInt32((uint)shape.FeedForwardLength));
        writer.Add(GgufKeys.Llm.HeadCount(arch), GgufValue.UInt32((uint)shape.HeadCount));
        writer.Add(GgufKeys.Llm.HeadCountKv(arch), GgufValue.UInt32((uint)shape.HeadCountKv));
        writer.Add(GgufKeys.Llm.KeyLength(arch), GgufValue.UInt32((uint)shape.HeadDimension));
        writer.Add(GgufKeys.Llm.ValueLength(arch), GgufValue.UInt32((uint)shape.HeadDimension));
        writer.Add(GgufKeys.Llm.RopeDimensionCount(arch), GgufValue.UInt32((uint)shape.RopeDimensionCount));
        writer.Add(GgufKeys.Llm.RopeFreqBase(arch), GgufValue.Float32(shape.RopeFreqBase));
        writer.Add(GgufKeys.Llm.RmsEpsilon(arch), GgufValue.Float32(shape.RmsEpsilon));
        writer.Add(GgufKeys.Llm.VocabSize(arch), GgufValue.UInt32((uint)shape.VocabSize));
        if (hp.RopeScaling.Kind == RopeScalingKind.LongRope)
        {
            writer.Add(GgufKeys.Llm.RopeScalingOriginalContext(arch), GgufValue.UInt32((uint)hp.RopeScaling.OriginalContextLength));
            writer.Add(GgufKeys.Llm.RopeScalingAttnFactor(arch), GgufValue.Float32(hp.RopeScaling.AttentionFactor));
        }

        writer.AddRange(vocabulary is null ? SyntheticVocabulary.Create(shape.VocabSize) : CopyTokenizer(vocabulary, shape.VocabSize));
        writer.Add(GgufKeys.General.QuantizationVersion, GgufValue.UInt32(2));
        writer.Add(GgufKeys.General.FileType, GgufValue.UInt32(scheme.FileType));

        var index = 0UL;
        foreach (var tensor in Tensors(shape))
        {
            var dims = tensor.Shape.ToArray();
            var type = scheme.TypeFor(tensor.Name, dims, shape.BlockCount, shape.TiedOutput);
            var source = ValueSource(tensor.Name, dims.Length, shape);
            var tensorSeed = Mix(seed, ++index);
            writer.AddTensor(tensor.Name, type, dims, stream => WriteTensor(stream, type, dims, source, tensorSeed));
        }

        return writer;
    }

    /// <summary>Writes the model to <paramref name="path"/>.</summary>
    public static void Write(string path, ModelShape shape, QuantizationScheme scheme, GgufMetadata? vocabulary, ulong seed) =>
        CreateWriter(shape, scheme, vocabulary, seed).WriteTo(path);

    /// <summary>
    /// The tensors a file of <paramref name="shape"/> holds, in file order: its architecture's tensor list
    /// (<see cref="ModelTensorLayout.For"/>) with every required tensor, plus the optional ones the shape uses (an
    /// untied output, its RoPE factor tables).
    /// </summary>
    internal static IEnumerable<TensorRequirement> Tensors(ModelShape shape)
    {
        foreach (var tensor in ModelTensorLayout.For(shape.ToHyperparameters()).Tensors)
        {
            if (Includes(tensor, shape))
            {
                yield return tensor;
            }
        }
    }

    private static bool Includes(TensorRequirement tensor, ModelShape shape)
    {
        if (tensor.Required)
        {
            return true;
        }

        return tensor.Name switch
        {
            TensorNames.Output => !shape.TiedOutput,
            TensorNames.RopeFreqs => shape.Scaling == RopeScalingKind.FrequencyFactors,
            TensorNames.RopeFactorsLong or TensorNames.RopeFactorsShort => shape.Scaling == RopeScalingKind.LongRope,
            _ => false,
        };
    }

    private enum Source
    {
        Normal,
        Ones,
        Bias,
        LlamaRopeFactors,
    }

    private static Source ValueSource(string name, int rank, ModelShape shape)
    {
        if (name == TensorNames.RopeFreqs)
        {
            return Source.LlamaRopeFactors;
        }

        if (rank >= 2)
        {
            return Source.Normal;
        }

        return name.EndsWith(".bias", StringComparison.Ordinal) ? Source.Bias : Source.Ones;
    }

    private static void WriteTensor(Stream stream, GgmlType type, long[] dims, Source source, ulong seed)
    {
        var columns = checked((int)dims[0]);
        long rows = 1;
        for (var i = 1; i < dims.Length; i++)
        {
            rows *= dims[i];
        }

        var numericType = (TensorType)(int)type;
        var rowBytes = checked((int)GgmlTypeTraits.RowBytes(type, columns));
        var buffer = ArrayPool<byte>.Shared.Rent(checked(rowBytes * RowsPerChunk));
        try
        {
            for (long start = 0; start < rows; start += RowsPerChunk)
            {
                var count = (int)Math.Min(RowsPerChunk, rows - start);
                var first = start;
                Parallel.For(0, count, r =>
                {
                    var values = ArrayPool<float>.Shared.Rent(columns);
                    try
                    {
                        var row = values.AsSpan(0, columns);
                        Fill(row, source, Mix(seed, (ulong)(first + r)));
                        Quantize.Row(numericType, row, buffer.AsSpan(r * rowBytes, rowBytes));
                    }
                    finally
                    {
                        ArrayPool<float>.Shared.Return(values);
                    }
                });
                stream.Write(buffer, 0, count * rowBytes);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static void Fill(Span<float> row, Source source, ulong seed)
    {
        switch (source)
        {
            case Source.Ones:
                row.Fill(1f);
                return;
            case Source.LlamaRopeFactors:
                LlamaRopeFactors(row);
                return;
            default:
                var state = seed;
                for (var i = 0; i < row.Length; i++)
                {
                    // Irwin–Hall(4): a cheap, bounded approximation of N(0, 1).
                    var sum = Uniform(ref state) + Uniform(ref state) + Uniform(ref state) + Uniform(ref state);
                    row[i] = (sum - 2f) * 1.7320508f * WeightStd;
                }

                return;
        }
    }

    /// <summary>Llama 3.x frequency divisors (factor 32, low 1, high 4, original context 8192) for θ 5e5.</summary>
    private static void LlamaRopeFactors(Span<float> factors)
    {
        const double factor = 32, low = 1, high = 4, original = 8192, theta = 5e5;
        var dims = factors.Length * 2;
        for (var i = 0; i < factors.Length; i++)
        {
            var freq = Math.Pow(theta, -2.0 * i / dims);
            var wavelength = 2 * Math.PI / freq;
            if (wavelength < original / high)
            {
                factors[i] = 1f;
            }
            else if (wavelength > original / low)
            {
                factors[i] = (float)factor;
            }
            else
            {
                var smooth = ((original / wavelength) - low) / (high - low);
                factors[i] = (float)(1 / (((1 - smooth) / factor) + smooth));
            }
        }
    }

    private static float Uniform(ref ulong state)
    {
        state = Mix(state, 0x9E3779B97F4A7C15UL);
        return (state >> 40) * (1f / (1 << 24));
    }

    private static ulong Mix(ulong a, ulong b)
    {
        var z = a + (b * 0x9E3779B97F4A7C15UL) + 0x632BE59BD9B4E019UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private static IEnumerable<KeyValuePair<string, GgufValue>> CopyTokenizer(GgufMetadata vocabulary, int vocabSize)
    {
        var tokens = vocabulary[GgufKeys.Tokenizer.Tokens];
        if (tokens is null || tokens.Count != vocabSize)
        {
            throw new ArgumentException("The vocabulary's token count differs from the shape's vocabulary size.", nameof(vocabulary));
        }

        foreach (var entry in vocabulary)
        {
            if (entry.Key.StartsWith("tokenizer.", StringComparison.Ordinal))
            {
                yield return entry;
            }
        }
    }
}
