using Edgewise.Gguf.Tests.Hostile;
using static Edgewise.Gguf.Tests.Hostile.HostileTensors;

namespace Edgewise.Gguf.Tests;

/// <summary>
/// docs/security.md §1.2 G23–G27 (row M07): tensor data ranges. Every rejection is also checked with a span of only the
/// header bytes, so the verdict never needs a byte of the data section.
/// </summary>
public class ParserDataRangeTests
{
    [Fact]
    public void Parse_G23_CumulativeSizeOverflows_Rejected()
    {
        // Each tensor's size fits in 63 bits; their sum does not.
        const long n = 0x5000000000000000;
        var (file, h) = Build(2, r => r.Tensor("a", I8, 0, n).Tensor("b", I8, (ulong)n, n), 64);
        HostileAssert.Rejected(file, GgufErrorCodes.TensorSize, h);
    }

    [Fact]
    public void Parse_G23_ManyTensorsSumOverflows_Rejected()
    {
        const long n = 1L << 61;
        var (file, h) = Build(4, r => r.Tensor("a", I8, 0, n).Tensor("b", I8, 32, n).Tensor("c", I8, 64, n).Tensor("d", I8, 96, n), 64);
        HostileAssert.Rejected(file, GgufErrorCodes.TensorSize, h);
    }

    [Theory]
    [InlineData(1UL)]
    [InlineData(16UL)]
    [InlineData(31UL)]
    [InlineData(33UL)]
    [InlineData(ulong.MaxValue)]
    public void Parse_G24_OffsetNotAligned_Rejected(ulong offset)
    {
        var (file, h) = One(F32, offset, [16], 256);
        HostileAssert.Rejected(file, GgufErrorCodes.TensorOffset, h);
    }

    [Theory]
    [InlineData(1UL << 30)]
    [InlineData(64UL)]
    [InlineData(1UL << 62)]
    public void Parse_G24_OffsetPastEndOfFile_Rejected(ulong offset)
    {
        // The data section holds 64 bytes and the tensor needs 64: an offset of 64 or more points past the file.
        var (file, h) = One(F32, offset, [16], 64);
        HostileAssert.Rejected(file, GgufErrorCodes.TensorOffset, h);
    }

    [Fact]
    public void Parse_G24_SecondTensorPastEndOfFile_Rejected()
    {
        var (file, h) = Build(2, r => r.Tensor("a", F32, 0, 16).Tensor("b", F32, 4096, 16), 128);
        HostileAssert.Rejected(file, GgufErrorCodes.TensorOffset, h);
    }

    [Fact]
    public void Parse_G24_RangeRunsPastEndOfFile_Rejected()
    {
        // The offset lies inside the file, the size runs 1 GiB past it: indistinguishable from a truncated data section.
        var (file, h) = One(F32, 0, [1L << 28], 64);
        HostileAssert.Rejected(file, GgufErrorCodes.DataTruncated, h);
    }

    [Theory]
    [InlineData(0xFFFFFFFFFFFFFFE0UL)]
    [InlineData(0x8000000000000000UL)]
    [InlineData(0x7FFFFFFFFFFFFFE0UL)]
    public void Parse_G25_OffsetPlusSizeWraps_Rejected(ulong offset)
    {
        var (file, h) = One(F32, offset, [16], 64);
        HostileAssert.Rejected(file, GgufErrorCodes.TensorOffset, h);
    }

    [Fact]
    public void Parse_G25_HugeSizeAtHugeOffset_Rejected()
    {
        var (file, h) = One(I8, 0x4000000000000000, [0x4000000000000000], 64);
        HostileAssert.Rejected(file, GgufErrorCodes.TensorOffset, h);
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(32UL)]
    public void Parse_G26_TensorsOverlap_Rejected(ulong secondOffset)
    {
        var (file, h) = Build(2, r => r.Tensor("a", F32, 0, 16).Tensor("b", F32, secondOffset, 16), 128);
        HostileAssert.Rejected(file, GgufErrorCodes.TensorOverlap, h);
    }

    [Fact]
    public void Parse_G26_OverlapOutOfOrder_Rejected()
    {
        var (file, h) = Build(3, r => r.Tensor("a", F32, 128, 16).Tensor("b", F32, 0, 64).Tensor("c", F32, 256, 16), 512);
        HostileAssert.Rejected(file, GgufErrorCodes.TensorOverlap, h);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(63)]
    [InlineData(64)]
    public void Parse_G27_DataSectionTruncated_Rejected(int missing)
    {
        var (full, h) = Build(2, r => r.Tensor("a", F32, 0, 16).Tensor("b", F32, 64, 16), 128);
        var file = full[..^missing];
        HostileAssert.Rejected(file, GgufErrorCodes.DataTruncated, h);
    }

    [Fact]
    public void Parse_G27_FileEndsInHeaderPadding_Rejected()
    {
        var (full, h) = One(F32, 0, [16], 64);
        Assert.NotEqual(0, h % GgufLimits.DefaultAlignment);
        HostileAssert.Rejected(full[..h], GgufErrorCodes.DataTruncated, h);
    }

    [Fact]
    public void Parse_M07_HeaderBytesOnly_SameHeaderAsWholeFile()
    {
        var (file, h) = Build(2, r => r.Tensor("a", F32, 0, 16).Tensor("b", Q8_0, 64, 64), 160);
        var whole = GgufParser.Parse(file, file.Length);
        var headerOnly = GgufParser.Parse(file.AsSpan(0, h), file.Length);
        Assert.Equal(h, whole.HeaderLength);
        Assert.Equal(whole.DataOffset, headerOnly.DataOffset);
        Assert.Equal(whole.Tensors.Count, headerOnly.Tensors.Count);
        Assert.Equal(68, headerOnly.FindTensor("b")!.ByteSize);
    }

    [Fact]
    public void Parse_M07_SpanShorterThanHeader_RejectedAsTruncated()
    {
        var (file, h) = Build(1, r => r.Tensor("token_embd.weight", F32, 0, 16), 64);
        var e = HostileAssert.Catch(() => GgufParser.Parse(file.AsSpan(0, h - 1), file.Length));
        Assert.Equal(GgufErrorCodes.Truncated, e.Code);
    }
}
