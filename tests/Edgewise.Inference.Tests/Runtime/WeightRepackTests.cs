using Edgewise.Gguf;
using Edgewise.Inference.Architectures;
using Edgewise.Inference.Model;
using Edgewise.Numerics;
using Edgewise.Testing;

namespace Edgewise.Inference.Tests.Runtime;

/// <summary>
/// <see cref="ModelWeights.Repack"/>: every re-laid matrix goes into one buffer (64-byte aligned slices that do not
/// overlap, each restoring the file's bytes), releasing the replaced file pages leaves in-place matrices intact, no copy is made when it would leave less than a quarter of the available
/// memory free, and disposing the weights forgets every address.
/// </summary>
public sealed class WeightRepackTests
{
    private const string NoneHere = "This CPU re-lays none of this file's matrix types (Q4_0/Q5_0/Q8_0 with AVX-VNNI, Q4_0/Q4_K with AVX2 and FMA but no AVX-VNNI).";

    [Theory]
    [InlineData("ref-qwen3-Q8_0.gguf")]
    [InlineData("ref-phi3-Q4_0.gguf")]
    [InlineData("ref-qwen2-Q4_K_M.gguf")]
    public void Repack_EveryCopyInOneBuffer_RestoresTheFileBytes(string model)
    {
        using var file = GgufFile.Open(SharedPaths.ReferenceFile("models", model));
        var weights = Bind(file);
        var candidates = Candidates(weights);
        if (candidates.Length == 0)
        {
            Assert.Equal(0, weights.Repack(long.MaxValue / 2));
            Assert.Skip(NoneHere);
        }

        var stored = candidates.ToDictionary(m => m, Bytes);

        var inPlace = weights.Matrices().Append(weights.TokenEmbedding).Where(m => !candidates.Contains(m)).Distinct().ToDictionary(m => m, Bytes);
        var total = weights.Repack(long.MaxValue / 2);
        try
        {
            // Releasing the file pages of the replaced tensors leaves every in-place matrix readable as before.
            var released = weights.ReleaseReplacedPages(file);
            Assert.Equal(0, released % (2 << 20));
            Assert.True(released <= total);
            Assert.All(inPlace, kv => Assert.Equal(kv.Value, Bytes(kv.Key)));

            Assert.NotEmpty(candidates);
            Assert.Equal(candidates.Sum(m => (m.Bytes + 63) & ~63L), total);
            var start = candidates.Min(m => (long)m.Address);
            var slices = candidates.OrderBy(m => m.Address).ToArray();
            for (var i = 0; i < slices.Length; i++)
            {
                var m = slices[i];
                Assert.Equal(WeightPacking.Preferred(m.Type), m.Layout);
                Assert.Equal(0, (m.Address - start) % 64);
                Assert.True((long)m.Address + m.Bytes <= start + total, $"{m.Name} ends past the buffer");
                if (i + 1 < slices.Length)
                {
                    Assert.True((long)m.Address + m.Bytes <= (long)slices[i + 1].Address, $"{m.Name} overlaps {slices[i + 1].Name}");
                }

                var restored = new byte[m.RowBytes];
                for (var r = 0; r < m.Rows; r++)
                {
                    WeightPacking.UnpackRow(m.Layout, m.Type, m.Address, m.Rows, m.Columns, r, restored);
                    Assert.True(restored.AsSpan().SequenceEqual(stored[m].AsSpan(r * m.RowBytes, m.RowBytes)), $"{m.Name} row {r}");
                }
            }
        }
        finally
        {
            weights.Dispose();
        }

        Assert.All(candidates, m => Assert.Equal(0, m.Address));
    }

    [Fact]
    public void Repack_CopiesWouldLeaveLessThanAQuarterFree_EveryMatrixInPlace()
    {
        // Q8_0 is re-laid only with AVX-VNNI, Q4_0 everywhere AVX2 runs.
        var model = WeightPacking.Preferred(TensorType.Q8_0) != WeightLayout.Stored ? "ref-qwen3-Q8_0.gguf" : "ref-phi3-Q4_0.gguf";
        using var file = GgufFile.Open(SharedPaths.ReferenceFile("models", model));
        var weights = Bind(file);
        var candidates = Candidates(weights);
        if (candidates.Length == 0)
        {
            Assert.Skip(NoneHere);
        }

        var need = candidates.Sum(m => (m.Bytes + 63) & ~63L);
        var addresses = candidates.Select(m => m.Address).ToArray();

        Assert.Equal(0, weights.Repack((need * 4 / 3) - 4));
        Assert.All(candidates, m => Assert.Equal(WeightLayout.Stored, m.Layout));
        Assert.Equal(addresses, candidates.Select(m => m.Address));

        Assert.Equal(need, weights.Repack((need * 4 / 3) + 4));
        Assert.All(candidates, m => Assert.Equal(WeightPacking.Preferred(m.Type), m.Layout));
        weights.Dispose();
    }

    private static ModelWeights Bind(GgufFile file)
    {
        var hp = ModelTensorLayout.Validate(file.Header).Hyperparameters;
        return hp.Architecture.Bind(new WeightBinder(file), hp);
    }

    private static WeightMatrix[] Candidates(ModelWeights weights) =>
        weights.Matrices().Where(m => WeightPacking.Preferred(m.Type) != WeightLayout.Stored).Distinct().ToArray();

    private static byte[] Bytes(WeightMatrix m)
    {
        var bytes = new byte[m.Bytes];
        for (var r = 0; r < m.Rows; r++)
        {
            WeightPacking.UnpackRow(m.Layout, m.Type, m.Address, m.Rows, m.Columns, r, bytes.AsSpan(r * m.RowBytes, m.RowBytes));
        }

        return bytes;
    }
}
