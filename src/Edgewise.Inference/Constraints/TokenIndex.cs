using System.Runtime.CompilerServices;
using Edgewise.Tokenization;

namespace Edgewise.Inference.Constraints;

/// <summary>
/// Per-vocabulary data for token masking, built once and cached per <see cref="Vocabulary"/>: every token's output
/// bytes (<see cref="Tokenizer.TokenToPiece"/> without special rendering), a byte trie over them, and lazily, for
/// each <see cref="StringLexer"/> state, how each token continues a JSON string (stays inside, or closes it and
/// leaves a suffix, or is invalid). Thread-safe.
/// </summary>
internal sealed class TokenIndex
{
    private static readonly ConditionalWeakTable<Vocabulary, TokenIndex> s_cache = [];

    private readonly byte[][] _pieces;
    private readonly StringTable?[] _strings = new StringTable?[StringLexer.StateCount];

    private TokenIndex(Tokenizer tokenizer)
    {
        var vocabulary = tokenizer.Vocabulary;
        VocabSize = vocabulary.Count;
        _pieces = new byte[VocabSize][];
        var eog = new List<int>();
        var entries = new List<int>(VocabSize);
        for (var id = 0; id < VocabSize; id++)
        {
            _pieces[id] = tokenizer.TokenToPiece(id, renderSpecial: false).ToArray();
            if (vocabulary.IsEndOfGeneration(id))
            {
                eog.Add(id);
            }
            else if (_pieces[id].Length > 0)
            {
                entries.Add(id);
            }
        }

        EndOfGeneration = [.. eog];
        Trie = TokenTrie.Build(entries, id => _pieces[id]);
    }

    /// <summary>Vocabulary size.</summary>
    public int VocabSize { get; }

    /// <summary>End-of-generation ids.</summary>
    public int[] EndOfGeneration { get; }

    /// <summary>Trie over the pieces of all tokens that produce text (end-of-generation tokens excluded).</summary>
    public TokenTrie Trie { get; }

    /// <summary>The index of <paramref name="tokenizer"/>'s vocabulary (built on first use).</summary>
    public static TokenIndex For(Tokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        return s_cache.GetValue(tokenizer.Vocabulary, _ => new TokenIndex(tokenizer));
    }

    /// <summary>The output bytes of token <paramref name="id"/>.</summary>
    public byte[] Piece(int id) => _pieces[id];

    /// <summary>How tokens continue a string body from lexer state <paramref name="state"/>.</summary>
    public StringTable Strings(byte state)
    {
        var table = Volatile.Read(ref _strings[state]);
        if (table is null)
        {
            table = new StringTable(this, state);
            Volatile.Write(ref _strings[state], table);
        }

        return table;
    }

    /// <summary>All text-producing tokens run through the string lexer from one start state.</summary>
    internal sealed class StringTable
    {
        public StringTable(TokenIndex index, byte start)
        {
            var stays = new List<(int Cost, int Id)>();
            var closers = new List<int>();
            var closeCounts = new List<int>();
            var suffixes = new Dictionary<int, byte[]>();
            StayBits = new ulong[(index.VocabSize + 63) / 64];
            foreach (var id in index.Trie.Tokens)
            {
                var piece = index._pieces[id];
                var state = start;
                var count = 0;
                var closedAt = -1;
                for (var i = 0; i < piece.Length; i++)
                {
                    var next = StringLexer.Next(state, piece[i]);
                    if (next == StringLexer.Close)
                    {
                        closedAt = i;
                        break;
                    }

                    if (next == StringLexer.Invalid)
                    {
                        count = -1;
                        break;
                    }

                    if (StringLexer.Emits(state, piece[i]))
                    {
                        count++;
                    }

                    state = next;
                }

                if (count < 0)
                {
                    continue;
                }

                if (closedAt >= 0)
                {
                    closers.Add(id);
                    closeCounts.Add(count);
                    suffixes[id] = piece[(closedAt + 1)..];
                }
                else
                {
                    stays.Add((count + (StringLexer.IsPending(state) ? 1 : 0), id));
                    StayBits[id >> 6] |= 1UL << (id & 63);
                }
            }

            stays.Sort();
            StayCosts = [.. stays.Select(s => s.Cost)];
            StayIds = [.. stays.Select(s => s.Id)];
            Closers = [.. closers];
            CloseCounts = [.. closeCounts];
            CloseTrie = TokenTrie.Build(closers, id => suffixes[id]);
        }

        /// <summary>Bit set of tokens that stay inside the string.</summary>
        public ulong[] StayBits { get; }

        /// <summary>Tokens that stay inside the string, by ascending cost (code points they add, a pending one included).</summary>
        public int[] StayIds { get; }

        /// <summary>Costs of <see cref="StayIds"/>.</summary>
        public int[] StayCosts { get; }

        /// <summary>Tokens that close the string.</summary>
        public int[] Closers { get; }

        /// <summary>Code points each closer adds before its closing quote.</summary>
        public int[] CloseCounts { get; }

        /// <summary>Trie over the closers' bytes after the quote (closers with nothing after it sit at the root).</summary>
        public TokenTrie CloseTrie { get; }
    }
}
