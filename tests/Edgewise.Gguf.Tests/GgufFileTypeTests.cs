using Edgewise.Gguf;

namespace Edgewise.Gguf.Tests;

public sealed class GgufFileTypeTests
{
    [Theory]
    [InlineData(0, "F32", "all F32")]
    [InlineData(1, "F16", "F16")]
    [InlineData(7, "Q8_0", "Q8_0")]
    [InlineData(10, "Q2_K", "Q2_K - Medium")]
    [InlineData(15, "Q4_K_M", "Q4_K - Medium")]
    [InlineData(16, "Q5_K_S", "Q5_K - Small")]
    [InlineData(18, "Q6_K", "Q6_K")]
    [InlineData(32, "BF16", "BF16")]
    public void NameAndDescription_KnownFileType_AreLlamaCppsLabels(long id, string name, string description)
    {
        Assert.Equal(name, GgufFileType.Name(id));
        Assert.Equal(description, GgufFileType.Description(id));
        Assert.Equal((uint)id, GgufFileType.FromName(name.ToLowerInvariant()));
    }

    [Fact]
    public void NameAndDescription_UnknownFileType_SayTheNumber()
    {
        Assert.Equal("ftype_99", GgufFileType.Name(99));
        Assert.Equal("ftype 99", GgufFileType.Description(99));
        Assert.Null(GgufFileType.FromName("Q4_K - Medium"));
        Assert.Null(GgufFileType.FromName("ftype_99"));
    }
}
