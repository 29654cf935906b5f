namespace Edgewise.Numerics.Tests;

/// <summary><see cref="ReadBandwidth"/> returns a positive rate for a small buffer and rejects bad counts (its speed is a benchmark's business).</summary>
public sealed class ReadBandwidthTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Measure_SmallBuffer_PositiveFiniteRate(int threads)
    {
        var rate = ReadBandwidth.Measure(threads, 4L << 20, 1);
        Assert.True(double.IsFinite(rate) && rate > 0, $"rate {rate}");
    }

    [Fact]
    public void Measure_BadCounts_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ReadBandwidth.Measure(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => ReadBandwidth.Measure(1, (1 << 20) - 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => ReadBandwidth.Measure(1, 1 << 20, 0));
    }
}
