using System.Globalization;
using System.Text;

namespace Edgewise.Tokenization.Templates;

internal enum LexemeKind
{
    Text,
    Number,
    String,
    Identifier,
    Equals,
    OpenParen,
    CloseParen,
    OpenStatement,
    CloseStatement,
    OpenExpression,
    CloseExpression,
    OpenBracket,
    CloseBracket,
    OpenBrace,
    CloseBrace,
    Comma,
    Dot,
    Colon,
    Pipe,
    Additive,
    Multiplicative,
    Power,
    Comparison,
    Unary,
    Comment,
}

internal sealed record Token(LexemeKind Type, string Value, int Offset);

/// <summary>
/// Splits template text into tokens the way the reference does with trim_blocks and lstrip_blocks on:
/// the source is first normalised (<see cref="Preprocess"/>), then <c>{%-</c>/<c>-%}</c> strip whitespace.
/// </summary>
internal static class Lexer
{
    private static readonly (string Text, LexemeKind Type)[] s_symbols =
    [
        ("{%", LexemeKind.OpenStatement), ("%}", LexemeKind.CloseStatement),
        ("{{", LexemeKind.OpenExpression), ("}}", LexemeKind.CloseExpression),
        ("(", LexemeKind.OpenParen), (")", LexemeKind.CloseParen), ("{", LexemeKind.OpenBrace), ("}", LexemeKind.CloseBrace),
        ("[", LexemeKind.OpenBracket), ("]", LexemeKind.CloseBracket), (",", LexemeKind.Comma), (".", LexemeKind.Dot),
        (":", LexemeKind.Colon), ("|", LexemeKind.Pipe),
        ("<=", LexemeKind.Comparison), (">=", LexemeKind.Comparison), ("==", LexemeKind.Comparison),
        ("!=", LexemeKind.Comparison), ("<", LexemeKind.Comparison), (">", LexemeKind.Comparison),
        ("+", LexemeKind.Additive), ("-", LexemeKind.Additive), ("~", LexemeKind.Additive),
        ("**", LexemeKind.Power), ("*", LexemeKind.Multiplicative), ("//", LexemeKind.Multiplicative),
        ("/", LexemeKind.Multiplicative), ("%", LexemeKind.Multiplicative), ("=", LexemeKind.Equals),
    ];

    public static List<Token> Tokenize(string source)
    {
        var src = Preprocess(source);
        var tokens = new List<Token>();
        var pos = 0;
        var braceDepth = 0;
        while (pos < src.Length)
        {
            var last = tokens.Count > 0 ? tokens[^1].Type : (LexemeKind?)null;
            if (last is null or LexemeKind.CloseStatement or LexemeKind.CloseExpression or LexemeKind.Comment)
            {
                var start = pos;
                while (pos < src.Length && !IsTagStart(src, pos))
                {
                    pos++;
                }

                if (pos > start)
                {
                    tokens.Add(new Token(LexemeKind.Text, src[start..pos], start));
                    continue;
                }
            }

            if (At(src, pos, "{#"))
            {
                pos = ReadComment(src, pos, tokens);
                continue;
            }

            if (At(src, pos, "{%-") || At(src, pos, "{{-"))
            {
                StripTrailingWhitespace(tokens);
                var statement = src[pos + 1] == '%';
                tokens.Add(new Token(statement ? LexemeKind.OpenStatement : LexemeKind.OpenExpression, statement ? "{%" : "{{", pos));
                braceDepth = statement ? braceDepth : 0;
                pos += 3;
                continue;
            }

            while (pos < src.Length && JsText.IsWhiteSpace(src[pos]))
            {
                pos++;
            }

            if (pos >= src.Length)
            {
                throw Error("Unexpected end of template.", pos);
            }

            if (At(src, pos, "-%}") || At(src, pos, "-}}"))
            {
                var statement = src[pos + 1] == '%';
                tokens.Add(new Token(statement ? LexemeKind.CloseStatement : LexemeKind.CloseExpression, statement ? "%}" : "}}", pos));
                pos += 3;
                while (pos < src.Length && JsText.IsWhiteSpace(src[pos]))
                {
                    pos++;
                }

                continue;
            }

            var c = src[pos];
            if ((c == '-' || c == '+') && TrySignedNumber(src, ref pos, tokens))
            {
                continue;
            }

            if (TrySymbol(src, ref pos, tokens, ref braceDepth))
            {
                continue;
            }

            if (c is '\'' or '"')
            {
                var start = pos;
                var text = ReadString(src, ref pos, c);
                tokens.Add(new Token(LexemeKind.String, text, start));
                continue;
            }

            if (char.IsAsciiDigit(c))
            {
                var start = pos;
                var afterDot = tokens.Count > 0 && tokens[^1].Type == LexemeKind.Dot;
                tokens.Add(new Token(LexemeKind.Number, ReadNumber(src, ref pos, allowFraction: !afterDot), start));
                continue;
            }

            if (JsText.IsWordChar(c))
            {
                var start = pos;
                while (pos < src.Length && JsText.IsWordChar(src[pos]))
                {
                    pos++;
                }

                tokens.Add(new Token(LexemeKind.Identifier, src[start..pos], start));
                continue;
            }

            throw Error("Unexpected character.", pos);
        }

        return tokens;
    }

