namespace Edgewise.Tokenization;

/// <summary>
/// GPT-2's reversible byte ↔ character map used by byte-level BPE vocabularies: printable Latin-1 bytes map to
/// themselves, the other 68 bytes to U+0100 onwards in byte order. Every mapped character is a single UTF-16 unit.
/// </summary>
internal static class ByteEncoding
{
    private static readonly char[] s_byteToChar = BuildForward();
    private static readonly short[] s_charToByte = BuildInverse();

    /// <summary>The character that stands for <paramref name="value"/>.</summary>
    public static char ToChar(byte value) => s_byteToChar[value];

    /// <summary>The byte <paramref name="c"/> stands for, or −1 when it is not a mapped character.</summary>
    public static int ToByte(int c) => (uint)c < (uint)s_charToByte.Length ? s_charToByte[c] : -1;

    private static bool IsSelfMapped(int b) => b is (>= 0x21 and <= 0x7E) or (>= 0xA1 and <= 0xAC) or (>= 0xAE and <= 0xFF);

    private static char[] BuildForward()
    {
        var map = new char[256];
        var next = 256;
        for (var b = 0; b < 256; b++)
        {
            map[b] = IsSelfMapped(b) ? (char)b : (char)next++;
        }

        return map;
    }

    private static short[] BuildInverse()
    {
        var inverse = new short[324];
        Array.Fill(inverse, (short)-1);
        for (var b = 0; b < 256; b++)
        {
            inverse[s_byteToChar[b]] = (short)b;
        }

        return inverse;
    }
}
