using Edgewise.Gguf.Tests.Hostile;

namespace Edgewise.Gguf.Tests;

/// <summary>GgufWriter outputs (array, stream, file), streamed tensor data, and its argument validation.</summary>
public class GgufWriterOutputTests
{
    [Fact]
    public void WriteTo_StreamFileAndArray_SameBytesAndComputedLength()
    {
        var writer = Sample();
        var array = writer.ToArray();
        using var memory = new MemoryStream();
        writer.WriteTo(memory);
        using var forwardOnly = new ForwardOnlyStream();
        writer.WriteTo(forwardOnly);
        using var dir = new TempDirectory();
        var path = dir.File("out.gguf");
        writer.WriteTo(path);

        Assert.Equal(array.Length, writer.ComputeLength());
        Assert.Equal(array, memory.ToArray());
        Assert.Equal(array, forwardOnly.Inner.ToArray());
        Assert.Equal(array, File.ReadAllBytes(path));
        using var opened = GgufFile.Open(path);
        Assert.Equal(3, opened.Tensors.Count);
    }

    [Fact]
    public void WriteTo_CallbackData_StreamedInPiecesAndReadBack()
    {
        var calls = 0;
        var writer = new GgufWriter().AddTensor("big", GgmlType.F32, [256, 64], stream =>
        {
            calls++;
            var row = new byte[1024];
            for (var r = 0; r < 64; r++)
            {
                row.AsSpan().Fill((byte)r);
                stream.Write(row);
            }
        });
        using var file = GgufFile.FromBytes(writer.ToArray());
        var t = file.FindTensor("big")!;
        Assert.Equal(1, calls);
        Assert.Equal(65536, t.ByteSize);
        Assert.Equal(Enumerable.Repeat((byte)63, 1024), file.GetTensorData(t, 63 * 1024, 1024).ToArray());
    }

    [Fact]
    public void WriteTo_CallbackWritesTooFew_Throws()
    {
        var writer = new GgufWriter().AddTensor("t", GgmlType.F32, [4], s => s.Write(new byte[15]));
        Assert.Throws<InvalidOperationException>(() => writer.WriteTo(Stream.Null));
    }

    [Fact]
    public void WriteTo_CallbackWritesTooMany_ThrowsBeforeWriting()
    {
        using var sink = new MemoryStream();
        var writer = new GgufWriter().AddTensor("t", GgmlType.F32, [4], s => s.Write(new byte[17]));
        Assert.Throws<InvalidOperationException>(() => writer.WriteTo(sink));
        Assert.Equal(64, sink.Length); // header + padding only: the oversized write never reached the stream
    }

    [Fact]
    public void WriteTo_CallbackTriesToSeek_Throws()
    {
        var writer = new GgufWriter().AddTensor("t", GgmlType.F32, [4], s => s.Seek(0, SeekOrigin.Begin));
        Assert.Throws<NotSupportedException>(() => writer.WriteTo(Stream.Null));
    }

    [Fact]
    public void AddTensor_SpanData_CopiedAtAdd()
    {
        var data = new byte[8];
        var writer = new GgufWriter().AddTensor("t", GgmlType.F32, [2], (ReadOnlySpan<byte>)data);
        data[0] = 42;
        using var file = GgufFile.FromBytes(writer.ToArray());
        Assert.Equal(0, file.GetTensorData(file.Tensors[0])[0]);
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("tab\tkey")]
    [InlineData("ключ")]
    public void Add_InvalidKey_Throws(string key)
    {
        Assert.Throws<ArgumentException>(() => new GgufWriter().Add(key, GgufValue.UInt32(1)));
    }

    [Fact]
    public void Add_KeyOver65535Bytes_Throws()
    {
        Assert.Throws<ArgumentException>(() => new GgufWriter().Add(new string('k', 65536), GgufValue.UInt32(1)));
    }

    [Fact]
    public void Add_DuplicateKey_Throws()
    {
        var writer = new GgufWriter().Add("a", GgufValue.UInt32(1));
        Assert.Throws<ArgumentException>(() => writer.Add("a", GgufValue.String("x")));
    }

    public static TheoryData<GgufValue> InvalidValues => new()
    {
        GgufValue.Scalar(GgufValueType.UInt8, 300),
        GgufValue.Scalar(GgufValueType.UInt32, -1),
        GgufValue.Scalar(GgufValueType.Int8, 128L),
        GgufValue.Scalar(GgufValueType.Int64, ulong.MaxValue),
        GgufValue.Scalar(GgufValueType.Float32, "1.0"),
        GgufValue.Scalar(GgufValueType.Bool, 1),
        GgufValue.Scalar(GgufValueType.String, 5),
        GgufValue.String("lone \ud800 surrogate"),
        GgufValue.String(new string('x', GgufLimits.MaxStringBytes + 1)),
        GgufValue.Array(GgufValueType.String, new string[] { "a", null! }),
    };

