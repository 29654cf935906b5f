using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Edgewise.Numerics.Kernels;

/// <summary>
/// Q4_0 rows re-laid once, at load, for the AVX-VNNI group kernels (<see cref="WeightLayout.Q40Groups"/>). A row
/// keeps its size (18 bytes per block) and its values; only the byte order changes. Blocks are taken eight at a time
/// (a group) as in <see cref="LegacyGemm"/>: vector j (j &lt; 4, 32 bytes) of a group holds the packed quant bytes
/// 4j..4j+3 of each of its eight blocks, int32 lane l for block l. Because byte k of a Q4_0 block holds element k in
/// its low nibble and element k + 16 in its high nibble, masking vector j gives the group's elements 4j..4j+3 and
/// shifting it gives elements 16 + 4j..16 + 4j + 3, which are exactly vectors j and j + 4 of a token prepared by
/// <see cref="LegacyGemm.Prepare"/>. A row is: the full groups' vectors (128 bytes each), then the last T &lt; 8
/// blocks' vectors in the same order with T lanes each (4·T bytes per vector), then every block's fp16 scale in
/// block order. So one token's product per group is four loads, twelve logic operations and eight <c>vpdpbusd</c>
/// for eight blocks, with one scale conversion, where the stored layout pays a nibble unpack, a dot, a convert and a
/// multiply-add per block, and the weights need no transposition before a prompt batch
/// (<see cref="Expand"/> only splits nibbles). Every product has the float chain of <see cref="LegacyGemm"/>: lane l
/// accumulates blocks l, l + 8, …, one horizontal sum at the end, so a token gets the same bits alone or in a batch.
/// </summary>
internal static unsafe class Q40Groups
{
    private const int Block = 32;
    private const int GroupBlocks = 8;
    private const int GroupQuantBytes = 128;
    private const int ActivationGroupBytes = 320;
    private const int StoredBlockBytes = 18;

    /// <summary>Whether this CPU runs the kernels for this layout (the prompt-batch kernels' AVX-VNNI with FMA).</summary>
    public static bool IsSupported => LegacyGemm.IsSupported;

    /// <summary>Re-lays <paramref name="rows"/> stored Q4_0 rows of <paramref name="blocks"/> blocks into this layout (same size; the ranges must not overlap).</summary>
    public static void Pack(byte* source, byte* destination, long rows, int blocks)
    {
        var rowBytes = (long)blocks * StoredBlockBytes;
        for (long r = 0; r < rows; r++)
        {
            PackRow(source + (r * rowBytes), destination + (r * rowBytes), blocks);
        }
    }

    /// <summary>Restores one stored Q4_0 row from its re-laid form (the inverse of <see cref="Pack"/>).</summary>
    public static void UnpackRow(byte* packed, byte* stored, int blocks)
    {
        var scales = (ushort*)(packed + ((long)blocks * 16));
        for (var b = 0; b < blocks; b++)
        {
            var block = stored + ((long)b * StoredBlockBytes);
            *(ushort*)block = scales[b];
            for (var j = 0; j < 4; j++)
            {
                *(uint*)(block + 2 + (4 * j)) = *(uint*)QuantWord(packed, blocks, b, j);
            }
        }
    }

    private static void PackRow(byte* stored, byte* packed, int blocks)
    {
        var scales = (ushort*)(packed + ((long)blocks * 16));
        for (var b = 0; b < blocks; b++)
        {
            var block = stored + ((long)b * StoredBlockBytes);
            scales[b] = *(ushort*)block;
            for (var j = 0; j < 4; j++)
            {
                *(uint*)QuantWord(packed, blocks, b, j) = *(uint*)(block + 2 + (4 * j));
            }
        }
    }

    /// <summary>Where quant bytes 4j..4j+3 of block <paramref name="b"/> lie in a re-laid row.</summary>
    private static byte* QuantWord(byte* packed, int blocks, int b, int j)
    {
        var group = b / GroupBlocks;
        var lane = b % GroupBlocks;
        var full = blocks / GroupBlocks;
        var lanes = group < full ? GroupBlocks : blocks % GroupBlocks;
        return packed + ((long)group * GroupQuantBytes) + (4 * ((j * lanes) + lane));
    }

