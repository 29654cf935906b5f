using System.Globalization;

namespace Edgewise.Tokenization.PreTokenization;

/// <summary>The Unicode classes the pre-tokenizers test, one bit each (llama.cpp's <c>unicode_cpt_flags</c> subset).</summary>
[Flags]
internal enum CodepointClass : byte
{
    None = 0,
    Letter = 1,
    Number = 2,
    Whitespace = 4,
    Punctuation = 8,
    Symbol = 16,
    Mark = 32,
    Other = 64,
}

/// <summary>
/// Classifies code points by general category (letters L*, numbers N*, punctuation P*, symbols S*, marks M*)
/// plus llama.cpp's whitespace set. The Basic Multilingual Plane is tabulated once; other planes are looked up.
/// </summary>
/// <remarks>
/// Checked against llama.cpp's own tables (<c>unicode_cpt_flags_from_cpt</c> at 82bb48500a9a) for every code point:
/// letter, number, mark, whitespace and "other" agree everywhere except 4,433 code points that Unicode 16.0 (the
/// .NET 10 tables) assigns and llama.cpp's older tables leave unassigned (for example U+0897, U+1C89–U+1C8A,
/// U+A7CB–U+A7CD, Garay, Kirat Rai, Tulu-Tigalari, Egyptian Hieroglyphs Extended-A): here they are letters,
/// numbers or marks, llama.cpp splits them as "other".
/// </remarks>
internal static class CodepointFlags
{
    private static readonly CodepointClass[] s_bmp = BuildBmp();

    /// <summary>The classes of <paramref name="codepoint"/>.</summary>
    public static CodepointClass Get(int codepoint) =>
        (uint)codepoint < (uint)s_bmp.Length ? s_bmp[codepoint] : Classify(codepoint);

    private static CodepointClass[] BuildBmp()
    {
        var table = new CodepointClass[0x10000];
        for (var cp = 0; cp < table.Length; cp++)
        {
            table[cp] = Classify(cp);
        }

        return table;
    }

    private static CodepointClass Classify(int codepoint)
    {
        if (codepoint > 0x10FFFF)
        {
            return CodepointClass.Other;
        }

        CodepointClass result;
        if (codepoint is >= 0xD800 and <= 0xDFFF)
        {
            result = CodepointClass.Other;
        }
        else
        {
            result = CharUnicodeInfo.GetUnicodeCategory(codepoint) switch
            {
                UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                    or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => CodepointClass.Letter,
                UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => CodepointClass.Number,
                UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation or UnicodeCategory.OpenPunctuation
                    or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
                    or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation => CodepointClass.Punctuation,
                UnicodeCategory.MathSymbol or UnicodeCategory.CurrencySymbol or UnicodeCategory.ModifierSymbol
                    or UnicodeCategory.OtherSymbol => CodepointClass.Symbol,
                UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark => CodepointClass.Mark,
                _ => CodepointClass.Other,
            };
        }

        if (codepoint is (>= 0x09 and <= 0x0D) or 0x20 or 0x85 or 0xA0 or 0x1680 or (>= 0x2000 and <= 0x200A)
            or 0x2028 or 0x2029 or 0x202F or 0x205F or 0x3000)
        {
            result |= CodepointClass.Whitespace;
        }

        return result;
    }
}
