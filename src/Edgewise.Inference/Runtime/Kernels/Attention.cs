using System.Runtime.Intrinsics;
using Edgewise.Numerics;

namespace Edgewise.Inference.Runtime.Kernels;

/// <summary>
/// Grouped-query causal attention: query head h of token t (sequence s, position p) attends to positions 0 … p of
/// KV head ⌊h · kvHeads / heads⌋ of sequence s with softmax(q·k · scale), so tokens of different sequences share a
/// call. Consecutive tokens of one sequence at consecutive positions form a query tile (a prompt batch makes tiles
/// of many tokens, a decode step tiles of one), and work is split over the shared <see cref="ComputePool"/> by
/// (tile, KV head): the tile's query heads of that group meet each cached K and V row together, so an F16 row is
/// widened once per tile and group (see <see cref="AttentionTile"/>). With fewer such items than threads, by (tile,
/// query head) instead. With an F16 cache the query and the attention weights are rounded to F16 first, as ggml does.
/// </summary>
internal sealed class Attention
{
    private const long SerialWorkLimit = 1 << 14;

    /// <summary>Scores one tile may hold (rows × keys), so long contexts shrink the tile instead of the scratch growing.</summary>
    private const long ScoreBudget = 1 << 20;

    private readonly ComputePool _pool;
    private readonly int _heads;
    private readonly int _kvHeads;
    private readonly int _group;
    private readonly int _headDim;
    private readonly float _scale;
    private readonly int _tileTokens;
    private readonly AttentionPath _path;
    private int[] _tiles = [];

    public Attention(ComputePool pool, int heads, int kvHeads, int headDim)
        : this(pool, heads, kvHeads, headDim, BestPath())
    {
    }

    /// <summary>Attention on a chosen vector path (tests run every path; a path wider than the hardware is emulated).</summary>
    internal Attention(ComputePool pool, int heads, int kvHeads, int headDim, AttentionPath path, int tileTokens = 0)
    {
        _pool = pool;
        _heads = heads;
        _kvHeads = kvHeads;
        _group = heads / kvHeads;
        _headDim = headDim;
        _scale = 1.0f / MathF.Sqrt(headDim);
        _path = path;
        _tileTokens = tileTokens > 0 ? tileTokens : Math.Clamp(256 / _group, 16, 64);
    }

    /// <summary>The widest vector path the hardware accelerates.</summary>
    internal static AttentionPath BestPath() =>
        Vector512.IsHardwareAccelerated ? AttentionPath.Vector512
        : Vector256.IsHardwareAccelerated ? AttentionPath.Vector256
        : AttentionPath.Vector128;

    /// <summary>
    /// Attends <paramref name="tokens"/> queries (token t's heads at q[t·qStride + qOffset ..], in sequence
    /// sequences[t] at position positions[t]), writing heads × headDim values per token to output[t·heads·headDim ..].
    /// Every token's own K and V must already be stored.
    /// </summary>
    public void Run(KvCache cache, int layer, int[] sequences, int[] positions, int tokens, float[] q, int qStride, int qOffset, float[] output)
    {
        long span = 0;
        for (var t = 0; t < tokens; t++)
        {
            span += positions[t] + 1;
        }

        var tiles = PlanTiles(sequences, positions, tokens);
        var grouped = tiles * _kvHeads >= _pool.ThreadCount || _group == 1;
        var parts = grouped ? 1 : _group;
        var items = tiles * _kvHeads * parts;
        var job = new Job(this, cache, layer, sequences, positions, q, qStride, qOffset, output, tiles, parts);
        if (span * _heads * _headDim <= SerialWorkLimit)
        {
            for (var i = 0; i < items; i++)
            {
                job.Execute(i);
            }
        }
        else
        {
            _pool.Run(ref job, items);
        }
    }

    /// <summary>
    /// Splits the tokens into tiles (runs of one sequence at consecutive positions, at most the tile size and the
    /// score budget); tile i covers tokens _tiles[i] … _tiles[i + 1] − 1. Returns the number of tiles.
    /// </summary>
    private int PlanTiles(int[] sequences, int[] positions, int tokens)
    {
        if (_tiles.Length < tokens + 1)
        {
            _tiles = new int[tokens + 1];
        }

        var count = 0;
        var t = 0;
        while (t < tokens)
        {
            _tiles[count++] = t;
            var end = t + 1;
            while (end < tokens
                && end - t < _tileTokens
                && sequences[end] == sequences[t]
                && positions[end] == positions[end - 1] + 1
                && (long)(end - t + 1) * _group * (positions[end] + 1) <= ScoreBudget)
            {
                end++;
            }

            t = end;
        }

        _tiles[count] = tokens;
        return count;
    }

    private void Tile(KvCache cache, int layer, int sequence, ReadOnlySpan<int> positions, ReadOnlySpan<float> q, int qStride, int heads, int kvHead, Span<float> output)
    {
        var stride = _heads * _headDim;
        switch (_path)
        {
            case AttentionPath.Vector512:
                AttentionTile.Run<AttentionLanes512, Vector512<float>>(cache, layer, sequence, positions, q, qStride, heads, kvHead, _headDim, _scale, output, stride);
                break;
            case AttentionPath.Vector256:
                AttentionTile.Run<AttentionLanes256, Vector256<float>>(cache, layer, sequence, positions, q, qStride, heads, kvHead, _headDim, _scale, output, stride);
                break;
            default:
                AttentionTile.Run<AttentionLanes128, Vector128<float>>(cache, layer, sequence, positions, q, qStride, heads, kvHead, _headDim, _scale, output, stride);
                break;
        }
    }

    /// <summary>
    /// One chunk = one (tile, KV head) with all the group's query heads, or with <c>parts</c> &gt; 1 one (tile, query
    /// head). Chunks go out last tile first: later tiles attend to more keys, so the long ones start early.
    /// </summary>
    private readonly struct Job(
        Attention owner, KvCache cache, int layer, int[] sequences, int[] positions, float[] q, int qStride, int qOffset, float[] output, int tiles, int parts)
        : IComputeJob
    {
        public void Execute(int chunk)
        {
            var hd = owner._headDim;
            var perTile = owner._kvHeads * parts;
            var tile = tiles - 1 - (chunk / perTile);
            var kvHead = chunk % perTile / parts;
            var heads = owner._group / parts;
            var firstHead = (kvHead * owner._group) + (chunk % parts * heads);
            var start = owner._tiles[tile];
            var count = owner._tiles[tile + 1] - start;
            owner.Tile(
                cache,
                layer,
                sequences[start],
                positions.AsSpan(start, count),
                q.AsSpan((start * qStride) + qOffset + (firstHead * hd)),
                qStride,
                heads,
                kvHead,
                output.AsSpan(((start * owner._heads) + firstHead) * hd));
        }
    }
}