    /// <summary>
    /// The reference's source normalisation: drop one trailing newline; remove spaces and tabs before a block
    /// or comment tag at the start of a line; remove the newline right after a block or comment tag; drop
    /// <c>{% generation %}</c> markers.
    /// </summary>
    internal static string Preprocess(string source)
    {
        if (source.EndsWith('\n'))
        {
            source = source[..^1];
        }

        var builder = new StringBuilder(source.Length);
        var i = 0;
        while (i < source.Length)
        {
            var j = i;
            while (j < source.Length && source[j] is ' ' or '\t')
            {
                j++;
            }

            if (j + 1 < source.Length && source[j] == '{' && source[j + 1] is '#' or '%' or '-')
            {
                i = j;
            }

            var k = i;
            while (k < source.Length && !IsLineTerminator(source[k]))
            {
                k++;
            }

            k = Math.Min(k + 1, source.Length);
            builder.Append(source, i, k - i);
            i = k;
        }

        var stripped = builder.ToString();
        builder.Clear();
        for (var p = 0; p < stripped.Length; p++)
        {
            builder.Append(stripped[p]);
            if (stripped[p] == '}' && p > 0 && stripped[p - 1] is '#' or '%' or '-' && p + 1 < stripped.Length && stripped[p + 1] == '\n')
            {
                p++;
            }
        }

        return RemoveGenerationTags(builder.ToString());
    }

    private static bool IsLineTerminator(char c) => c is '\n' or '\r' or '\u2028' or '\u2029';

    /// <summary>Drops <c>{% generation %}</c>/<c>{% endgeneration %}</c> and, unless the tag has a dash on that side, keeps the whitespace around it.</summary>
    private static string RemoveGenerationTags(string src)
    {
        var tag = src.IndexOf("{%", StringComparison.Ordinal);
        if (tag < 0 || !src.Contains("generation", StringComparison.Ordinal))
        {
            return src;
        }

        var builder = new StringBuilder(src.Length);
        var copied = 0;
        for (; tag >= 0; tag = tag < src.Length ? src.IndexOf("{%", tag, StringComparison.Ordinal) : -1)
        {
            if (!MatchGenerationTag(src, tag, out var end, out var trimBefore, out var trimAfter))
            {
                tag += 2;
                continue;
            }

            var before = tag;
            while (before > copied && JsText.IsWhiteSpace(src[before - 1]))
            {
                before--;
            }

            var after = end;
            while (after < src.Length && JsText.IsWhiteSpace(src[after]))
            {
                after++;
            }

            builder.Append(src, copied, before - copied);
            if (!trimBefore)
            {
                builder.Append(src, before, tag - before);
            }

            if (!trimAfter)
            {
                builder.Append(src, end, after - end);
            }

            copied = after;
            tag = after;
        }

        builder.Append(src, copied, src.Length - copied);
        return builder.ToString();
    }

    private static bool MatchGenerationTag(string src, int pos, out int end, out bool trimBefore, out bool trimAfter)
    {
        end = pos + 2;
        trimBefore = end < src.Length && src[end] == '-';
        trimAfter = false;
        if (trimBefore)
        {
            end++;
        }

        while (end < src.Length && JsText.IsWhiteSpace(src[end]))
        {
            end++;
        }

        if (At(src, end, "end"))
        {
            end += 3;
        }

        if (!At(src, end, "generation"))
        {
            return false;
        }

        end += "generation".Length;
        while (end < src.Length && JsText.IsWhiteSpace(src[end]))
        {
            end++;
        }

        trimAfter = end < src.Length && src[end] == '-';
        if (trimAfter)
        {
            end++;
        }

        if (!At(src, end, "%}"))
        {
            return false;
        }

        end += 2;
        return true;
    }

    private static bool IsTagStart(string src, int pos) =>
        src[pos] == '{' && pos + 1 < src.Length && src[pos + 1] is '%' or '{' or '#';

    private static bool At(string src, int pos, string text) =>
        pos + text.Length <= src.Length && string.CompareOrdinal(src, pos, text, 0, text.Length) == 0;