    /// <summary>
    /// output[r] for r in [<paramref name="r0"/>, <paramref name="r1"/>): re-laid row r · the token at
    /// <paramref name="activation"/> prepared by <see cref="LegacyGemm.Prepare"/> for Q4_0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows(byte* weights, long rowBytes, int r0, int r1, int blocks, byte* activation, float* output)
    {
        KQuantDecode.PrefetchStart(weights + (r0 * rowBytes), (r1 - r0) * rowBytes);
        var tail = new Tail(blocks);
        var r = r0;
        for (; r + 2 <= r1; r += 2)
        {
            var w = weights + (r * rowBytes);
            Dot2(w, w + rowBytes, blocks, activation, tail, out output[r], out output[r + 1]);
        }

        if (r < r1)
        {
            output[r] = Dot(weights + (r * rowBytes), blocks, activation);
        }
    }

    /// <summary>One re-laid row · one prepared token.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Dot(byte* w, int blocks, byte* a)
    {
        var full = blocks / GroupBlocks;
        var scales = (ushort*)(w + ((long)blocks * 16));
        var acc = Vector256<float>.Zero;
        for (var g = 0; g < full; g++, w += GroupQuantBytes, a += ActivationGroupBytes, scales += GroupBlocks)
        {
            Sse.Prefetch0(w + KQuantDecode.PrefetchDistance);
            var i = GroupDot(Starts(a), w, a);
            acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(i), HalfScales(scales) * ActivationScales(a), acc);
        }

