namespace Edgewise.Inference.Constraints;

/// <summary>
/// The byte-level lexer of a JSON string body (after the opening quote) as a table: valid UTF-8 only (no overlong
/// forms, no surrogates), escapes including <c>\uXXXX</c> without surrogate halves, no raw control characters.
/// Shared by the per-byte parser and the per-token tables, so both agree exactly.
/// </summary>
internal static class StringLexer
{
    /// <summary>Plain string body.</summary>
    public const byte Body = 0;

    /// <summary>Number of lexer states.</summary>
    public const int StateCount = 14;

    /// <summary>Transition result: the byte is not allowed.</summary>
    public const byte Invalid = 255;

    /// <summary>Transition result: the closing quote.</summary>
    public const byte Close = 254;

    private const byte Escape = 1;
    private const byte U0 = 2;
    private const byte U1 = 3;
    private const byte U1D = 4;
    private const byte U2 = 5;
    private const byte U3 = 6;
    private const byte C1 = 7;
    private const byte C2 = 8;
    private const byte C2E0 = 9;
    private const byte C2ED = 10;
    private const byte C3 = 11;
    private const byte C3F0 = 12;
    private const byte C3F4 = 13;

    private static readonly byte[] s_next = Build(out s_emits);
    private static readonly bool[] s_emits;

    /// <summary>The state after <paramref name="b"/> in <paramref name="state"/>, or <see cref="Invalid"/> / <see cref="Close"/>.</summary>
    public static byte Next(byte state, byte b) => s_next[(state << 8) | b];

    /// <summary>True when <paramref name="b"/> completes one code point of the string value.</summary>
    public static bool Emits(byte state, byte b) => s_emits[(state << 8) | b];

    /// <summary>True when the state is inside a character or an escape (one code point is pending).</summary>
    public static bool IsPending(byte state) => state != Body;

    /// <summary>
    /// Tracks the value of the pending code point: returns the accumulator after <paramref name="b"/> (the full
    /// code point when <see cref="Emits"/> is true).
    /// </summary>
    public static int Accumulate(byte state, byte b, int accumulator) => state switch
    {
        Body when b < 0x80 => b,
        Body when b < 0xE0 => b & 0x1F,
        Body when b < 0xF0 => b & 0x0F,
        Body => b & 0x07,
        Escape => b switch
        {
            (byte)'n' => '\n',
            (byte)'t' => '\t',
            (byte)'r' => '\r',
            (byte)'b' => '\b',
            (byte)'f' => '\f',
            (byte)'u' => 0,
            _ => b,
        },
        U0 or U1 or U1D or U2 or U3 => (accumulator << 4) | HexValue(b),
        _ => (accumulator << 6) | (b & 0x3F),
    };

    /// <summary>
    /// The code points a pending state (entered with <paramref name="accumulator"/>) can still complete to; for
    /// <see cref="Body"/> the whole range.
    /// </summary>
    public static (int Low, int High) PendingRange(byte state, int accumulator) => state switch
    {
        Escape or U0 => (0, 0xFFFF),
        U1 => (accumulator << 12, (accumulator << 12) | 0xFFF),
        U1D => (0xD000, 0xD7FF),
        U2 => (accumulator << 8, (accumulator << 8) | 0xFF),
        U3 => (accumulator << 4, (accumulator << 4) | 0xF),
        C1 => (accumulator << 6, (accumulator << 6) | 0x3F),
        C2 => (accumulator << 12, (accumulator << 12) | 0xFFF),
        C2E0 => (0x800, 0xFFF),
        C2ED => (0xD000, 0xD7FF),
        C3 => (accumulator << 18, (accumulator << 18) | 0x3FFFF),
        C3F0 => (0x10000, 0x3FFFF),
        C3F4 => (0x100000, 0x10FFFF),
        _ => (0, 0x10FFFF),
    };

    private static int HexValue(byte b) => b <= '9' ? b - '0' : (b | 0x20) - 'a' + 10;

    private static bool IsHex(int b) => b is >= '0' and <= '9' or >= 'a' and <= 'f' or >= 'A' and <= 'F';

    private static byte[] Build(out bool[] emits)
    {
        var next = new byte[StateCount * 256];
        emits = new bool[StateCount * 256];
        Array.Fill(next, Invalid);
        for (var b = 0; b < 256; b++)
        {
            Set(next, emits, Body, b, b switch
            {
                '"' => Close,
                '\\' => Escape,
                < 0x20 => Invalid,
                < 0x80 => Body,
                >= 0xC2 and <= 0xDF => C1,
                0xE0 => C2E0,
                0xED => C2ED,
                >= 0xE1 and <= 0xEF => C2,
                0xF0 => C3F0,
                >= 0xF1 and <= 0xF3 => C3,
                0xF4 => C3F4,
                _ => Invalid,
            });
            Set(next, emits, Escape, b, b is '"' or '\\' or '/' or 'b' or 'f' or 'n' or 'r' or 't' ? Body : b == 'u' ? U0 : Invalid);
            Set(next, emits, U0, b, b is 'd' or 'D' ? U1D : IsHex(b) ? U1 : Invalid);
            Set(next, emits, U1, b, IsHex(b) ? U2 : Invalid);
            Set(next, emits, U1D, b, b is >= '0' and <= '7' ? U2 : Invalid);
            Set(next, emits, U2, b, IsHex(b) ? U3 : Invalid);
            Set(next, emits, U3, b, IsHex(b) ? Body : Invalid);
            var continuation = b is >= 0x80 and <= 0xBF;
            Set(next, emits, C1, b, continuation ? Body : Invalid);
            Set(next, emits, C2, b, continuation ? C1 : Invalid);
            Set(next, emits, C2E0, b, b is >= 0xA0 and <= 0xBF ? C1 : Invalid);
            Set(next, emits, C2ED, b, b is >= 0x80 and <= 0x9F ? C1 : Invalid);
            Set(next, emits, C3, b, continuation ? C2 : Invalid);
            Set(next, emits, C3F0, b, b is >= 0x90 and <= 0xBF ? C2 : Invalid);
            Set(next, emits, C3F4, b, b is >= 0x80 and <= 0x8F ? C2 : Invalid);
        }

        return next;
    }

    private static void Set(byte[] next, bool[] emits, byte state, int b, byte target)
    {
        next[(state << 8) | b] = target;
        emits[(state << 8) | b] = target == Body;
    }
}
