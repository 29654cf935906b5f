using Edgewise.Testing;

namespace Edgewise.Gguf.Tests;

/// <summary>GgufWriter → GgufParser / GgufFile round trips.</summary>
public class GgufWriterRoundTripTests
{
    public static TheoryData<string, GgufValue, object> Scalars => new()
    {
        { "u8", GgufValue.UInt8(byte.MaxValue), (ulong)byte.MaxValue },
        { "i8", GgufValue.Int8(sbyte.MinValue), (long)sbyte.MinValue },
        { "u16", GgufValue.UInt16(ushort.MaxValue), (ulong)ushort.MaxValue },
        { "i16", GgufValue.Int16(short.MinValue), (long)short.MinValue },
        { "u32", GgufValue.UInt32(uint.MaxValue), (ulong)uint.MaxValue },
        { "i32", GgufValue.Int32(int.MinValue), (long)int.MinValue },
        { "u64", GgufValue.UInt64(ulong.MaxValue), ulong.MaxValue },
        { "i64", GgufValue.Int64(long.MinValue), long.MinValue },
        { "f32", GgufValue.Float32(3.14159f), (double)3.14159f },
        { "f64", GgufValue.Float64(Math.PI), Math.PI },
        { "bool-true", GgufValue.Bool(true), true },
        { "bool-false", GgufValue.Bool(false), false },
        { "str", GgufValue.String("qwen2"), "qwen2" },
        { "str-empty", GgufValue.String(string.Empty), string.Empty },
        { "u8-from-int", GgufValue.Scalar(GgufValueType.UInt8, 7), 7UL },
        { "i64-from-uint", GgufValue.Scalar(GgufValueType.Int64, 7u), 7L },
    };

    [Theory]
    [MemberData(nameof(Scalars))]
    public void WriteTo_EveryScalarType_ReadsBackSameTypeAndValue(string name, GgufValue value, object expected)
    {
        var file = new GgufWriter().Add("test." + name, value).ToArray();
        var read = GgufParser.Parse(file, file.Length).Metadata["test." + name]!;
        Assert.Equal(value.Type, read.Type);
        Assert.Equal(expected, read.RawValue);
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(-0.0f)]
    [InlineData(float.Epsilon)]
    public void WriteTo_SpecialFloat32_BitsPreserved(float value)
    {
        var file = new GgufWriter().Add("f", GgufValue.Float32(value)).ToArray();
        var read = (float)(double)GgufParser.Parse(file, file.Length).Metadata["f"]!.RawValue;
        Assert.Equal(BitConverter.SingleToInt32Bits(value), BitConverter.SingleToInt32Bits(read));
    }

    public static TheoryData<GgufValueType, Array> Arrays => new()
    {
        { GgufValueType.UInt8, new byte[] { 0, 1, 255 } },
        { GgufValueType.Int8, new sbyte[] { -128, 0, 127 } },
        { GgufValueType.UInt16, new ushort[] { 0, 65535 } },
        { GgufValueType.Int16, new short[] { -32768, 32767 } },
        { GgufValueType.UInt32, new uint[] { 0, uint.MaxValue } },
        { GgufValueType.Int32, new[] { int.MinValue, -1, 0, int.MaxValue } },
        { GgufValueType.UInt64, new[] { 0UL, ulong.MaxValue } },
        { GgufValueType.Int64, new[] { long.MinValue, long.MaxValue } },
        { GgufValueType.Float32, new[] { -1.5f, 0f, float.MaxValue } },
        { GgufValueType.Float64, new[] { double.MinValue, 1e-300 } },
        { GgufValueType.Bool, new[] { true, false, true } },
        { GgufValueType.String, new[] { "a", string.Empty, "Ġthe", "<0x0A>", "日本語", "🦙" } },
    };

    [Theory]
    [MemberData(nameof(Arrays))]
    public void WriteTo_EveryArrayType_ReadsBackEqual(GgufValueType elementType, Array values)
    {
        var file = new GgufWriter().Add("arr", GgufValue.Array(elementType, values)).ToArray();
        var read = GgufParser.Parse(file, file.Length).Metadata["arr"]!;
        Assert.True(read.IsArray);
        Assert.Equal(elementType, read.ElementType);
        Assert.Equal(values, (Array)read.RawValue);
    }

