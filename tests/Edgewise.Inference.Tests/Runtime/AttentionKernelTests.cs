using System.Runtime.Intrinsics;
using Edgewise.Inference.Runtime;
using Edgewise.Inference.Runtime.Kernels;
using Edgewise.Numerics;

namespace Edgewise.Inference.Tests.Runtime;

public sealed class AttentionKernelTests
{
    private const int Sequences = 3;

    public static TheoryData<KvCacheType, int, int, int> Shapes()
    {
        var data = new TheoryData<KvCacheType, int, int, int>();
        foreach (var type in new[] { KvCacheType.F16, KvCacheType.F32 })
        {
            foreach (var path in new[] { 128, 256, 512 })
            {
                data.Add(type, 1, 64, path);
                data.Add(type, 2, 128, path);
                data.Add(type, 7, 64, path);
                data.Add(type, 8, 128, path);
                data.Add(type, 4, 72, path);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Run_MixedBatch_MatchesReference(KvCacheType type, int group, int headDim, int bits)
    {
        // Sequence 0 is a prompt from position 0 (crosses several key and query tiles), sequence 1 continues at 50,
        // sequence 2 decodes one token at 70, and sequence 0 comes back for a token that does not follow its run.
        int[] sequences = [.. Enumerable.Repeat(1, 3), .. Enumerable.Repeat(0, 37), 2, 0];
        int[] positions = [50, 51, 52, .. Enumerable.Range(0, 37), 70, 45];
        AssertMatchesReference(type, 2, group, headDim, bits switch { 512 => AttentionPath.Vector512, 256 => AttentionPath.Vector256, _ => AttentionPath.Vector128 }, sequences, positions, tileTokens: 0, threads: 2);
    }

    [Theory]
    [InlineData(KvCacheType.F16, 1)]
    [InlineData(KvCacheType.F16, 5)]
    [InlineData(KvCacheType.F32, 3)]
    [InlineData(KvCacheType.F32, 16)]
    public void Run_SmallTiles_MatchesReference(KvCacheType type, int tileTokens)
    {
        int[] sequences = [.. Enumerable.Repeat(0, 67), .. Enumerable.Repeat(2, 33)];
        int[] positions = [.. Enumerable.Range(1, 67), .. Enumerable.Range(30, 33)];
        AssertMatchesReference(type, 3, 2, 64, Attention.BestPath(), sequences, positions, tileTokens, threads: 2);
    }

    [Theory]
    [InlineData(KvCacheType.F16, 7)]
    [InlineData(KvCacheType.F32, 4)]
    public void Run_DecodeStep_MatchesReference(KvCacheType type, int group)
    {
        AssertMatchesReference(type, 2, group, 64, Attention.BestPath(), [0, 1, 2], [96, 0, 33], tileTokens: 0, threads: 2);
        AssertMatchesReference(type, 2, group, 64, Attention.BestPath(), [1], [64], tileTokens: 0, threads: 4);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Run_FewTokensOnOneThread_MatchesReference(int tokens)
    {
        var sequences = new int[tokens];
        var positions = Enumerable.Range(0, tokens).ToArray();
        AssertMatchesReference(KvCacheType.F16, 2, 2, 64, Attention.BestPath(), sequences, positions, tileTokens: 0, threads: 1);
    }

    [Fact]
    public void RoundToHalf_EveryPath_MatchesFp16RoundTrip()
    {
        var random = new Random(7);
        var values = new List<float>
        {
            0f, -0f, 1f, -1f, 65504f, 65519.99f, 65520f, -65520f, 1e9f, float.PositiveInfinity, float.NegativeInfinity,
            float.NaN, 6.1035156e-5f, 6.1e-5f, -6.1e-5f, 5.9604645e-8f, 2.9802322e-8f, 2.9802326e-8f, 8.940697e-8f, 1e-40f,
            1.00048828125f, 1.00146484375f, -1.00048828125f, 0.33333334f,
        };
        for (var i = 0; i < 4000; i++)
        {
            values.Add(BitConverter.Int32BitsToSingle(random.Next()) * (random.Next(2) == 0 ? 1 : -1));
            values.Add((float)(random.NextDouble() * Math.Pow(2, random.Next(-30, 17)) * (random.Next(2) == 0 ? 1 : -1)));
        }

        while (values.Count % 16 != 0)
        {
            values.Add(0.5f);
        }

        var data = values.ToArray();
        for (var i = 0; i < data.Length; i += 16)
        {
            var wide = AttentionLanes512.RoundToHalf(Vector512.Create(data.AsSpan(i, 16)));
            var mid0 = AttentionLanes256.RoundToHalf(Vector256.Create(data.AsSpan(i, 8)));
            var narrow = AttentionLanes128.RoundToHalf(Vector128.Create(data.AsSpan(i + 8, 4)));
            for (var k = 0; k < 16; k++)
            {
                var expected = Fp16.ToSingle(Fp16.FromSingle(data[i + k]));
                AssertSameFloat(expected, wide.GetElement(k), data[i + k]);
            }

            for (var k = 0; k < 8; k++)
            {
                AssertSameFloat(Fp16.ToSingle(Fp16.FromSingle(data[i + k])), mid0.GetElement(k), data[i + k]);
            }

            for (var k = 0; k < 4; k++)
            {
                AssertSameFloat(Fp16.ToSingle(Fp16.FromSingle(data[i + 8 + k])), narrow.GetElement(k), data[i + 8 + k]);
            }
        }
    }

    [Fact]
    public void WidenRow_EveryHalfPattern_MatchesFp16()
    {
        var halves = new ushort[65536 + 5];
        for (var i = 0; i < halves.Length; i++)
        {
            halves[i] = (ushort)(i * 40503);
        }

        var widened = new float[halves.Length];
        AttentionWiden.Row(ref halves[0], ref widened[0], halves.Length);
        for (var i = 0; i < halves.Length; i++)
        {
            var expected = Fp16.ToSingle(halves[i]);
            Assert.True(
                BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(widened[i]),
                $"0x{halves[i]:X4}: expected {expected:R}, got {widened[i]:R}");
        }
    }

    private static void AssertSameFloat(float expected, float actual, float input)
    {
        if (float.IsNaN(expected))
        {
            Assert.True(float.IsNaN(actual), $"input {input:R}: expected NaN, got {actual:R}");
            return;
        }

        Assert.True(
            BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(actual),
            $"input {input:R} (0x{BitConverter.SingleToInt32Bits(input):X8}): expected {expected:R}, got {actual:R}");
    }

    private static void AssertMatchesReference(
        KvCacheType type, int kvHeads, int group, int headDim, AttentionPath path, int[] sequences, int[] positions, int tileTokens, int threads)
    {
        var heads = kvHeads * group;
        var tokens = sequences.Length;
        var capacity = positions.Max() + 40;
        var cache = new KvCache(type, Sequences, 1, capacity, kvHeads * headDim);
        var random = new Random((group * 1000) + headDim + (int)type);
        var k = new float[capacity * cache.Width];
        var v = new float[capacity * cache.Width];
        for (var s = 0; s < Sequences; s++)
        {
            for (var i = 0; i < k.Length; i++)
            {
                k[i] = (float)((random.NextDouble() * 2) - 1);
                v[i] = (float)((random.NextDouble() * 2) - 1);
            }

            var all = Enumerable.Range(0, capacity).ToArray();
            cache.Store(Enumerable.Repeat(s, capacity).ToArray(), all, 0, k, cache.Width, 0, v, cache.Width, 0);
        }

        // Queries with a stride wider than the heads and an offset, as a fused QKV buffer has them.
        var qStride = (heads * headDim) + 24;
        const int qOffset = 8;
        var q = new float[(tokens * qStride) + qOffset];
        for (var i = 0; i < q.Length; i++)
        {
            q[i] = (float)((random.NextDouble() * 6) - 3);
        }

        var output = new float[tokens * heads * headDim];
        using (var pool = new ComputePool(threads))
        {
            new Attention(pool, heads, kvHeads, headDim, path, tileTokens).Run(cache, 0, sequences, positions, tokens, q, qStride, qOffset, output);
        }

        var expected = Reference(cache, heads, kvHeads, headDim, sequences, positions, q, qStride, qOffset);
        var tolerance = type == KvCacheType.F16 ? 2e-4f : 2e-6f;
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(
                MathF.Abs(expected[i] - output[i]) <= tolerance,
                $"token {i / (heads * headDim)}, head {i / headDim % heads}, dim {i % headDim}: expected {expected[i]:R}, got {output[i]:R}");
        }
    }

    /// <summary>The straightforward computation, per (token, query head), scalar.</summary>
    private static float[] Reference(KvCache cache, int heads, int kvHeads, int hd, int[] sequences, int[] positions, float[] q, int qStride, int qOffset)
    {
        var tokens = sequences.Length;
        var output = new float[tokens * heads * hd];
        var scale = 1.0f / MathF.Sqrt(hd);
        var half = cache.Type == KvCacheType.F16;
        for (var t = 0; t < tokens; t++)
        {
            var length = positions[t] + 1;
            for (var h = 0; h < heads; h++)
            {
                var offset = h / (heads / kvHeads) * hd;
                var query = new float[hd];
                for (var d = 0; d < hd; d++)
                {
                    var x = q[(t * qStride) + qOffset + (h * hd) + d];
                    query[d] = half ? Fp16.ToSingle(Fp16.FromSingle(x)) : x;
                }

                var scores = new float[length];
                for (var j = 0; j < length; j++)
                {
                    var sum = 0f;
                    for (var d = 0; d < hd; d++)
                    {
                        sum += query[d] * Key(cache, sequences[t], (j * cache.Width) + offset + d);
                    }

                    scores[j] = sum * scale;
                }

                var max = scores.Max();
                double total = 0;
                for (var j = 0; j < length; j++)
                {
                    scores[j] = MathF.Exp(scores[j] - max);
                    total += scores[j];
                }

                var inverse = (float)(1.0 / total);
                for (var j = 0; j < length; j++)
                {
                    var w = scores[j] * inverse;
                    w = half ? Fp16.ToSingle(Fp16.FromSingle(w)) : w;
                    for (var d = 0; d < hd; d++)
                    {
                        output[(((t * heads) + h) * hd) + d] += w * Value(cache, sequences[t], (j * cache.Width) + offset + d);
                    }
                }
            }
        }

        return output;
    }

    private static float Key(KvCache cache, int sequence, int index) =>
        cache.Type == KvCacheType.F16 ? Fp16.ToSingle(cache.KeysF16(sequence, 0)[index]) : cache.KeysF32(sequence, 0)[index];

    private static float Value(KvCache cache, int sequence, int index) =>
        cache.Type == KvCacheType.F16 ? Fp16.ToSingle(cache.ValuesF16(sequence, 0)[index]) : cache.ValuesF32(sequence, 0)[index];
}
