using Edgewise.Gguf.Tests.Hostile;

namespace Edgewise.Gguf.Tests;

/// <summary>docs/security.md §1.2 G01–G05 (rows M01, M02): magic, version, counts and key lengths.</summary>
public class ParserHeaderTests
{
    [Fact]
    public void Parse_G01_BadMagic_Rejected()
    {
        var file = new RawGguf().Bytes("FUGG"u8).U32(3).U64(0).U64(0).ToArray();
        HostileAssert.Rejected(file, GgufErrorCodes.HeaderMagic);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(23)]
    public void Parse_G01_TruncatedHeader_Rejected(int length)
    {
        var file = RawGguf.Header(0, 0).ToArray()[..length];
        var e = HostileAssert.Rejected(file, GgufErrorCodes.HeaderTruncated);
        Assert.Equal(length, e.Offset);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(1u)]
    [InlineData(4u)]
    [InlineData(0x03000000u)]
    [InlineData(0x02000000u)]
    [InlineData(uint.MaxValue)]
    public void Parse_G02_UnsupportedVersion_Rejected(uint version)
    {
        var file = RawGguf.Header(0, 0, version).ToArray();
        var e = HostileAssert.Rejected(file, GgufErrorCodes.HeaderVersion);
        Assert.Equal(4, e.Offset);
    }

    [Theory]
    [InlineData(ulong.MaxValue)]
    [InlineData(1UL << 63)]
    [InlineData(1UL << 32)]
    [InlineData((ulong)GgufLimits.MaxTensors + 1)]
    [InlineData(3UL)]
    public void Parse_G03_TensorCountBeyondFile_Rejected(ulong tensorCount)
    {
        // 3 tensors need at least 99 bytes of directory; the file has 64.
        var file = RawGguf.Header(tensorCount, 0).Zeros(64).ToArray();
        HostileAssert.Rejected(file, GgufErrorCodes.HeaderTensorCount);
    }

    [Fact]
    public void Parse_G03_TensorCount2Pow64Minus1_Rejected()
    {
        var file = RawGguf.Header(ulong.MaxValue, 0).ToArray();
        var e = HostileAssert.Rejected(file, GgufErrorCodes.HeaderTensorCount);
        Assert.Equal(8, e.Offset);
    }

    [Fact]
    public void Parse_G03_TensorCountLeftAfterMetadata_Rejected()
    {
        // The count fits the bytes after the fixed header, but not the bytes left once the metadata is read.
        var file = RawGguf.Header(2, 1).KvString("general.name", new string('x', 60)).ToArray();
        HostileAssert.Rejected(file, GgufErrorCodes.HeaderTensorCount);
    }

    [Theory]
    [InlineData(ulong.MaxValue)]
    [InlineData(1UL << 63)]
    [InlineData(1UL << 32)]
    [InlineData((ulong)GgufLimits.MaxKeyValues + 1)]
    [InlineData(5UL)]
    public void Parse_G04_KvCountBeyondFile_Rejected(ulong kvCount)
    {
        // 5 entries need at least 70 bytes; the file has 64.
        var file = RawGguf.Header(0, kvCount).Zeros(64).ToArray();
        var e = HostileAssert.Rejected(file, GgufErrorCodes.HeaderKvCount);
        Assert.Equal(16, e.Offset);
    }

    [Theory]
    [InlineData(ulong.MaxValue)]
    [InlineData(1UL << 63)]
    [InlineData((ulong)GgufLimits.MaxKeyBytes + 1)]
    [InlineData(100UL)]
    public void Parse_G05_KeyLengthBeyondFile_Rejected(ulong keyLength)
    {
        var file = RawGguf.Header(0, 1).U64(keyLength).Bytes("general.name"u8).U32(RawGguf.TypeUInt32).U32(0).ToArray();
        var e = HostileAssert.Rejected(file, GgufErrorCodes.KvKey);
        Assert.Equal(GgufLimits.HeaderBytes, e.Offset);
    }

    [Fact]
    public void Parse_M02_KvCountAtBoundOverGarbage_AllocatesLessThanFile()
    {
        // The count passes the "count × 14 ≤ remaining" test, so only a bounded up-front allocation keeps this cheap.
        const int size = 256 * 1024;
        var file = RawGguf.Header(0, (size - GgufLimits.HeaderBytes) / GgufLimits.MinKeyValueBytes).ToArray();
        Array.Resize(ref file, size);
        HostileAssert.Rejected(file, GgufErrorCodes.KvKey);
    }

    [Fact]
    public void Parse_M02_TensorCountAtBoundOverGarbage_AllocatesLessThanFile()
    {
        const int size = 256 * 1024;
        var file = RawGguf.Header((size - GgufLimits.HeaderBytes) / GgufLimits.MinTensorInfoBytes, 0).ToArray();
        Array.Resize(ref file, size);
        HostileAssert.Rejected(file, GgufErrorCodes.TensorName);
    }
}
