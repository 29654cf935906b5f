using System.Runtime.InteropServices;
using Edgewise.Gguf;
using Edgewise.Testing;

namespace Edgewise.Numerics.Tests;

/// <summary>
/// Quantizes every F32 weight of ref-qwen2-F32.gguf to the type llama-quantize chose for it in
/// ref-qwen2-Q4_K_M.gguf (no importance matrix) and compares the bytes.
/// </summary>
public sealed class ReferenceQuantizationTests
{
    [Fact]
    public void Row_RefQwen2Q4KM_EveryQuantizedTensorIsByteIdentical()
    {
        using var f32 = GgufFile.Open(SharedPaths.ReferenceFile("models", "ref-qwen2-F32.gguf"));
        using var quantized = GgufFile.Open(SharedPaths.ReferenceFile("models", "ref-qwen2-Q4_K_M.gguf"));

        var compared = new Dictionary<TensorType, int>();
        var mismatches = new List<string>();
        foreach (var target in quantized.Tensors)
        {
            var type = (TensorType)(int)target.Type;
            if (type == TensorType.F32)
            {
                continue;
            }

            var source = f32.FindTensor(target.Name);
            Assert.NotNull(source);
            Assert.Equal(GgmlType.F32, source.Type);
            Assert.Equal(target.Dimensions, source.Dimensions);

            var input = MemoryMarshal.Cast<byte, float>(f32.GetTensorData(source)).ToArray();
            var expected = quantized.GetTensorData(target);
            var actual = new byte[expected.Length];
            Quantize.Row(type, input, actual);

            compared[type] = compared.GetValueOrDefault(type) + 1;
            var firstDiff = expected.CommonPrefixLength(actual);
            if (firstDiff != expected.Length)
            {
                mismatches.Add($"{target.Name} {type}: first differing byte {firstDiff} of {expected.Length}");
            }
        }

        Assert.Empty(mismatches);

        // Per the reference README: token_embd and blk.1.attn_v Q8_0; attn_q/k/output, ffn_gate/up and
        // blk.0.attn_v Q5_0; blk.0.ffn_down Q4_K; blk.1.ffn_down Q6_K.
        Assert.Equal(2, compared.GetValueOrDefault(TensorType.Q8_0));
        Assert.Equal(11, compared.GetValueOrDefault(TensorType.Q5_0));
        Assert.Equal(1, compared.GetValueOrDefault(TensorType.Q4_K));
        Assert.Equal(1, compared.GetValueOrDefault(TensorType.Q6_K));
    }
}
