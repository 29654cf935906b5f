using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Edgewise.Numerics.Kernels;

/// <summary>
/// Q4_0, Q5_0 and Q8_0 rows re-laid once, at load, for the AVX-VNNI group kernels (<see cref="WeightLayout.BlockGroups"/>).
/// A row keeps its size (18, 22 or 34 bytes per block) and its values; only the order of bytes and bits changes (and
/// Q8_0 quants are stored offset by 128, as the unsigned operand of <c>vpdpbusd</c> wants them). Blocks are taken eight at a time (a
/// group) as in <see cref="LegacyGemm"/>, int32 lane l of every vector for block l of the group:
/// <list type="bullet">
/// <item>Q4_0: vector j (j &lt; 4, 32 bytes) holds the packed quant bytes 4j..4j+3 of each block. Byte k of a Q4_0
/// block holds element k in its low nibble and element k + 16 in its high nibble, so masking vector j gives elements
/// 4j..4j+3 and shifting it gives elements 16 + 4j..16 + 4j + 3: vectors j and j + 4 of a token prepared by
/// <see cref="LegacyGemm.Prepare"/>.</item>
/// <item>Q5_0: the four nibble vectors of Q4_0, then a fifth vector with each block's fifth bits re-ordered
/// (<see cref="SpreadHighBits"/>) so that one shift and one mask put the bits of token vector m at bit 4 of each
/// byte.</item>
/// <item>Q8_0: vector m (m &lt; 8) holds quants 4m..4m+3 of each block, plus 128: vector m of the prepared token.</item>
/// </list>
/// A row is: the full groups' vectors, then the last T &lt; 8 blocks' vectors in the same order with T lanes each
/// (4·T bytes per vector), then every block's fp16 scale in block order. One token's product per group is then eight
/// <c>vpdpbusd</c> (after four loads and twelve logic operations for Q4_0, eight loads for Q8_0), one convert, one
/// scale conversion and one fused multiply-add for eight blocks, where the stored layout pays an unpack, a dot, a
/// convert and a multiply-add per block; a prompt batch needs no transposition (<see cref="Expand"/> only splits
/// nibbles or copies). Every product has the float chain of <see cref="LegacyGemm"/> (lane l accumulates blocks l,
/// l + 8, …; one horizontal sum at the end), so a token gets the same bits alone as in a batch.
/// </summary>
internal static unsafe class BlockGroups
{
    private const int GroupBlocks = 8;
    private const int ActivationGroupBytes = 320;

    /// <summary>
    /// Whether this CPU runs the kernels for this layout: AVX-VNNI with FMA. Without <c>vpdpbusd</c> the single-token
    /// group kernel (eight <c>vpmaddubsw</c> summed in 16 bits, one <c>vpmaddwd</c>) measured slower than reading Q4_0,
    /// Q5_0 and Q8_0 in place, and prompt batches were no faster than <see cref="LegacyGemm"/>'s transposition.
    /// </summary>
    public static bool IsSupported => AvxVnni.IsSupported && Fma.IsSupported;

    /// <summary>Whether <paramref name="type"/> has this layout.</summary>
    public static bool Handles(TensorType type) => type is TensorType.Q4_0 or TensorType.Q5_0 or TensorType.Q8_0;

    /// <summary>Re-lays <paramref name="rows"/> stored rows of <paramref name="blocks"/> blocks into this layout (same size; the ranges must not overlap).</summary>
    public static void Pack(TensorType type, byte* source, byte* destination, long rows, int blocks)
    {
        var rowBytes = (long)blocks * BlockBytes(type);
        for (long r = 0; r < rows; r++)
        {
            Relay(type, source + (r * rowBytes), destination + (r * rowBytes), blocks, pack: true);
        }
    }

    /// <summary>Restores one stored row from its re-laid form (the inverse of <see cref="Pack"/>).</summary>
    public static void UnpackRow(TensorType type, byte* packed, byte* stored, int blocks) => Relay(type, stored, packed, blocks, pack: false);

