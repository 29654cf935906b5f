using System.Text;
using Edgewise.Gguf.Tests.Hostile;

namespace Edgewise.Gguf.Tests;

/// <summary>docs/security.md §1.2 G06–G12, G28, G35 (rows M02–M04): keys, value types, strings, arrays, alignment.</summary>
public class ParserMetadataTests
{
    private const int KeyAt = GgufLimits.HeaderBytes;

    [Theory]
    [InlineData("empty")]
    [InlineData("non-ascii")]
    [InlineData("space")]
    [InlineData("control")]
    [InlineData("invalid-utf8")]
    [InlineData("65536-bytes")]
    public void Parse_G06_BadKey_Rejected(string variant)
    {
        var key = variant switch
        {
            "empty" => [],
            "non-ascii" => Encoding.UTF8.GetBytes("général.name"),
            "space" => "general name"u8.ToArray(),
            "control" => "general.\nname"u8.ToArray(),
            "invalid-utf8" => [0x67, 0xC3, 0x28],
            _ => Encoding.ASCII.GetBytes(new string('k', GgufLimits.MaxKeyBytes + 1)),
        };
        var file = RawGguf.Header(0, 1).Str(key).U32(RawGguf.TypeUInt32).U32(7).ToArray();
        var e = HostileAssert.Rejected(file, GgufErrorCodes.KvKey);
        Assert.Equal(KeyAt, e.Offset);
    }

    [Fact]
    public void Parse_G06_KeyOf65535Bytes_Accepted()
    {
        var key = new string('k', GgufLimits.MaxKeyBytes);
        var file = RawGguf.Header(0, 1).KvU32(key, 7).ToArray();
        Assert.Equal(7, GgufParser.Parse(file, file.Length).Metadata.GetInt64(key));
    }

    [Fact]
    public void Parse_G07_DuplicateKey_Rejected()
    {
        var first = RawGguf.Header(0, 2).KvU32("a.b", 1);
        var secondAt = (int)first.Length;
        var file = first.KvString("a.b", "x").ToArray();
        var e = HostileAssert.Rejected(file, GgufErrorCodes.KvDuplicate);
        Assert.Equal(secondAt, e.Offset);
    }

    [Theory]
    [InlineData(13u)]
    [InlineData(0xFFFFFFFFu)]
    [InlineData(0x80000000u)]
    public void Parse_G08_BadValueType_Rejected(uint type)
    {
        var file = RawGguf.Header(0, 1).Kv("a.b", type).U64(0).ToArray();
        HostileAssert.Rejected(file, GgufErrorCodes.KvType);
    }

    [Fact]
    public void Parse_G08_BadArrayElementType_Rejected()
    {
        var file = RawGguf.Header(0, 1).Kv("a.b", RawGguf.TypeArray).U32(13).U64(0).ToArray();
        HostileAssert.Rejected(file, GgufErrorCodes.KvType);
    }

    [Theory]
    [InlineData(1UL << 63)]
    [InlineData(ulong.MaxValue)]
    [InlineData((ulong)GgufLimits.MaxStringBytes + 1)]
    [InlineData(64UL)]
    public void Parse_G09_StringLengthBeyondFile_Rejected(ulong length)
    {
        var file = RawGguf.Header(0, 1).Kv("general.name", RawGguf.TypeString).U64(length).Bytes("short"u8).ToArray();
        HostileAssert.Rejected(file, GgufErrorCodes.KvString);
    }

    [Fact]
    public void Parse_G09_StringOverOneMiB_Rejected()
    {
        var value = new string('s', GgufLimits.MaxStringBytes + 1);
        var file = RawGguf.Header(0, 1).KvString("general.description", value).ToArray();
        HostileAssert.Rejected(file, GgufErrorCodes.KvString);
    }

    [Theory]
    [InlineData(1UL << 63)]
    [InlineData(ulong.MaxValue)]
    [InlineData((ulong)GgufLimits.MaxArrayElements + 1)]
    [InlineData(17UL)]
    public void Parse_G10_ArrayLengthBeyondFile_Rejected(ulong length)
    {
        // 17 UINT32 elements need 68 bytes; 64 follow.
        var file = RawGguf.Header(0, 1).Kv("a.b", RawGguf.TypeArray).U32(RawGguf.TypeUInt32).U64(length).Zeros(64).ToArray();
        HostileAssert.Rejected(file, GgufErrorCodes.KvArray);
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(1UL)]
    [InlineData(1UL << 63)]
    public void Parse_G10_ArrayOfArrays_Rejected(ulong outerLength)
    {
        // Element type ARRAY, then (if read) an inner array header of UINT8 × 1.
        var file = RawGguf.Header(0, 1).Kv("a.b", RawGguf.TypeArray).U32(RawGguf.TypeArray).U64(outerLength)
            .U32(RawGguf.TypeUInt8).U64(1).U8(1).ToArray();
        HostileAssert.Rejected(file, GgufErrorCodes.KvNestedArray);
    }