    [Theory]
    [MemberData(nameof(Arrays))]
    public void WriteTo_EmptyArrayOfEveryType_ReadsBackEmpty(GgufValueType elementType, Array values)
    {
        var empty = Array.CreateInstance(values.GetType().GetElementType()!, 0);
        var file = new GgufWriter().Add("arr", GgufValue.Array(elementType, empty)).ToArray();
        var read = GgufParser.Parse(file, file.Length).Metadata["arr"]!;
        Assert.Equal(elementType, read.ElementType);
        Assert.Equal(0, read.Count);
    }

    [Fact]
    public void WriteTo_GenericArrayFactory_InfersElementType()
    {
        var file = new GgufWriter()
            .Add("a", GgufValue.Array(new[] { 1, 2, 3 }))
            .Add("b", GgufValue.Array(new[] { "x", "y" }))
            .Add("c", GgufValue.Array(new[] { 0.5f }))
            .ToArray();
        var meta = GgufParser.Parse(file, file.Length).Metadata;
        Assert.Equal([1, 2, 3], meta["a"]!.AsArray<int>()!);
        Assert.Equal(["x", "y"], meta["b"]!.AsArray<string>()!);
        Assert.Equal(GgufValueType.Float32, meta["c"]!.ElementType);
    }

    [Fact]
    public void WriteTo_UnicodeStrings_ReadBackIntact()
    {
        string[] samples = ["héllo wörld", "日本語のテキスト", "🦙🔥 emoji + ZWJ 👩‍💻", "e\u0301 combining", "nul\0inside", "tab\tnew\nline", "\uFEFFbom"];
        var writer = new GgufWriter();
        for (var i = 0; i < samples.Length; i++)
        {
            writer.Add($"s.{i}", GgufValue.String(samples[i]));
        }

        writer.Add("tokens", GgufValue.Array(samples));
        var file = writer.ToArray();
        var meta = GgufParser.Parse(file, file.Length).Metadata;
        for (var i = 0; i < samples.Length; i++)
        {
            Assert.Equal(samples[i], meta.GetString($"s.{i}"));
        }

        Assert.Equal(samples, meta["tokens"]!.AsArray<string>());
    }

    [Fact]
    public void WriteTo_MetadataOrder_Preserved()
    {
        var keys = Enumerable.Range(0, 50).Select(i => $"k.{(i * 37) % 50:D2}").ToArray();
        var writer = new GgufWriter();
        foreach (var k in keys)
        {
            writer.Add(k, GgufValue.UInt32(1));
        }

        var file = writer.ToArray();
        Assert.Equal(keys, GgufParser.Parse(file, file.Length).Metadata.Select(kv => kv.Key));
    }