    /// <summary>
    /// The Q5_0 fifth bits of one block, re-ordered so that vector m of the token (elements 4m..4m+3) finds the bit of
    /// element 4m + i at bit m of byte i: bit 8i + m of the result is bit 4m + i of <paramref name="qh"/>.
    /// </summary>
    internal static uint SpreadHighBits(uint qh)
    {
        var h = 0u;
        for (var m = 0; m < 8; m++)
        {
            for (var i = 0; i < 4; i++)
            {
                h |= ((qh >> ((4 * m) + i)) & 1) << ((8 * i) + m);
            }
        }

        return h;
    }

    /// <summary>The inverse of <see cref="SpreadHighBits"/>.</summary>
    internal static uint GatherHighBits(uint h)
    {
        var qh = 0u;
        for (var m = 0; m < 8; m++)
        {
            for (var i = 0; i < 4; i++)
            {
                qh |= ((h >> ((8 * i) + m)) & 1) << ((4 * m) + i);
            }
        }

        return qh;
    }

    /// <summary>Bytes per block of <paramref name="type"/>.</summary>
    private static int BlockBytes(TensorType type) => type switch
    {
        TensorType.Q4_0 => 18,
        TensorType.Q5_0 => 22,
        _ => 34,
    };

    /// <summary>
    /// Moves every 4-byte quant word and every scale between a stored row and its re-laid form, in the direction
    /// <paramref name="pack"/> says. Word j of a block goes to vector j of its group; a Q5_0 block's words are its four
    /// nibble words, then its fifth bits (<see cref="SpreadHighBits"/>).
    /// </summary>
    private static void Relay(TensorType type, byte* stored, byte* packed, int blocks, bool pack)
    {
        var blockBytes = BlockBytes(type);
        var words = (blockBytes - 2) / 4;
        var flip = type == TensorType.Q8_0 ? 0x80808080u : 0u;
        var nibbles = type == TensorType.Q5_0 ? 6 : 2;
        var scales = (ushort*)(packed + ((long)blocks * (blockBytes - 2)));
        var full = blocks / GroupBlocks;
        for (var b = 0; b < blocks; b++)
        {
            var block = stored + ((long)b * blockBytes);
            var group = b / GroupBlocks;
            var lanes = group < full ? GroupBlocks : blocks % GroupBlocks;
            var vectors = packed + ((long)group * GroupBlocks * (blockBytes - 2)) + (4 * (b % GroupBlocks));
            for (var j = 0; j < words; j++)
            {
                var high = type == TensorType.Q5_0 && j == 4;
                var storedWord = (uint*)(high ? block + 2 : block + nibbles + (4 * j));
                var packedWord = (uint*)(vectors + (4 * j * lanes));
                if (pack)
                {
                    *packedWord = high ? SpreadHighBits(*storedWord) : *storedWord ^ flip;
                }
                else
                {
                    *storedWord = high ? GatherHighBits(*packedWord) : *packedWord ^ flip;
                }
            }

            if (pack)
            {
                scales[b] = *(ushort*)block;
            }
            else
            {
                *(ushort*)block = scales[b];
            }
        }
    }

    /// <summary>
    /// output[r] for r in [<paramref name="r0"/>, <paramref name="r1"/>): re-laid row r of <paramref name="type"/> ·
    /// the token at <paramref name="activation"/> prepared by <see cref="LegacyGemm.Prepare"/> for the same type.
    /// </summary>
    public static void Rows(TensorType type, byte* weights, long rowBytes, int r0, int r1, int blocks, byte* activation, float* output)
    {
        switch (type)
        {
            case TensorType.Q4_0:
                Rows<Q40>(weights, rowBytes, r0, r1, blocks, activation, output);
                break;
            case TensorType.Q5_0:
                Rows<Q50>(weights, rowBytes, r0, r1, blocks, activation, output);
                break;
            default:
                Rows<Q80>(weights, rowBytes, r0, r1, blocks, activation, output);
                break;
        }
    }

