namespace Edgewise.Inference.Constraints;

/// <summary>
/// Computes the set of tokens that keep a parser state valid: walks the token trie together with the parse
/// stacks (a subtree is skipped as soon as its prefix is rejected), with a fast path for the common case of a
/// single stack inside an unpatterned string, which uses the per-token string tables instead of walking the
/// (large) part of the trie that stays inside the string. One masker per sampler; not thread-safe.
/// </summary>
internal sealed class TokenMasker
{
    private readonly TokenIndex _index;
    private readonly List<List<ParseStack>> _levels = [];
    private readonly ulong[] _scratch;

    public TokenMasker(TokenIndex index)
    {
        _index = index;
        _scratch = new ulong[(index.VocabSize + 63) / 64];
    }

    /// <summary>Sets in <paramref name="allowed"/> (cleared first) every token valid after <paramref name="states"/>.</summary>
    /// <returns>True when end-of-generation is allowed too (the output is complete).</returns>
    public bool Compute(List<ParseStack> states, ulong[] allowed)
    {
        Array.Clear(allowed);
        var canFinish = false;
        foreach (var s in states)
        {
            canFinish |= s.CanFinish;
        }

        if (states.Count == 1 && states[0].Top is StringFrame { Node: { Pattern: null } node } frame)
        {
            PlainString(states[0], node, frame, allowed);
        }
        else
        {
            Walk(_index.Trie, 0, states, 0, allowed);
        }

        if (canFinish)
        {
            foreach (var id in _index.EndOfGeneration)
            {
                Set(allowed, id);
            }
        }

        return canFinish;
    }

    private static void Set(ulong[] bits, int id) => bits[id >> 6] |= 1UL << (id & 63);

    private static bool Get(ulong[] bits, int id) => (bits[id >> 6] & (1UL << (id & 63))) != 0;

    private void Walk(TokenTrie trie, int node, List<ParseStack> states, int depth, ulong[] marks)
    {
        if (_levels.Count <= depth)
        {
            _levels.Add([]);
        }

        var next = _levels[depth];
        var start = trie.ChildStart[node];
        var end = start + trie.ChildCount[node];
        for (var child = start; child < end; child++)
        {
            ParseStack.Feed(states, trie.Label[child], next);
            if (next.Count == 0)
            {
                continue;
            }

            for (var t = trie.TokenStart[child]; t < trie.TokenStart[child + 1]; t++)
            {
                Set(marks, trie.TokenIds[t]);
            }

            if (trie.ChildCount[child] > 0)
            {
                Walk(trie, child, next, depth + 1, marks);
                next = _levels[depth];
            }
        }

        next.Clear();
    }

    private void PlainString(ParseStack stack, SchemaNode node, StringFrame frame, ulong[] allowed)
    {
        var table = _index.Strings(frame.Lexer);
        var budget = node.MaxLength == int.MaxValue ? int.MaxValue : node.MaxLength - frame.Count;
        if (budget == int.MaxValue)
        {
            table.StayBits.AsSpan().CopyTo(allowed);
        }
        else
        {
            var costs = table.StayCosts;
            var ids = table.StayIds;
            for (var i = 0; i < ids.Length && costs[i] <= budget; i++)
            {
                Set(allowed, ids[i]);
            }
        }

        // Tokens that close the string: their bytes after the quote must suit what follows the string.
        var closers = table.Closers;
        var trie = table.CloseTrie;
        var after = new List<ParseStack> { stack.Replace(StringFrame.Closed) };
        for (var t = trie.TokenStart[0]; t < trie.TokenStart[1]; t++)
        {
            Set(_scratch, trie.TokenIds[t]);
        }

        Walk(trie, 0, after, 0, _scratch);
        var counts = table.CloseCounts;
        for (var i = 0; i < closers.Length; i++)
        {
            var id = closers[i];
            if (!Get(_scratch, id))
            {
                continue;
            }

            _scratch[id >> 6] &= ~(1UL << (id & 63));
            var total = frame.Count + counts[i];
            if (total >= node.MinLength && total <= node.MaxLength)
            {
                Set(allowed, id);
            }
        }
    }
}
