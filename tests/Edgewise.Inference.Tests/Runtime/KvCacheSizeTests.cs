using Edgewise.Inference.Runtime;
using Edgewise.Inference.Tests.Support;

namespace Edgewise.Inference.Tests.Runtime;

public sealed class KvCacheSizeTests
{
    public static TheoryData<string, KvCacheType> Cases
    {
        get
        {
            var data = new TheoryData<string, KvCacheType>();
            foreach (var arch in new[] { "llama", "qwen2", "qwen3", "phi3" })
            {
                data.Add(arch, KvCacheType.F16);
                data.Add(arch, KvCacheType.F32);
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void BytesPerToken_TimesPositionsAndSequences_EqualsWhatTheContextAllocates(string arch, KvCacheType type)
    {
        using var model = new TinyModel(arch).Load();
        using var context = model.CreateContext(new ContextOptions { KvCacheType = type, ContextLength = 48, SequenceCount = 3 });

        var planned = KvCacheSize.BytesPerToken(model.Hyperparameters, type) * 48 * 3;

        Assert.Equal(planned, context.KvCacheBytes);
    }

    [Fact]
    public void BytesPerToken_F32_IsTwiceF16()
    {
        using var model = new TinyModel("qwen3").Load();

        var f16 = KvCacheSize.BytesPerToken(model.Hyperparameters, KvCacheType.F16);

        // qwen3 tiny: 2 blocks, 2 KV heads of 16 → K and V rows of 32 values, 2 bytes each.
        Assert.Equal(2 * (32 + 32) * 2, f16);
        Assert.Equal(2 * f16, KvCacheSize.BytesPerToken(model.Hyperparameters, KvCacheType.F32));
    }

    [Fact]
    public void BytesPerValue_UnknownType_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => KvCacheSize.BytesPerValue((KvCacheType)7));
}
