namespace Edgewise.Tokenization;

/// <summary>A piece of input: either a special token already recognised, or a range of raw text.</summary>
internal readonly record struct Fragment(int Token, int Offset, int Length)
{
    public bool IsText => Token < 0;

    public static Fragment Text(int offset, int length) => new(-1, offset, length);
}

/// <summary>
/// Finds special tokens in raw text before tokenization (llama.cpp's <c>tokenizer_st_partition</c>): longest tokens
/// first, every occurrence, honouring LSTRIP/RSTRIP. Control and unknown tokens are matched only when asked;
/// user-defined tokens always.
/// </summary>
internal static class SpecialTokenPartitioner
{
    public static List<Fragment> Partition(Vocabulary vocabulary, string text, bool parseSpecial)
    {
        var fragments = new List<Fragment>();
        if (text.Length == 0)
        {
            return fragments;
        }

        fragments.Add(Fragment.Text(0, text.Length));
        var next = new List<Fragment>();
        foreach (var id in vocabulary.SpecialTokensLongestFirst)
        {
            var attributes = vocabulary.AttributesUnchecked(id);
            if (!parseSpecial && (attributes & (TokenAttributes.Control | TokenAttributes.Unknown)) != 0)
            {
                continue;
            }

            var token = vocabulary.TextUnchecked(id);
            var changed = false;
            next.Clear();
            foreach (var fragment in fragments)
            {
                if (!fragment.IsText || fragment.Length < token.Length)
                {
                    next.Add(fragment);
                    continue;
                }

                changed |= Split(text, fragment, token, id, attributes, next);
            }

            if (changed)
            {
                (fragments, next) = (next, fragments);
            }
        }

        return fragments;
    }

    private static bool Split(string text, Fragment fragment, string token, int id, TokenAttributes attributes, List<Fragment> output)
    {
        var offset = fragment.Offset;
        var length = fragment.Length;
        var found = false;
        while (length > 0)
        {
            var at = text.AsSpan(offset, length).IndexOf(token.AsSpan(), StringComparison.Ordinal);
            if (at < 0)
            {
                break;
            }

            found = true;
            var leftLength = at;
            if ((attributes & TokenAttributes.LStrip) != 0)
            {
                while (leftLength > 0 && IsCSpace(text[offset + leftLength - 1]))
                {
                    leftLength--;
                }
            }

            if (leftLength > 0)
            {
                output.Add(Fragment.Text(offset, leftLength));
            }

            output.Add(new Fragment(id, 0, 0));
            var consumed = at + token.Length;
            offset += consumed;
            length -= consumed;
            if ((attributes & TokenAttributes.RStrip) != 0)
            {
                while (length > 0 && IsCSpace(text[offset]))
                {
                    offset++;
                    length--;
                }
            }
        }

        if (length > 0)
        {
            output.Add(Fragment.Text(offset, length));
        }

        return found;
    }

    /// <summary>C's <c>isspace</c> in the "C" locale.</summary>
    private static bool IsCSpace(char c) => c is ' ' or '\t' or '\n' or '\v' or '\f' or '\r';
}