    /// <summary>
    /// One row's groups in their prompt-batch form, as <see cref="LegacyGemm"/>'s transposition makes them from stored
    /// rows: eight vectors of unsigned quants (vector m = elements 4m..4m+3 of each block), then the eight float scales,
    /// <paramref name="weightGroupBytes"/> apart; lanes past <paramref name="blocks"/> are zero.
    /// </summary>
    public static void Expand(TensorType type, byte* row, int blocks, byte* destination, int weightGroupBytes)
    {
        switch (type)
        {
            case TensorType.Q4_0:
                Expand<Q40>(row, blocks, destination, weightGroupBytes);
                break;
            case TensorType.Q5_0:
                Expand<Q50>(row, blocks, destination, weightGroupBytes);
                break;
            default:
                Expand<Q80>(row, blocks, destination, weightGroupBytes);
                break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows<T>(byte* weights, long rowBytes, int r0, int r1, int blocks, byte* activation, float* output)
        where T : struct, IGroupFormat
    {
        KQuantDecode.PrefetchStart(weights + (r0 * rowBytes), (r1 - r0) * rowBytes);

        // The chunk is one contiguous stream, read two rows at a time (four streams: two rows' quants and scales), so
        // every line is asked for a fixed distance ahead of the pair being read, not per row.
        var ahead = weights + (r0 * rowBytes) + KQuantDecode.PrefetchDistance;
        var tail = new Tail(blocks);
        var r = r0;
        for (; r + 2 <= r1; r += 2)
        {
            var w = weights + (r * rowBytes);
            for (var until = w + (2 * rowBytes) + KQuantDecode.PrefetchDistance; ahead < until; ahead += 64)
            {
                Sse.Prefetch0(ahead);
            }

            Dot2<T>(w, w + rowBytes, blocks, activation, tail, out output[r], out output[r + 1]);
        }

        if (r < r1)
        {
            output[r] = Dot<T>(weights + (r * rowBytes), blocks, activation, tail);
        }
    }

    /// <summary>One re-laid row · one prepared token.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Dot<T>(byte* w, int blocks, byte* a, in Tail tail)
        where T : struct, IGroupFormat
    {
        var full = blocks / GroupBlocks;
        var scales = (ushort*)(w + ((long)blocks * T.QuantBytes / GroupBlocks));
        var acc = Vector256<float>.Zero;
        for (var g = 0; g < full; g++, w += T.QuantBytes, a += ActivationGroupBytes, scales += GroupBlocks)
        {
            var i = T.Dot(Starts(a), w, a);
            acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(i), HalfScales(scales) * ActivationScales(a), acc);
        }

        if (tail.Count > 0)
        {
            var i = T.TailDot(Starts(a), w, a, tail);
            acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(i), tail.Scales(scales) * ActivationScales(a), acc);
        }

        return Simd.Sum(acc);
    }