    [Fact]
    public void WriteTo_ManyTensorsOfManyTypes_DataAndShapesReadBack()
    {
        var rng = new Random(1234);
        GgmlType[] types = [GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q4_0, GgmlType.Q8_0, GgmlType.Q4_K, GgmlType.Q6_K, GgmlType.I8, GgmlType.IQ4_NL, GgmlType.MXFP4];
        var writer = new GgufWriter();
        var expected = new List<(string Name, GgmlType Type, long[] Dims, byte[] Data)>();
        for (var i = 0; i < 400; i++)
        {
            var type = types[i % types.Length];
            var block = GgmlTypeTraits.BlockSize(type);
            long[] dims = (i % 3) switch
            {
                0 => [block * rng.Next(1, 4)],
                1 => [block * rng.Next(1, 3), rng.Next(1, 5)],
                _ => [block, rng.Next(1, 3), rng.Next(1, 3), rng.Next(1, 3)],
            };
            var data = new byte[GgufWriter.TensorByteSize(type, dims)];
            rng.NextBytes(data);
            var name = $"blk.{i}.ffn_{type}.weight";
            writer.AddTensor(name, type, dims, data);
            expected.Add((name, type, dims, data));
        }

        using var file = GgufFile.FromBytes(writer.ToArray());
        Assert.Equal(expected.Count, file.Tensors.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            var t = file.Tensors[i];
            Assert.Equal(expected[i].Name, t.Name);
            Assert.Equal(expected[i].Type, t.Type);
            Assert.Equal(expected[i].Dims, t.Dimensions);
            Assert.Equal(0, (file.Header.DataOffset + t.Offset) % 32);
            Assert.True(file.GetTensorData(t).SequenceEqual(expected[i].Data), t.Name);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(8)]
    [InlineData(32)]
    [InlineData(64)]
    [InlineData(4096)]
    public void WriteTo_CustomAlignment_OffsetsAlignedAndKeyWritten(int alignment)
    {
        var writer = new GgufWriter { Alignment = alignment };
        writer.Add(GgufKeys.General.Name, GgufValue.String("x"));
        writer.AddTensor("a", GgmlType.F32, [3], new byte[12]);
        writer.AddTensor("b", GgmlType.I8, [5], [1, 2, 3, 4, 5]);
        writer.AddTensor("c", GgmlType.F16, [1], [7, 8]);
        var bytes = writer.ToArray();
        using var file = GgufFile.FromBytes(bytes);
        Assert.Equal(alignment, file.Header.Alignment);
        Assert.Equal(alignment, (int)file.Metadata.GetInt64(GgufKeys.General.Alignment)!);
        Assert.All(file.Tensors, t => Assert.Equal(0, (file.Header.DataOffset + t.Offset) % alignment));
        Assert.Equal([1, 2, 3, 4, 5], file.GetTensorData(file.FindTensor("b")!).ToArray());
        Assert.Equal([7, 8], file.GetTensorData(file.FindTensor("c")!).ToArray());
        Assert.Equal(0, bytes.Length % alignment);
    }

    [Fact]
    public void Alignment_AddedAsMetadata_SetsAlignment()
    {
        var writer = new GgufWriter().Add(GgufKeys.General.Alignment, GgufValue.UInt32(128));
        Assert.Equal(128, writer.Alignment);
        writer.Alignment = 16;
        Assert.Equal(1, writer.MetadataCount);
        var bytes = writer.AddTensor("t", GgmlType.F32, [1], new byte[4]).ToArray();
        Assert.Equal(16, GgufParser.Parse(bytes, bytes.Length).Alignment);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void WriteTo_Version_WrittenAndReadBack(int version)
    {
        var bytes = new GgufWriter(version).Add("a", GgufValue.UInt32(1)).AddTensor("t", GgmlType.F32, [2], new byte[8]).ToArray();
        Assert.Equal(version, GgufParser.Parse(bytes, bytes.Length).Version);
    }

    [Fact]
    public void WriteTo_NoTensorsNoMetadata_Minimal()
    {
        var bytes = new GgufWriter().ToArray();
        var header = GgufParser.Parse(bytes, bytes.Length);
        Assert.Empty(header.Tensors);
        Assert.Empty(header.Metadata);
        Assert.Equal(32, bytes.Length);
    }

    [Fact]
    public void AddRange_MetadataOfParsedFile_RewritesIdentically()
    {
        var original = new GgufWriter()
            .Add("general.architecture", GgufValue.String("llama"))
            .Add("llama.block_count", GgufValue.UInt32(2))
            .Add("tokenizer.ggml.scores", GgufValue.Array(new[] { 0f, -1f }))
            .Add("tokenizer.ggml.tokens", GgufValue.Array(new[] { "<s>", "▁a" }))
            .ToArray();
        var parsed = GgufParser.Parse(original, original.Length);
        var copy = new GgufWriter().AddRange(parsed.Metadata).ToArray();
        Assert.Equal(original, copy);
    }

    [Theory]
    [InlineData("ref-phi4-Q4_K_M.gguf")]
    [InlineData("ref-qwen3-Q8_0.gguf")]
    public void WriteTo_ReferenceModelRewritten_ByteIdentical(string model)
    {
        // Files written by llama.cpp: same metadata, tensors and data through the writer give the same bytes.
        using var source = GgufFile.Open(SharedPaths.ReferenceFile("models", model));
        var writer = new GgufWriter(source.Header.Version).AddRange(source.Metadata);
        foreach (var t in source.Tensors)
        {
            writer.AddTensor(t.Name, t.Type, t.Dimensions.ToArray(), stream => stream.Write(source.GetTensorData(t)));
        }

        using var output = new MemoryStream();
        writer.WriteTo(output);
        var expected = File.ReadAllBytes(SharedPaths.ReferenceFile("models", model));
        Assert.Equal(expected.Length, output.Length);
        Assert.True(expected.AsSpan().SequenceEqual(output.GetBuffer().AsSpan(0, (int)output.Length)));
    }
}
