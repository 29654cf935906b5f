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

    public int Length(int sequence) => _lengths[sequence];

    public void SetLength(int sequence, int length) => _lengths[sequence] = length;

    public float[] KeysF32(int sequence, int layer) => _keysF32![(sequence * Layers) + layer];

    public float[] ValuesF32(int sequence, int layer) => _valuesF32![(sequence * Layers) + layer];

    public ushort[] KeysF16(int sequence, int layer) => _keysF16![(sequence * Layers) + layer];

    public ushort[] ValuesF16(int sequence, int layer) => _valuesF16![(sequence * Layers) + layer];

    /// <summary>Stores <paramref name="tokens"/> rows of K and V (row t from k[t·kStride + kOffset ..]) at <paramref name="position"/>.</summary>
    public void Store(int sequence, int layer, int position, int tokens, float[] k, int kStride, int kOffset, float[] v, int vStride, int vOffset)
    {
        for (var t = 0; t < tokens; t++)
        {
            var ks = k.AsSpan((t * kStride) + kOffset, Width);
            var vs = v.AsSpan((t * vStride) + vOffset, Width);
            var at = (long)(position + t) * Width;
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
