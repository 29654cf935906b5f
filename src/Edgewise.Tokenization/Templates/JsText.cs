using System.Text;

namespace Edgewise.Tokenization.Templates;

/// <summary>JavaScript string semantics the reference relies on: its whitespace set, title case, code points.</summary>
internal static class JsText
{
    public static bool IsWhiteSpace(char c) => c switch
    {
        '\t' or '\n' or '\v' or '\f' or '\r' or ' ' or '\u00a0' or '\u1680' or '\u2028' or '\u2029'
            or '\u202f' or '\u205f' or '\u3000' or '\ufeff' => true,
        _ => c is >= '\u2000' and <= '\u200a',
    };

    public static bool IsWordChar(char c) => char.IsAsciiLetterOrDigit(c) || c == '_';

    public static string Trim(string text) => TrimEnd(TrimStart(text));

    public static string TrimStart(string text)
    {
        var start = 0;
        while (start < text.Length && IsWhiteSpace(text[start]))
        {
            start++;
        }

        return start == 0 ? text : text[start..];
    }

    public static string TrimEnd(string text)
    {
        var end = text.Length;
        while (end > 0 && IsWhiteSpace(text[end - 1]))
        {
            end--;
        }

        return end == text.Length ? text : text[..end];
    }

    /// <summary>Upper-cases the first word character after every non-word character (the reference's <c>title</c>).</summary>
    public static string Title(string text)
    {
        var chars = text.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (IsWordChar(chars[i]) && (i == 0 || !IsWordChar(chars[i - 1])))
            {
                chars[i] = char.ToUpperInvariant(chars[i]);
            }
        }

        return new string(chars);
    }

    /// <summary>Splits a string into code points (surrogate pairs stay together), as <c>Array.from(str)</c> does.</summary>
    public static List<string> CodePoints(string text)
    {
        var result = new List<string>(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                result.Add(text.Substring(i, 2));
                i++;
            }
            else
            {
                result.Add(text[i].ToString());
            }
        }

        return result;
    }

    /// <summary><c>JSON.stringify</c> of a string: quotes, backslash, control characters and lone surrogates escaped.</summary>
    public static void AppendJsonString(StringBuilder builder, string text, bool ensureAscii)
    {
        builder.Append('"');
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            switch (c)
            {
                case '"':
                    builder.Append("\\\"");
                    continue;
                case '\\':
                    builder.Append("\\\\");
                    continue;
                case '\b':
                    builder.Append("\\b");
                    continue;
                case '\f':
                    builder.Append("\\f");
                    continue;
                case '\n':
                    builder.Append("\\n");
                    continue;
                case '\r':
                    builder.Append("\\r");
                    continue;
                case '\t':
                    builder.Append("\\t");
                    continue;
            }

            var lone = (char.IsHighSurrogate(c) && !(i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])))
                || (char.IsLowSurrogate(c) && !(i > 0 && char.IsHighSurrogate(text[i - 1])));
            if (c < ' ' || lone || (ensureAscii && c >= '\u007f'))
            {
                builder.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append(c);
            }
        }

        builder.Append('"');
    }
}