    [Theory]
    [InlineData(0, 1UL << 63)]
    [InlineData(1, ulong.MaxValue)]
    [InlineData(2, 1000UL)]
    [InlineData(2, (ulong)GgufLimits.MaxStringBytes + 1)]
    public void Parse_G11_StringArrayElementOverflows_Rejected(int badIndex, ulong badLength)
    {
        var raw = RawGguf.Header(0, 1).Kv("tokenizer.ggml.tokens", RawGguf.TypeArray).U32(RawGguf.TypeString).U64(3);
        for (var i = 0; i < 3; i++)
        {
            if (i == badIndex)
            {
                raw.U64(badLength).Bytes("bad"u8);
            }
            else
            {
                raw.Str("tok" + i);
            }
        }

        HostileAssert.Rejected(raw.ToArray(), GgufErrorCodes.KvString);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(13u)]
    [InlineData(3u)]
    [InlineData(1u << 31)]
    [InlineData((uint)GgufLimits.MaxAlignment * 2)]
    [InlineData(uint.MaxValue)]
    public void Parse_G12_BadAlignment_Rejected(uint alignment)
    {
        var file = RawGguf.Header(0, 1).KvU32(GgufKeys.General.Alignment, alignment).ToArray();
        HostileAssert.Rejected(file, GgufErrorCodes.Alignment);
    }

    [Theory]
    [InlineData(RawGguf.TypeInt32)]
    [InlineData(RawGguf.TypeUInt64)]
    [InlineData(RawGguf.TypeUInt16)]
    public void Parse_G12_AlignmentNotUInt32_Rejected(uint type)
    {
        var raw = RawGguf.Header(0, 1).Kv(GgufKeys.General.Alignment, type);
        _ = type switch
        {
            RawGguf.TypeUInt64 => raw.U64(32),
            RawGguf.TypeUInt16 => raw.U8(32).U8(0),
            _ => raw.U32(32),
        };
        HostileAssert.Rejected(raw.ToArray(), GgufErrorCodes.Alignment);
    }

    [Fact]
    public void Parse_G12_AlignmentAsString_Rejected()
    {
        var file = RawGguf.Header(0, 1).KvString(GgufKeys.General.Alignment, "32").ToArray();
        HostileAssert.Rejected(file, GgufErrorCodes.Alignment);
    }

    [Theory]
    [InlineData(2, false)]
    [InlineData(255, false)]
    [InlineData(2, true)]
    public void Parse_G28_BoolNotZeroOrOne_Rejected(byte value, bool inArray)
    {
        var raw = RawGguf.Header(0, 1);
        if (inArray)
        {
            raw.Kv("a.flags", RawGguf.TypeArray).U32(RawGguf.TypeBool).U64(3).U8(1).U8(0).U8(value);
        }
        else
        {
            raw.Kv("a.flag", RawGguf.TypeBool).U8(value);
        }

        HostileAssert.Rejected(raw.ToArray(), GgufErrorCodes.KvBool);
    }

    [Fact]
    public void Parse_G35_TenMegabyteChatTemplate_ParsedIntact()
    {
        var template = BuildTemplate(10_000_000);
        var file = new GgufWriter().Add(GgufKeys.Tokenizer.ChatTemplate, GgufValue.String(template)).ToArray();
        var header = GgufParser.Parse(file, file.Length);
        Assert.Equal(template, header.Metadata.GetString(GgufKeys.Tokenizer.ChatTemplate));
    }

    [Fact]
    public void Parse_G35_ChatTemplateOverCap_Rejected()
    {
        var template = new string('t', GgufLimits.MaxChatTemplateBytes + 1);
        var file = RawGguf.Header(0, 1).KvString(GgufKeys.Tokenizer.ChatTemplate, template).ToArray();
        Assert.Equal(GgufErrorCodes.KvString, HostileAssert.Catch(() => GgufParser.Parse(file, file.Length)).Code);
    }

    [Fact]
    public void Parse_G35_TenMegabyteStringUnderOtherKey_Rejected()
    {
        var file = RawGguf.Header(0, 1).KvString("general.description", BuildTemplate(10_000_000)).ToArray();
        Assert.Equal(GgufErrorCodes.KvString, HostileAssert.Catch(() => GgufParser.Parse(file, file.Length)).Code);
    }

    private static string BuildTemplate(int bytes)
    {
        const string chunk = "{% for m in messages %}{{ m.role }}: {{ m.content }} ✓\n{% endfor %}";
        return string.Concat(Enumerable.Repeat(chunk, bytes / Encoding.UTF8.GetByteCount(chunk)));
    }
}