        if (blocks % GroupBlocks > 0)
        {
            var tail = new Tail(blocks);
            var i = tail.Dot(Starts(a), w, a);
            acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(i), tail.Scales(scales) * ActivationScales(a), acc);
        }

        return Simd.Sum(acc);
    }

    /// <summary>Two re-laid rows · one prepared token, sharing the token's loads; each row's chain is <see cref="Dot"/>'s.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dot2(byte* w0, byte* w1, int blocks, byte* a, in Tail tail, out float y0, out float y1)
    {
        var full = blocks / GroupBlocks;
        var s0 = (ushort*)(w0 + ((long)blocks * 16));
        var s1 = (ushort*)(w1 + ((long)blocks * 16));
        var acc0 = Vector256<float>.Zero;
        var acc1 = Vector256<float>.Zero;
        var mask = Vector256.Create((byte)0x0F);
        for (var g = 0; g < full; g++, w0 += GroupQuantBytes, w1 += GroupQuantBytes, a += ActivationGroupBytes, s0 += GroupBlocks, s1 += GroupBlocks)
        {
            Sse.Prefetch0(w0 + KQuantDecode.PrefetchDistance);
            Sse.Prefetch0(w1 + KQuantDecode.PrefetchDistance);
            var i0 = Starts(a);
            var i1 = i0;
            for (var j = 0; j < 4; j++)
            {
                var v0 = Avx.LoadVector256(w0 + (32 * j));
                var v1 = Avx.LoadVector256(w1 + (32 * j));
                var x = Avx.LoadVector256((sbyte*)(a + (32 * j)));
                i0 = AvxVnni.MultiplyWideningAndAdd(i0, v0 & mask, x);
                i1 = AvxVnni.MultiplyWideningAndAdd(i1, v1 & mask, x);
                x = Avx.LoadVector256((sbyte*)(a + (32 * j) + 128));
                i0 = AvxVnni.MultiplyWideningAndAdd(i0, High(v0, mask), x);
                i1 = AvxVnni.MultiplyWideningAndAdd(i1, High(v1, mask), x);
            }

            var e = ActivationScales(a);
            acc0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(i0), HalfScales(s0) * e, acc0);
            acc1 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(i1), HalfScales(s1) * e, acc1);
        }

        if (tail.Count > 0)
        {
            var e = ActivationScales(a);
            acc0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(tail.Dot(Starts(a), w0, a)), tail.Scales(s0) * e, acc0);
            acc1 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(tail.Dot(Starts(a), w1, a)), tail.Scales(s1) * e, acc1);
        }

        y0 = Simd.Sum(acc0);
        y1 = Simd.Sum(acc1);
    }

    /// <summary>
    /// One group's prompt-batch form, as <see cref="LegacyGemm"/>'s transposition makes it from stored rows: eight
    /// vectors of unsigned quants (vector m = elements 4m..4m+3 of each block), then the eight float scales; lanes
    /// past <paramref name="blocks"/> are zero.
    /// </summary>
    public static void Expand(byte* row, int blocks, byte* destination, int weightGroupBytes)
    {
        var full = blocks / GroupBlocks;
        var scales = (ushort*)(row + ((long)blocks * 16));
        var mask = Vector256.Create((byte)0x0F);
        var w = row;
        for (var g = 0; g < full; g++, w += GroupQuantBytes, scales += GroupBlocks, destination += weightGroupBytes)
        {
            for (var j = 0; j < 4; j++)
            {
                var v = Avx.LoadVector256(w + (32 * j));
                (v & mask).Store(destination + (32 * j));
                High(v, mask).Store(destination + (32 * j) + 128);
            }

            HalfScales(scales).Store((float*)(destination + 256));
        }

        if (blocks % GroupBlocks > 0)
        {
            var tail = new Tail(blocks);
            for (var j = 0; j < 4; j++)
            {
                var v = tail.Load(w, j);
                (v & mask).Store(destination + (32 * j));
                High(v, mask).Store(destination + (32 * j) + 128);
            }

            tail.Scales(scales).Store((float*)(destination + 256));
        }
    }

    /// <summary>The exact integer dot of a full group: the starting lanes plus Σ q·a over its eight blocks.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> GroupDot(Vector256<int> i, byte* w, byte* a)
    {
        var mask = Vector256.Create((byte)0x0F);
        for (var j = 0; j < 4; j++)
        {
            var v = Avx.LoadVector256(w + (32 * j));
            i = AvxVnni.MultiplyWideningAndAdd(i, v & mask, Avx.LoadVector256((sbyte*)(a + (32 * j))));
            i = AvxVnni.MultiplyWideningAndAdd(i, High(v, mask), Avx.LoadVector256((sbyte*)(a + (32 * j) + 128)));
        }

        return i;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> High(Vector256<byte> v, Vector256<byte> mask) => Avx2.ShiftRightLogical(v.AsUInt16(), 4).AsByte() & mask;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> HalfScales(ushort* scales) =>
        Simd.HalfToSingle(Avx2.ConvertToVector256Int32(Sse2.LoadVector128(scales)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Starts(byte* group) => Avx.LoadVector256((int*)(group + 256));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> ActivationScales(byte* group) => Avx.LoadVector256((float*)(group + 288));

    /// <summary>
    /// The last T = blocks mod 8 blocks of a row, whose vectors hold T lanes (4·T bytes): loaded with lane masks, so
    /// the other lanes are zero quants with zero scales and add exact zeros, as the zero-padded lanes of
    /// <see cref="LegacyGemm"/> do.
    /// </summary>
    internal readonly struct Tail
    {
        private readonly Vector256<int> _lanes;
        private readonly Vector128<byte> _scaleBytes;

        public Tail(int blocks)
        {
            Count = blocks % GroupBlocks;
            _lanes = Vector256.LessThan(Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7), Vector256.Create(Count));

            // The T scales are the row's last 2·T bytes; they are read as the 16 bytes ending there (a row of one
            // block is already 18 bytes) and moved down, the bytes past them set to zero (shuffle index 0x80).
            var index = Vector128.Create((byte)0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
            _scaleBytes = Vector128.ConditionalSelect(
                Vector128.LessThan(index, Vector128.Create((byte)(2 * Count))), index + Vector128.Create((byte)(16 - (2 * Count))), Vector128.Create((byte)0x80));
        }

        /// <summary>T, the blocks in the row's last, partial group.</summary>
        public int Count { get; }

        /// <summary>Vector <paramref name="j"/> of the partial group at <paramref name="w"/>, lanes past T zero.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<byte> Load(byte* w, int j) => Avx2.MaskLoad((int*)(w + (4 * Count * j)), _lanes).AsByte();

        /// <summary>The exact integer dot of the partial group at <paramref name="w"/> with the token's last group <paramref name="a"/>.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<int> Dot(Vector256<int> i, byte* w, byte* a)
        {
            var mask = Vector256.Create((byte)0x0F);
            for (var j = 0; j < 4; j++)
            {
                var v = Load(w, j);
                i = AvxVnni.MultiplyWideningAndAdd(i, v & mask, Avx.LoadVector256((sbyte*)(a + (32 * j))));
                i = AvxVnni.MultiplyWideningAndAdd(i, High(v, mask), Avx.LoadVector256((sbyte*)(a + (32 * j) + 128)));
            }

            return i;
        }

        /// <summary>The partial group's scales (starting at <paramref name="scales"/>) as floats, lanes past T zero.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<float> Scales(ushort* scales)
        {
            var bytes = Ssse3.Shuffle(Sse2.LoadVector128((byte*)(scales + Count) - 16), _scaleBytes);
            return Simd.HalfToSingle(Avx2.ConvertToVector256Int32(bytes.AsUInt16()));
        }
    }
}
