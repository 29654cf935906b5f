using System.Buffers.Binary;
using System.Text;

namespace Edgewise.Gguf.Tests;

/// <summary>
/// docs/security.md §1.2 G36 / row M11: 10,000 seeded mutations of a valid tiny model (bit flips, truncations, and
/// overwrites of the length/count/type fields the writer recorded). Each must load or fail with
/// <see cref="InvalidModelFileException"/>; a successful load must only describe bytes inside the file. The count is a
/// scale knob: <c>EDGEWISE_FUZZ_MUTATIONS=1000000 dotnet test tests/Edgewise.Gguf.Tests -c Release --filter G36</c>.
/// </summary>
public class MutationFuzzTests(ITestOutputHelper output)
{
    private static readonly int Cases = int.TryParse(Environment.GetEnvironmentVariable("EDGEWISE_FUZZ_MUTATIONS"), out var cases) && cases > 0 ? cases : 10_000;
    private const string Loaded = "(loaded)";
    private static readonly ulong[] s_interesting = [0, 1, 1UL << 31, 1UL << 32, 1UL << 63, ulong.MaxValue];

    [Fact]
    public void Parse_G36_TenThousandSeededMutations_LoadOrTypedReject()
    {
        var fields = new List<GgufFieldOffset>();
        var original = TinyModel().ToArray(fields);
        var headerLength = (int)GgufParser.Parse(original, original.Length).HeaderLength;
        var byKind = fields.GroupBy(f => f.Field).Select(g => g.ToArray()).ToArray();
        var rng = new Random(0x6775_6636);
        var outcomes = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var buffer = new byte[original.Length];
        for (var i = 0; i < Cases; i++)
        {
            original.CopyTo(buffer, 0);
            var kind = (i % 3) switch { 0 => "flip", 1 => "truncate", _ => "field" };
            var length = buffer.Length;
            switch (kind)
            {
                case "flip":
                    FlipBits(buffer, rng, headerLength);
                    break;
                case "truncate":
                    length = rng.Next(2) == 0 ? rng.Next(headerLength) : rng.Next(buffer.Length);
                    break;
                default:
                    // Pick the kind of field first, so the few tensor-directory fields get as many hits as token lengths.
                    var ofKind = byKind[rng.Next(byKind.Length)];
                    OverwriteField(buffer, ofKind[rng.Next(ofKind.Length)], rng);
                    break;
            }

            var outcome = Run(buffer, length, $"case {i} ({kind})");
            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
        }

        var report = new StringBuilder($"{Cases} mutations of a {original.Length}-byte model ({headerLength}-byte header, {fields.Count} fields):\n");
        foreach (var (code, count) in outcomes)
        {
            report.AppendLine($"  {code,-28} {count,6}");
        }

        output.WriteLine(report.ToString());
        Assert.True(outcomes.GetValueOrDefault(Loaded) > 0, report.ToString());
        Assert.True(outcomes.Count >= 10, report.ToString());
    }

    private static string Run(byte[] buffer, int length, string label)
    {
        string parsed;
        try
        {
            var header = GgufParser.Parse(buffer.AsSpan(0, length), length);
            foreach (var t in header.Tensors)
            {
                Assert.True(header.DataOffset + t.Offset + t.ByteSize <= length, $"{label}: {t.Name} lies outside the file.");
            }

            // M07: the verdict never needs the data section.
            Assert.Equal(header.Tensors.Count, GgufParser.Parse(buffer.AsSpan(0, (int)header.HeaderLength), length).Tensors.Count);
            parsed = Loaded;
        }
        catch (InvalidModelFileException e)
        {
            parsed = e.Code;
        }
        catch (Exception e)
        {
            Assert.Fail($"{label}: {e.GetType().Name} escaped the parser: {e}");
            throw;
        }

        var bytes = length == buffer.Length ? buffer : buffer[..length];
        try
        {
            using var file = GgufFile.FromBytes(bytes);
            Assert.Equal(Loaded, parsed);
            Touch(file);
        }
        catch (InvalidModelFileException e)
        {
            Assert.Equal(parsed, e.Code);
        }

        return parsed;
    }