    /// <summary>Two re-laid rows · one prepared token, sharing the token's loads; each row's chain is <see cref="Dot{T}"/>'s.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Dot2<T>(byte* w0, byte* w1, int blocks, byte* a, in Tail tail, out float y0, out float y1)
        where T : struct, IGroupFormat
    {
        var full = blocks / GroupBlocks;
        var s0 = (ushort*)(w0 + ((long)blocks * T.QuantBytes / GroupBlocks));
        var s1 = (ushort*)(w1 + ((long)blocks * T.QuantBytes / GroupBlocks));
        var acc0 = Vector256<float>.Zero;
        var acc1 = Vector256<float>.Zero;
        for (var g = 0; g < full; g++, w0 += T.QuantBytes, w1 += T.QuantBytes, a += ActivationGroupBytes, s0 += GroupBlocks, s1 += GroupBlocks)
        {
            var i0 = Starts(a);
            var i1 = i0;
            T.Dot2(w0, w1, a, ref i0, ref i1);
            var e = ActivationScales(a);
            acc0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(i0), HalfScales(s0) * e, acc0);
            acc1 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(i1), HalfScales(s1) * e, acc1);
        }

        if (tail.Count > 0)
        {
            var e = ActivationScales(a);
            acc0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(T.TailDot(Starts(a), w0, a, tail)), tail.Scales(s0) * e, acc0);
            acc1 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(T.TailDot(Starts(a), w1, a, tail)), tail.Scales(s1) * e, acc1);
        }

        y0 = Simd.Sum(acc0);
        y1 = Simd.Sum(acc1);
    }

    private static void Expand<T>(byte* row, int blocks, byte* destination, int weightGroupBytes)
        where T : struct, IGroupFormat
    {
        var full = blocks / GroupBlocks;
        var scales = (ushort*)(row + ((long)blocks * T.QuantBytes / GroupBlocks));
        var w = row;
        for (var g = 0; g < full; g++, w += T.QuantBytes, scales += GroupBlocks, destination += weightGroupBytes)
        {
            T.Expand(w, GroupBlocks, destination);
            HalfScales(scales).Store((float*)(destination + 256));
        }

        if (blocks % GroupBlocks > 0)
        {
            var tail = new Tail(blocks);
            T.ExpandTail(w, tail, destination);
            tail.Scales(scales).Store((float*)(destination + 256));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> HalfScales(ushort* scales) =>
        Simd.HalfToSingle(Avx2.ConvertToVector256Int32(Sse2.LoadVector128(scales)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Starts(byte* group) => Avx.LoadVector256((int*)(group + 256));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> ActivationScales(byte* group) => Avx.LoadVector256((float*)(group + 288));

    /// <summary>What differs between the Q4_0, Q5_0 and Q8_0 groups: how quant vectors meet the token's eight vectors.</summary>
    private interface IGroupFormat
    {
        /// <summary>Bytes of quants in a full group.</summary>
        static abstract int QuantBytes { get; }

        /// <summary><paramref name="i"/> + Σ q·a over the full group at <paramref name="w"/> and the token's group <paramref name="a"/>.</summary>
        static abstract Vector256<int> Dot(Vector256<int> i, byte* w, byte* a);

        /// <summary>As <see cref="Dot"/> for two rows' groups sharing the token's loads.</summary>
        static abstract void Dot2(byte* w0, byte* w1, byte* a, ref Vector256<int> i0, ref Vector256<int> i1);

        /// <summary>As <see cref="Dot"/> for a row's partial last group (masked loads; the other lanes add zero).</summary>
        static abstract Vector256<int> TailDot(Vector256<int> i, byte* w, byte* a, in Tail tail);

        /// <summary>The eight unsigned quant vectors of the full group at <paramref name="w"/>, stored 32 bytes apart.</summary>
        static abstract void Expand(byte* w, int lanes, byte* destination);

        /// <summary>As <see cref="Expand"/> for a partial last group, the lanes past it zero.</summary>
        static abstract void ExpandTail(byte* w, in Tail tail, byte* destination);
    }

    private readonly struct Q40 : IGroupFormat
    {
        public static int QuantBytes => 128;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> Dot(Vector256<int> i, byte* w, byte* a)
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
        public static void Dot2(byte* w0, byte* w1, byte* a, ref Vector256<int> i0, ref Vector256<int> i1)
        {
            var mask = Vector256.Create((byte)0x0F);
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
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> TailDot(Vector256<int> i, byte* w, byte* a, in Tail tail)
        {
            var mask = Vector256.Create((byte)0x0F);
            for (var j = 0; j < 4; j++)
            {
                var v = tail.Load(w, j);
                i = AvxVnni.MultiplyWideningAndAdd(i, v & mask, Avx.LoadVector256((sbyte*)(a + (32 * j))));
                i = AvxVnni.MultiplyWideningAndAdd(i, High(v, mask), Avx.LoadVector256((sbyte*)(a + (32 * j) + 128)));
            }

            return i;
        }

        public static void Expand(byte* w, int lanes, byte* destination)
        {
            var mask = Vector256.Create((byte)0x0F);
            for (var j = 0; j < 4; j++)
            {
                var v = Avx.LoadVector256(w + (32 * j));
                (v & mask).Store(destination + (32 * j));
                High(v, mask).Store(destination + (32 * j) + 128);
            }
        }

        public static void ExpandTail(byte* w, in Tail tail, byte* destination)
        {
            var mask = Vector256.Create((byte)0x0F);
            for (var j = 0; j < 4; j++)
            {
                var v = tail.Load(w, j);
                (v & mask).Store(destination + (32 * j));
                High(v, mask).Store(destination + (32 * j) + 128);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<byte> High(Vector256<byte> v, Vector256<byte> mask) => Avx2.ShiftRightLogical(v.AsUInt16(), 4).AsByte() & mask;
    }

    private readonly struct Q50 : IGroupFormat
    {
        public static int QuantBytes => 160;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> Dot(Vector256<int> i, byte* w, byte* a)
        {
            var h = Avx.LoadVector256((uint*)(w + 128));
            Unpack(Avx.LoadVector256(w), h, 0, out var u0, out var u4);
            i = AvxVnni.MultiplyWideningAndAdd(i, u0, Avx.LoadVector256((sbyte*)a));
            i = AvxVnni.MultiplyWideningAndAdd(i, u4, Avx.LoadVector256((sbyte*)(a + 128)));
            Unpack(Avx.LoadVector256(w + 32), h, 1, out var u1, out var u5);
            i = AvxVnni.MultiplyWideningAndAdd(i, u1, Avx.LoadVector256((sbyte*)(a + 32)));
            i = AvxVnni.MultiplyWideningAndAdd(i, u5, Avx.LoadVector256((sbyte*)(a + 160)));
            Unpack(Avx.LoadVector256(w + 64), h, 2, out var u2, out var u6);
            i = AvxVnni.MultiplyWideningAndAdd(i, u2, Avx.LoadVector256((sbyte*)(a + 64)));
            i = AvxVnni.MultiplyWideningAndAdd(i, u6, Avx.LoadVector256((sbyte*)(a + 192)));
            Unpack(Avx.LoadVector256(w + 96), h, 3, out var u3, out var u7);
            i = AvxVnni.MultiplyWideningAndAdd(i, u3, Avx.LoadVector256((sbyte*)(a + 96)));
            return AvxVnni.MultiplyWideningAndAdd(i, u7, Avx.LoadVector256((sbyte*)(a + 224)));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Dot2(byte* w0, byte* w1, byte* a, ref Vector256<int> i0, ref Vector256<int> i1)
        {
            i0 = Dot(i0, w0, a);
            i1 = Dot(i1, w1, a);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> TailDot(Vector256<int> i, byte* w, byte* a, in Tail tail)
        {
            var h = tail.Load(w, 4).AsUInt32();
            for (var j = 0; j < 4; j++)
            {
                Unpack(tail.Load(w, j), h, j, out var low, out var high);
                i = AvxVnni.MultiplyWideningAndAdd(i, low, Avx.LoadVector256((sbyte*)(a + (32 * j))));
                i = AvxVnni.MultiplyWideningAndAdd(i, high, Avx.LoadVector256((sbyte*)(a + (32 * j) + 128)));
            }

            return i;
        }

        public static void Expand(byte* w, int lanes, byte* destination)
        {
            var h = Avx.LoadVector256((uint*)(w + 128));
            for (var j = 0; j < 4; j++)
            {
                Unpack(Avx.LoadVector256(w + (32 * j)), h, j, out var low, out var high);
                low.Store(destination + (32 * j));
                high.Store(destination + (32 * j) + 128);
            }
        }

        public static void ExpandTail(byte* w, in Tail tail, byte* destination)
        {
            var h = tail.Load(w, 4).AsUInt32();
            for (var j = 0; j < 4; j++)
            {
                Unpack(tail.Load(w, j), h, j, out var low, out var high);
                low.Store(destination + (32 * j));
                high.Store(destination + (32 * j) + 128);
            }
        }

        /// <summary>
        /// Vectors j and j + 4 of unsigned 5-bit quants from nibble vector <paramref name="v"/> and the spread fifth
        /// bits <paramref name="h"/>: the bit for vector m sits at bit m of each byte, so it reaches bit 4 by one shift.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Unpack(Vector256<byte> v, Vector256<uint> h, int j, out Vector256<byte> low, out Vector256<byte> high)
        {
            var mask = Vector256.Create((byte)0x0F);
            var bit = Vector256.Create(0x10101010u);
            var lowBits = j switch
            {
                0 => Avx2.ShiftLeftLogical(h, 4),
                1 => Avx2.ShiftLeftLogical(h, 3),
                2 => Avx2.ShiftLeftLogical(h, 2),
                _ => Avx2.ShiftLeftLogical(h, 1),
            };
            var highBits = j switch
            {
                0 => h,
                1 => Avx2.ShiftRightLogical(h, 1),
                2 => Avx2.ShiftRightLogical(h, 2),
                _ => Avx2.ShiftRightLogical(h, 3),
            };
            low = (v & mask) | (lowBits & bit).AsByte();
            high = (Avx2.ShiftRightLogical(v.AsUInt16(), 4).AsByte() & mask) | (highBits & bit).AsByte();
        }
    }

    private readonly struct Q80 : IGroupFormat
    {
        public static int QuantBytes => 256;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> Dot(Vector256<int> i, byte* w, byte* a)
        {
            for (var m = 0; m < 256; m += 32)
            {
                i = AvxVnni.MultiplyWideningAndAdd(i, Avx.LoadVector256(w + m), Avx.LoadVector256((sbyte*)(a + m)));
            }

            return i;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Dot2(byte* w0, byte* w1, byte* a, ref Vector256<int> i0, ref Vector256<int> i1)
        {
            // Two chains per row (integer sums are exact, so the split changes no bit) halve the vpdpbusd latency chain.
            var j0 = Vector256<int>.Zero;
            var j1 = Vector256<int>.Zero;
            for (var m = 0; m < 256; m += 64)
            {
                var x = Avx.LoadVector256((sbyte*)(a + m));
                i0 = AvxVnni.MultiplyWideningAndAdd(i0, Avx.LoadVector256(w0 + m), x);
                i1 = AvxVnni.MultiplyWideningAndAdd(i1, Avx.LoadVector256(w1 + m), x);
                x = Avx.LoadVector256((sbyte*)(a + m + 32));
                j0 = AvxVnni.MultiplyWideningAndAdd(j0, Avx.LoadVector256(w0 + m + 32), x);
                j1 = AvxVnni.MultiplyWideningAndAdd(j1, Avx.LoadVector256(w1 + m + 32), x);
            }

            i0 += j0;
            i1 += j1;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> TailDot(Vector256<int> i, byte* w, byte* a, in Tail tail)
        {
            for (var m = 0; m < 8; m++)
            {
                i = AvxVnni.MultiplyWideningAndAdd(i, tail.Load(w, m), Avx.LoadVector256((sbyte*)(a + (32 * m))));
            }

            return i;
        }

        public static void Expand(byte* w, int lanes, byte* destination) => Buffer.MemoryCopy(w, destination, 256, 256);

        public static void ExpandTail(byte* w, in Tail tail, byte* destination)
        {
            for (var m = 0; m < 8; m++)
            {
                tail.Load(w, m).Store(destination + (32 * m));
            }
        }
    }

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

        /// <summary>The partial group's scales (starting at <paramref name="scales"/>) as floats, lanes past T zero.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<float> Scales(ushort* scales)
        {
            var bytes = Ssse3.Shuffle(Sse2.LoadVector128((byte*)(scales + Count) - 16), _scaleBytes);
            return Simd.HalfToSingle(Avx2.ConvertToVector256Int32(bytes.AsUInt16()));
        }
    }
}
