using Edgewise.Inference.Synthesis;

namespace Edgewise.Inference.Tests.Synthesis;

public sealed class QuantizationSchemeTests
{
    [Theory]
    [InlineData("f32", 0u)]
    [InlineData("f16", 1u)]
    [InlineData("bf16", 32u)]
    [InlineData("q8_0", 7u)]
    [InlineData("q4_0", 2u)]
    [InlineData("q4_k_m", 15u)]
    [InlineData("q5_k_m", 17u)]
    [InlineData("q6_k", 18u)]
    public void FileType_EveryScheme_IsLlamaCppsFileType(string name, uint expected)
    {
        Assert.Contains(name, QuantizationScheme.Names);
        Assert.Equal(expected, QuantizationScheme.Parse(name)!.FileType);
    }

    [Fact]
    public void Names_AreAllCoveredAbove() => Assert.Equal(8, QuantizationScheme.Names.Count);
}