    /// <summary>Reads every tensor byte and renders every metadata value, as a loader would.</summary>
    private static void Touch(GgufFile file)
    {
        var sum = 0;
        foreach (var t in file.Tensors)
        {
            foreach (var b in file.GetTensorData(t))
            {
                sum += b;
            }
        }

        foreach (var (key, value) in file.Metadata)
        {
            Assert.NotNull(key + value);
            _ = value.AsInt32Array();
            _ = value.AsFloatArray();
        }

        Assert.True(sum >= 0);
    }

    private static void FlipBits(byte[] buffer, Random rng, int headerLength)
    {
        var flips = rng.Next(1, 9);
        for (var f = 0; f < flips; f++)
        {
            // Three flips in four land in the header, where the parser looks.
            var at = rng.Next(4) == 0 ? rng.Next(buffer.Length) : rng.Next(headerLength);
            buffer[at] ^= (byte)(1 << rng.Next(8));
        }
    }

    private static void OverwriteField(byte[] buffer, GgufFieldOffset field, Random rng)
    {
        var pick = rng.Next(s_interesting.Length + 2);
        var value = pick < s_interesting.Length ? s_interesting[pick] : (ulong)rng.NextInt64() << rng.Next(2);
        if (pick == s_interesting.Length + 1)
        {
            value = (ulong)rng.Next(0, 4096); // small random values stay plausible and reach deeper checks
        }

        var span = buffer.AsSpan((int)field.Offset, field.Size);
        if (field.Size == 4)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(span, (uint)value);
        }
        else
        {
            BinaryPrimitives.WriteUInt64LittleEndian(span, value);
        }
    }

    private static GgufWriter TinyModel()
    {
        var rng = new Random(7);
        var tokens = new string[400];
        for (var i = 0; i < tokens.Length; i++)
        {
            tokens[i] = i < 256 ? $"<0x{i:X2}>" : "Ġtok" + i.ToString("x", System.Globalization.CultureInfo.InvariantCulture);
        }

        var scores = new float[tokens.Length];
        var types = new int[tokens.Length];
        for (var i = 0; i < tokens.Length; i++)
        {
            scores[i] = -i;
            types[i] = i < 256 ? 6 : 1;
        }

        var merges = Enumerable.Range(0, 100).Select(i => $"Ġ t{i}").ToArray();
        var writer = new GgufWriter()
            .Add(GgufKeys.General.Architecture, GgufValue.String("llama"))
            .Add(GgufKeys.General.Name, GgufValue.String("fuzz-tiny"))
            .Add("llama.block_count", GgufValue.UInt32(1))
            .Add("llama.context_length", GgufValue.UInt64(256))
            .Add("llama.rope.freq_base", GgufValue.Float32(10000f))
            .Add("llama.attention.layer_norm_rms_epsilon", GgufValue.Float64(1e-5))
            .Add("fuzz.flag", GgufValue.Bool(true))
            .Add("fuzz.i8", GgufValue.Int8(-3))
            .Add("fuzz.u16", GgufValue.UInt16(7))
            .Add("fuzz.i64", GgufValue.Int64(-7))
            .Add("fuzz.flags", GgufValue.Array(new[] { true, false }))
            .Add(GgufKeys.Tokenizer.Model, GgufValue.String("gpt2"))
            .Add(GgufKeys.Tokenizer.Tokens, GgufValue.Array(tokens))
            .Add(GgufKeys.Tokenizer.Scores, GgufValue.Array(scores))
            .Add(GgufKeys.Tokenizer.TokenType, GgufValue.Array(types))
            .Add(GgufKeys.Tokenizer.Merges, GgufValue.Array(merges))
            .Add(GgufKeys.Tokenizer.ChatTemplate, GgufValue.String("{% for m in messages %}{{ m.content }}{% endfor %}"));
        AddRandom(writer, rng, TensorNames.TokenEmbedding, GgmlType.F32, [64, 4]);
        AddRandom(writer, rng, TensorNames.OutputNorm, GgmlType.F16, [64, 8]);
        AddRandom(writer, rng, TensorNames.Block(0, "attn_q"), GgmlType.Q8_0, [64, 8]);
        AddRandom(writer, rng, TensorNames.Output, GgmlType.Q4_K, [256, 4]);
        return writer;
    }

    private static void AddRandom(GgufWriter writer, Random rng, string name, GgmlType type, long[] dims)
    {
        var data = new byte[GgufWriter.TensorByteSize(type, dims)];
        rng.NextBytes(data);
        writer.AddTensor(name, type, dims, data);
    }
}
