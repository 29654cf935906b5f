using Edgewise.Gguf.Tests.Hostile;
using static Edgewise.Gguf.Tests.Hostile.HostileTensors;

namespace Edgewise.Gguf.Tests;

/// <summary>docs/security.md §1.2 G13–G16, G19–G22 (rows M02, M05, M06): tensor names, dimensions, types and sizes.</summary>
public class ParserTensorTests
{
    [Theory]
    [InlineData(1UL << 63)]
    [InlineData(ulong.MaxValue)]
    [InlineData(64UL)]
    [InlineData(1000UL)]
    public void Parse_G13_TensorNameLengthHuge_Rejected(ulong length)
    {
        var (file, h) = Build(1, r => r.U64(length).Bytes("t"u8).U32(1).I64(16).U32(F32).U64(0), 64);
        var e = HostileAssert.Rejected(file, GgufErrorCodes.TensorName, h);
        Assert.Equal(GgufLimits.HeaderBytes, e.Offset);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(5u)]
    [InlineData(0xFFFFFFFFu)]
    [InlineData(0x80000000u)]
    public void Parse_G14_DimensionCountOutOfRange_Rejected(uint nDims)
    {
        var (file, h) = Build(1, r => r.Str("t").U32(nDims).I64(16).I64(1).I64(1).I64(1).I64(1).U32(F32).U64(0), 64);
        HostileAssert.Rejected(file, GgufErrorCodes.TensorShape, h);
    }

    [Theory]
    [InlineData(new long[] { 0 })]
    [InlineData(new long[] { 16, 0 })]
    [InlineData(new long[] { 16, 4, 0 })]
    [InlineData(new long[] { 16, 4, 2, 0 })]
    [InlineData(new long[] { 0, 4 })]
    public void Parse_G15_ZeroDimension_Rejected(long[] dims)
    {
        var (file, h) = One(F32, 0, dims);
        HostileAssert.Rejected(file, GgufErrorCodes.TensorShape, h);
    }

    [Theory]
    [InlineData(new long[] { -1 })]
    [InlineData(new long[] { 16, -4 })]
    [InlineData(new long[] { long.MinValue, 1 })]
    [InlineData(new long[] { 16, 1, 1, -1 })]
    public void Parse_G16_NegativeDimension_Rejected(long[] dims)
    {
        var (file, h) = One(F32, 0, dims);
        HostileAssert.Rejected(file, GgufErrorCodes.TensorShape, h);
    }

    [Theory]
    [InlineData(4u)]
    [InlineData(5u)]
    [InlineData(31u)]
    [InlineData(32u)]
    [InlineData(33u)]
    [InlineData(36u)]
    [InlineData(37u)]
    [InlineData(38u)]
    [InlineData(40u)]
    [InlineData(1000u)]
    [InlineData(0xFFFFFFFFu)]
    [InlineData(0x80000000u)]
    public void Parse_G19_RemovedOrUnknownType_Rejected(uint type)
    {
        var (file, h) = One(type, 0, [256]);
        HostileAssert.Rejected(file, GgufErrorCodes.TensorType, h);
    }

    [Theory]
    [InlineData(Q4_0, new long[] { 33 })]
    [InlineData(Q4_0, new long[] { 33, 2 })]
    [InlineData(Q8_0, new long[] { 16, 2 })]
    [InlineData(Q4_K, new long[] { 255 })]
    [InlineData(Q4_K, new long[] { 32, 8 })]
    public void Parse_G20_RowNotMultipleOfBlock_Rejected(uint type, long[] dims)
    {
        var (file, h) = One(type, 0, dims, 4096);
        HostileAssert.Rejected(file, GgufErrorCodes.TensorShape, h);
    }

    [Theory]
    [InlineData(new long[] { 0x7FFFFFFFFFFFFFC0, 2 })]
    [InlineData(new long[] { 1L << 32, 1L << 32 })]
    [InlineData(new long[] { 1L << 16, 1L << 16, 1L << 16, 1L << 16 })]
    [InlineData(new long[] { long.MaxValue, long.MaxValue })]
    public void Parse_G21_ElementCountOverflows_Rejected(long[] dims)
    {
        var (file, h) = One(I8, 0, dims);
        HostileAssert.Rejected(file, GgufErrorCodes.TensorSize, h);
    }

    [Theory]
    [InlineData(Q8_0, new long[] { 0x7FFFFFFFFFFFFFE0 })]
    [InlineData(Q8_0, new long[] { 1L << 40, 0x7C0000 })]
    [InlineData(F32, new long[] { 1L << 62 })]
    [InlineData(F16, new long[] { 1L << 31, 1L << 31 })]
    [InlineData(Q8_K, new long[] { 1L << 56, 127 })]
    public void Parse_G22_ByteSizeOverflows_Rejected(uint type, long[] dims)
    {
        var (file, h) = One(type, 0, dims);
        HostileAssert.Rejected(file, GgufErrorCodes.TensorSize, h);
    }

    [Fact]
    public void Parse_G26_NameOf64Bytes_Rejected()
    {
        var (file, h) = Build(1, r => r.Tensor(new string('n', 64), F32, 0, 16), 64);
        HostileAssert.Rejected(file, GgufErrorCodes.TensorName, h);
    }

    [Fact]
    public void Parse_G26_NameOf63Bytes_Accepted()
    {
        var name = new string('n', 63);
        var (file, _) = Build(1, r => r.Tensor(name, F32, 0, 16), 64);
        Assert.NotNull(GgufParser.Parse(file, file.Length).FindTensor(name));
    }

    [Theory]
    [InlineData("empty")]
    [InlineData("invalid-utf8")]
    public void Parse_G26_BadName_Rejected(string variant)
    {
        // No header-only span here: an entry with an empty name is shorter than the 33-byte minimum the count check assumes.
        byte[] name = variant == "empty" ? [] : [0x74, 0xFF];
        var (file, _) = Build(1, r => r.Str(name).U32(1).I64(16).U32(F32).U64(0), 64);
        HostileAssert.Rejected(file, GgufErrorCodes.TensorName);
    }

    [Fact]
    public void Parse_G26_DuplicateName_Rejected()
    {
        var (file, h) = Build(2, r => r.Tensor("t", F32, 0, 16).Tensor("t", F32, 64, 16), 128);
        HostileAssert.Rejected(file, GgufErrorCodes.TensorName, h);
    }
}
