namespace Edgewise.Inference.Constraints;

/// <summary>
/// A byte trie over token byte strings, in flat arrays: children of a node are contiguous and sorted by byte; the
/// tokens whose bytes end at a node are listed per node. Node 0 is the root (tokens with no bytes sit there).
/// </summary>
internal sealed class TokenTrie
{
    private TokenTrie(int[] childStart, int[] childCount, byte[] label, int[] tokenStart, int[] tokenIds, int[] tokens)
    {
        ChildStart = childStart;
        ChildCount = childCount;
        Label = label;
        TokenStart = tokenStart;
        TokenIds = tokenIds;
        Tokens = tokens;
    }

    /// <summary>Index of each node's first child.</summary>
    public int[] ChildStart { get; }

    /// <summary>Number of children of each node.</summary>
    public int[] ChildCount { get; }

    /// <summary>The byte leading into each node.</summary>
    public byte[] Label { get; }

    /// <summary>Start of each node's tokens in <see cref="TokenIds"/> (one extra entry at the end).</summary>
    public int[] TokenStart { get; }

    /// <summary>Token ids grouped by node.</summary>
    public int[] TokenIds { get; }

    /// <summary>Every token in the trie.</summary>
    public int[] Tokens { get; }

    /// <summary>Number of nodes.</summary>
    public int NodeCount => Label.Length;

    /// <summary>Builds the trie of <paramref name="ids"/> with bytes from <paramref name="bytesOf"/>.</summary>
    public static TokenTrie Build(IReadOnlyList<int> ids, Func<int, byte[]> bytesOf)
    {
        // Sorting the byte strings makes every node's subtree contiguous, so nodes come out in depth-first order
        // and a node's children can be found by one pass.
        var order = new int[ids.Count];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        var keys = new byte[ids.Count][];
        for (var i = 0; i < keys.Length; i++)
        {
            keys[i] = bytesOf(ids[i]);
        }

        Array.Sort(order, (a, b) =>
        {
            var c = keys[a].AsSpan().SequenceCompareTo(keys[b]);
            return c != 0 ? c : ids[a].CompareTo(ids[b]);
        });

        // Build a first-child/next-sibling tree, then flatten breadth-wise so children are contiguous.
        var firstChild = new List<int> { -1 };
        var nextSibling = new List<int> { -1 };
        var lastChild = new List<int> { -1 };
        var labels = new List<byte> { 0 };
        var tokenNode = new int[ids.Count];
        var path = new List<int> { 0 };
        byte[] previous = [];
        foreach (var index in order)
        {
            var key = keys[index];
            var common = 0;
            while (common < key.Length && common < previous.Length && key[common] == previous[common] && common + 1 < path.Count)
            {
                common++;
            }

            path.RemoveRange(common + 1, path.Count - common - 1);
            for (var d = common; d < key.Length; d++)
            {
                var parent = path[d];
                var node = labels.Count;
                labels.Add(key[d]);
                firstChild.Add(-1);
                nextSibling.Add(-1);
                lastChild.Add(-1);
                if (lastChild[parent] < 0)
                {
                    firstChild[parent] = node;
                }
                else
                {
                    nextSibling[lastChild[parent]] = node;
                }

                lastChild[parent] = node;
                path.Add(node);
            }

            tokenNode[index] = path[key.Length];
            previous = key;
        }

        return Flatten(firstChild, nextSibling, labels, tokenNode, ids);
    }

    private static TokenTrie Flatten(List<int> firstChild, List<int> nextSibling, List<byte> labels, int[] tokenNode, IReadOnlyList<int> ids)
    {
        var count = labels.Count;
        var newIndex = new int[count];
        var childStart = new int[count];
        var childCount = new int[count];
        var label = new byte[count];
        var queue = new Queue<int>();
        queue.Enqueue(0);
        var assigned = 1;
        newIndex[0] = 0;
        while (queue.Count > 0)
        {
            var old = queue.Dequeue();
            var current = newIndex[old];
            childStart[current] = assigned;
            for (var c = firstChild[old]; c >= 0; c = nextSibling[c])
            {
                newIndex[c] = assigned++;
                label[newIndex[c]] = labels[c];
                childCount[current]++;
                queue.Enqueue(c);
            }
        }

        var tokenStart = new int[count + 1];
        foreach (var node in tokenNode)
        {
            tokenStart[newIndex[node] + 1]++;
        }

        for (var i = 0; i < count; i++)
        {
            tokenStart[i + 1] += tokenStart[i];
        }

        var fill = (int[])tokenStart.Clone();
        var tokenIds = new int[ids.Count];
        for (var i = 0; i < tokenNode.Length; i++)
        {
            tokenIds[fill[newIndex[tokenNode[i]]]++] = ids[i];
        }

        return new TokenTrie(childStart, childCount, label, tokenStart, tokenIds, [.. ids]);
    }
}
