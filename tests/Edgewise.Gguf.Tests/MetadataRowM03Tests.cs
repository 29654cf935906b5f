using System.Text;
using Edgewise.Gguf.Tests.Hostile;

namespace Edgewise.Gguf.Tests;

/// <summary>
/// docs/security.md row M03 as one table: every malformed metadata key or value gets a typed <c>gguf.kv.*</c> rejection.
/// The individual G06–G08 and G28 tests pin offsets and edge cases; this table shows the row's whole contract.
/// </summary>
public class MetadataRowM03Tests
{
    public static TheoryData<string, string> Cases => new()
    {
        { "duplicate key", GgufErrorCodes.KvDuplicate },
        { "empty key", GgufErrorCodes.KvKey },
        { "non-ASCII key", GgufErrorCodes.KvKey },
        { "over-long key", GgufErrorCodes.KvKey },
        { "unknown value type", GgufErrorCodes.KvType },
        { "unknown array element type", GgufErrorCodes.KvType },
        { "nested array", GgufErrorCodes.KvNestedArray },
        { "bool = 2", GgufErrorCodes.KvBool },
        { "bool = 2 inside an array", GgufErrorCodes.KvBool },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void M03_MalformedMetadata_TypedRejection(string variant, string code)
    {
        var file = Build(variant);
        var e = Assert.Throws<InvalidModelFileException>(() => GgufParser.Parse(file, file.Length));
        Assert.Equal(code, e.Code);
        Assert.StartsWith("gguf.kv.", e.Code, StringComparison.Ordinal);
    }

    private static byte[] Build(string variant) => variant switch
    {
        "duplicate key" => RawGguf.Header(0, 2).KvU32("a.b", 1).KvU32("a.b", 2).ToArray(),
        "empty key" => WithKey([]),
        "non-ASCII key" => WithKey(Encoding.UTF8.GetBytes("modèle.nom")),
        "over-long key" => WithKey(Encoding.ASCII.GetBytes(new string('k', GgufLimits.MaxKeyBytes + 1))),
        "unknown value type" => RawGguf.Header(0, 1).Kv("a.b", 13).U64(0).ToArray(),
        "unknown array element type" => RawGguf.Header(0, 1).Kv("a.b", RawGguf.TypeArray).U32(13).U64(0).ToArray(),
        "nested array" => RawGguf.Header(0, 1).Kv("a.b", RawGguf.TypeArray).U32(RawGguf.TypeArray).U64(1).U32(RawGguf.TypeUInt32).U64(0).ToArray(),
        "bool = 2" => RawGguf.Header(0, 1).Kv("a.flag", RawGguf.TypeBool).U8(2).ToArray(),
        _ => RawGguf.Header(0, 1).Kv("a.flags", RawGguf.TypeArray).U32(RawGguf.TypeBool).U64(2).U8(1).U8(2).ToArray(),
    };

    private static byte[] WithKey(byte[] key) => RawGguf.Header(0, 1).Str(key).U32(RawGguf.TypeUInt32).U32(7).ToArray();
}