    private static void StripTrailingWhitespace(List<Token> tokens)
    {
        if (tokens.Count > 0 && tokens[^1].Type == LexemeKind.Text)
        {
            var trimmed = JsText.TrimEnd(tokens[^1].Value);
            if (trimmed.Length == 0)
            {
                tokens.RemoveAt(tokens.Count - 1);
            }
            else
            {
                tokens[^1] = tokens[^1] with { Value = trimmed };
            }
        }
    }

    private static int ReadComment(string src, int pos, List<Token> tokens)
    {
        var start = pos;
        pos += 2;
        var stripBefore = pos < src.Length && src[pos] == '-';
        if (stripBefore)
        {
            pos++;
        }

        var end = src.IndexOf("#}", pos, StringComparison.Ordinal);
        if (end < 0)
        {
            throw Error("Missing end of comment tag.", start);
        }

        var comment = src[pos..end];
        var stripAfter = comment.EndsWith('-');
        if (stripBefore)
        {
            StripTrailingWhitespace(tokens);
        }

        tokens.Add(new Token(LexemeKind.Comment, stripAfter ? comment[..^1] : comment, start));
        pos = end + 2;
        if (stripAfter)
        {
            while (pos < src.Length && JsText.IsWhiteSpace(src[pos]))
            {
                pos++;
            }
        }

        return pos;
    }

    private static bool TrySignedNumber(string src, ref int pos, List<Token> tokens)
    {
        var last = tokens.Count > 0 ? tokens[^1].Type : LexemeKind.Text;
        if (last == LexemeKind.Text)
        {
            throw Error("Unexpected sign.", pos);
        }

        if (last is LexemeKind.Identifier or LexemeKind.Number or LexemeKind.String or LexemeKind.CloseParen or LexemeKind.CloseBracket)
        {
            return false;
        }

        var start = pos;
        var sign = src[pos++];
        var number = pos < src.Length && char.IsAsciiDigit(src[pos]) ? ReadNumber(src, ref pos, allowFraction: true) : string.Empty;
        tokens.Add(number.Length > 0
            ? new Token(LexemeKind.Number, sign + number, start)
            : new Token(LexemeKind.Unary, sign.ToString(), start));
        return true;
    }

    private static bool TrySymbol(string src, ref int pos, List<Token> tokens, ref int braceDepth)
    {
        foreach (var (text, type) in s_symbols)
        {
            if ((type == LexemeKind.CloseExpression && braceDepth > 0) || !At(src, pos, text))
            {
                continue;
            }

            tokens.Add(new Token(type, text, pos));
            braceDepth = type switch
            {
                LexemeKind.OpenExpression => 0,
                LexemeKind.OpenBrace => braceDepth + 1,
                LexemeKind.CloseBrace => braceDepth - 1,
                _ => braceDepth,
            };
            pos += text.Length;
            return true;
        }

        return false;
    }

    private static string ReadNumber(string src, ref int pos, bool allowFraction)
    {
        var start = pos;
        while (pos < src.Length && char.IsAsciiDigit(src[pos]))
        {
            pos++;
        }

        if (allowFraction && pos + 1 < src.Length && src[pos] == '.' && char.IsAsciiDigit(src[pos + 1]))
        {
            pos++;
            while (pos < src.Length && char.IsAsciiDigit(src[pos]))
            {
                pos++;
            }
        }

        return src[start..pos];
    }

    private static string ReadString(string src, ref int pos, char quote)
    {
        var start = pos;
        pos++;
        var builder = new StringBuilder();
        while (true)
        {
            if (pos >= src.Length)
            {
                throw Error("Unterminated string literal.", start);
            }

            var c = src[pos++];
            if (c == quote)
            {
                return builder.ToString();
            }

            if (c != '\\')
            {
                builder.Append(c);
                continue;
            }

            if (pos >= src.Length)
            {
                throw Error("Unterminated string literal.", start);
            }

            var escaped = src[pos++];
            switch (escaped)
            {
                case 'n': builder.Append('\n'); break;
                case 't': builder.Append('\t'); break;
                case 'r': builder.Append('\r'); break;
                case 'b': builder.Append('\b'); break;
                case 'f': builder.Append('\f'); break;
                case 'v': builder.Append('\v'); break;
                case '\'' or '"' or '\\': builder.Append(escaped); break;
                case 'x' or 'u':
                    var length = escaped == 'x' ? 2 : 4;
                    if (pos + length > src.Length
                        || !int.TryParse(src.AsSpan(pos, length), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code))
                    {
                        throw Error("Invalid hexadecimal escape sequence.", pos);
                    }

                    builder.Append((char)code);
                    pos += length;
                    break;
                default:
                    throw Error("Unexpected escaped character.", pos);
            }
        }
    }

    private static TemplateException Error(string message, int offset) =>
        new(TemplateErrorCodes.Syntax, string.Create(CultureInfo.InvariantCulture, $"{message} (offset {offset})"));
}