    [Theory]
    [MemberData(nameof(InvalidValues))]
    public void Add_InvalidValue_Throws(GgufValue value)
    {
        Assert.ThrowsAny<ArgumentException>(() => new GgufWriter().Add("k", value));
    }

    [Fact]
    public void Add_ChatTemplateOverOneMiB_Accepted()
    {
        var template = new string('t', GgufLimits.MaxStringBytes + 1);
        var bytes = new GgufWriter().Add(GgufKeys.Tokenizer.ChatTemplate, GgufValue.String(template)).ToArray();
        Assert.Equal(template, GgufParser.Parse(bytes, bytes.Length).Metadata.GetString(GgufKeys.Tokenizer.ChatTemplate));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(GgufLimits.MaxAlignment * 2)]
    [InlineData(-32)]
    public void Alignment_Invalid_Throws(int alignment)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new GgufWriter { Alignment = alignment });
        Assert.ThrowsAny<ArgumentException>(() => new GgufWriter().Add(GgufKeys.General.Alignment, GgufValue.Scalar(GgufValueType.UInt32, (uint)alignment)));
    }

    [Fact]
    public void Add_AlignmentAsInt32_Throws()
    {
        Assert.Throws<ArgumentException>(() => new GgufWriter().Add(GgufKeys.General.Alignment, GgufValue.Int32(32)));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void Constructor_UnsupportedVersion_Throws(int version)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new GgufWriter(version));
    }

    public static TheoryData<string, GgmlType, long[], int> InvalidTensors => new()
    {
        { "", GgmlType.F32, [4], 16 },
        { new string('n', 64), GgmlType.F32, [4], 16 },
        { "t", (GgmlType)4, [32], 18 },
        { "t", (GgmlType)99, [4], 16 },
        { "t", GgmlType.F32, [], 0 },
        { "t", GgmlType.F32, [1, 1, 1, 1, 1], 4 },
        { "t", GgmlType.F32, [4, 0], 0 },
        { "t", GgmlType.F32, [-4], 16 },
        { "t", GgmlType.Q4_0, [33], 18 },
        { "t", GgmlType.F32, [1L << 62], 16 },
        { "t", GgmlType.F32, [4], 15 },
    };

    [Theory]
    [MemberData(nameof(InvalidTensors))]
    public void AddTensor_Invalid_Throws(string name, GgmlType type, long[] dims, int dataLength)
    {
        Assert.Throws<ArgumentException>(() => new GgufWriter().AddTensor(name, type, dims, new byte[dataLength]));
    }

    [Fact]
    public void AddTensor_NameWithLoneSurrogate_Throws()
    {
        Assert.Throws<ArgumentException>(() => new GgufWriter().AddTensor("bad\ud800", GgmlType.F32, [4], new byte[16]));
    }

    [Fact]
    public void AddTensor_DuplicateName_Throws()
    {
        var writer = new GgufWriter().AddTensor("t", GgmlType.F32, [1], new byte[4]);
        Assert.Throws<ArgumentException>(() => writer.AddTensor("t", GgmlType.F32, [1], s => s.Write(new byte[4])));
    }

    [Theory]
    [InlineData(GgmlType.F32, new long[] { 7, 3 }, 84)]
    [InlineData(GgmlType.Q8_0, new long[] { 64, 2 }, 136)]
    [InlineData(GgmlType.Q4_K, new long[] { 512 }, 288)]
    [InlineData(GgmlType.Q6_K, new long[] { 256, 2, 2 }, 840)]
    public void TensorByteSize_KnownShapes_Expected(GgmlType type, long[] dims, long expected)
    {
        Assert.Equal(expected, GgufWriter.TensorByteSize(type, dims));
    }

    private static GgufWriter Sample() => new GgufWriter()
        .Add(GgufKeys.General.Architecture, GgufValue.String("llama"))
        .Add(GgufKeys.Tokenizer.Tokens, GgufValue.Array(new[] { "<s>", "</s>", "▁hi" }))
        .AddTensor("a", GgmlType.F32, [4], new byte[16])
        .AddTensor("b", GgmlType.Q8_0, [32], Enumerable.Range(0, 34).Select(i => (byte)i).ToArray())
        .AddTensor("c", GgmlType.I8, [3], s => s.Write([9, 8, 7]));

    /// <summary>A write-only stream that cannot seek or report its length.</summary>
    private sealed class ForwardOnlyStream : Stream
    {
        public MemoryStream Inner { get; } = new();

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => Inner.Write(buffer, offset, count);

        protected override void Dispose(bool disposing)
        {
            Inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
