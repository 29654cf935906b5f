using Edgewise.Numerics;

namespace Edgewise.Inference.Runtime;

/// <summary>
/// Keys and values of every layer for a fixed number of sequences, allocated up front: per sequence and layer one
/// [position × kvWidth] block for K and one for V, stored as F32 or F16.
/// </summary>
internal sealed class KvCache
{
    private readonly float[][]? _keysF32;
    private readonly float[][]? _valuesF32;
    private readonly ushort[][]? _keysF16;
    private readonly ushort[][]? _valuesF16;
    private readonly int[] _lengths;

    public KvCache(KvCacheType type, int sequences, int layers, int capacity, int width)
    {
        Type = type;
        Layers = layers;
        Capacity = capacity;
        Width = width;
        _lengths = new int[sequences];
        var blocks = sequences * layers;
        var size = (long)capacity * width;
        if (type == KvCacheType.F32)
        {
            _keysF32 = Allocate<float>(blocks, size);
            _valuesF32 = Allocate<float>(blocks, size);
        }
        else
        {
            _keysF16 = Allocate<ushort>(blocks, size);
            _valuesF16 = Allocate<ushort>(blocks, size);
        }
    }

    public KvCacheType Type { get; }

    public int Layers { get; }

    /// <summary>Positions per sequence.</summary>
    public int Capacity { get; }

    /// <summary>Values per position and layer (KV heads × head dim).</summary>
    public int Width { get; }

    public int Sequences => _lengths.Length;

    /// <summary>Bytes held by the K and V blocks of every sequence and layer.</summary>
    public long Bytes =>
        Type == KvCacheType.F32
            ? (Sum(_keysF32!) + Sum(_valuesF32!)) * sizeof(float)
            : (Sum(_keysF16!) + Sum(_valuesF16!)) * sizeof(ushort);

    public int Length(int sequence) => _lengths[sequence];

    public void SetLength(int sequence, int length) => _lengths[sequence] = length;

    public float[] KeysF32(int sequence, int layer) => _keysF32![(sequence * Layers) + layer];

    public float[] ValuesF32(int sequence, int layer) => _valuesF32![(sequence * Layers) + layer];

    public ushort[] KeysF16(int sequence, int layer) => _keysF16![(sequence * Layers) + layer];

    public ushort[] ValuesF16(int sequence, int layer) => _valuesF16![(sequence * Layers) + layer];

    /// <summary>
    /// Stores one row of K and V per token (row t from k[t·kStride + kOffset ..]) in sequence
    /// <paramref name="sequences"/>[t] at position <paramref name="positions"/>[t].
    /// </summary>
    public void Store(ReadOnlySpan<int> sequences, ReadOnlySpan<int> positions, int layer, float[] k, int kStride, int kOffset, float[] v, int vStride, int vOffset)
    {
        for (var t = 0; t < sequences.Length; t++)
        {
            var sequence = sequences[t];
            var ks = k.AsSpan((t * kStride) + kOffset, Width);
            var vs = v.AsSpan((t * vStride) + vOffset, Width);
            var at = (long)positions[t] * Width;
            if (Type == KvCacheType.F32)
            {
                ks.CopyTo(KeysF32(sequence, layer).AsSpan((int)at, Width));
                vs.CopyTo(ValuesF32(sequence, layer).AsSpan((int)at, Width));
            }
            else
            {
                var kd = KeysF16(sequence, layer).AsSpan((int)at, Width);
                var vd = ValuesF16(sequence, layer).AsSpan((int)at, Width);
                for (var i = 0; i < Width; i++)
                {
                    kd[i] = Fp16.FromSingle(ks[i]);
                    vd[i] = Fp16.FromSingle(vs[i]);
                }
            }
        }
    }

    /// <summary>Values one position holds over all layers, for K or for V.</summary>
    public int PositionValues => Layers * Width;

    /// <summary>
    /// Copies positions <paramref name="position"/> … + <paramref name="count"/> − 1 of every layer of
    /// <paramref name="sequence"/> into <paramref name="keys"/> and <paramref name="values"/> (layer-major,
    /// count × <see cref="Width"/> per layer), stored as this cache's element type.
    /// </summary>
    public void CopyOut(int sequence, int position, int count, Array keys, Array values) => Copy(sequence, position, count, keys, values, toCache: false);

    /// <summary>The reverse of <see cref="CopyOut"/>: writes the saved positions back into <paramref name="sequence"/>.</summary>
    public void CopyIn(int sequence, int position, int count, Array keys, Array values) => Copy(sequence, position, count, keys, values, toCache: true);

    /// <summary>A buffer for <see cref="CopyOut"/> of <paramref name="count"/> positions.</summary>
    public Array CreateBlock(int count) => Type == KvCacheType.F32 ? new float[count * PositionValues] : new ushort[count * PositionValues];

    private void Copy(int sequence, int position, int count, Array keys, Array values, bool toCache)
    {
        var span = count * Width;
        var at = position * Width;
        for (var layer = 0; layer < Layers; layer++)
        {
            var block = layer * span;
            if (Type == KvCacheType.F32)
            {
                CopyRows(KeysF32(sequence, layer).AsSpan(at, span), ((float[])keys).AsSpan(block, span), toCache);
                CopyRows(ValuesF32(sequence, layer).AsSpan(at, span), ((float[])values).AsSpan(block, span), toCache);
            }
            else
            {
                CopyRows(KeysF16(sequence, layer).AsSpan(at, span), ((ushort[])keys).AsSpan(block, span), toCache);
                CopyRows(ValuesF16(sequence, layer).AsSpan(at, span), ((ushort[])values).AsSpan(block, span), toCache);
            }
        }
    }

    private static void CopyRows<T>(Span<T> cache, Span<T> saved, bool toCache)
    {
        if (toCache)
        {
            saved.CopyTo(cache);
        }
        else
        {
            cache.CopyTo(saved);
        }
    }

    private static long Sum<T>(T[][] blocks)
    {
        long total = 0;
        foreach (var block in blocks)
        {
            total += block.Length;
        }

        return total;
    }

    private static T[][] Allocate<T>(int blocks, long size)
    {
        if (size > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(size), "The KV cache block is too large; use a shorter context.");
        }

        var result = new T[blocks][];
        for (var i = 0; i < blocks; i++)
        {
            result[i] = new T[size];
        }

        return result;
    }
}
