using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Edgewise.Numerics.Kernels;

/// <summary>
/// Q4_0 and Q4_K matrices re-laid once, at load, eight rows at a time (<see cref="WeightLayout.RowGroups"/>), for the
/// products of single tokens and small batches (up to <see cref="MaxTokens"/>) on CPUs without AVX-VNNI. The Q4_0 form
/// is described here; the Q4_K form at <see cref="RelayQ4K"/> and <see cref="RowsQ4K"/>. int32 lane r of every vector
/// belongs to row r of the group, so one token's
/// product needs no horizontal sum per row, each activation word is broadcast once for eight rows, and eight rows'
/// fp16 scales arrive in one load. A full group of eight rows (8 × the stored row size, at its stored offset) is:
/// for each block b, four 32-byte vectors, vector j holding the packed quant bytes 4j..4j+3 of each row (masking it
/// gives elements 4j..4j+3, shifting it elements 16 + 4j..16 + 4j + 3); then, for each block, the eight rows' fp16
/// scales. Rows past the last full group stay as stored. Same size and same values as the stored matrix.
/// <para>
/// Per block and eight rows, the integer dot is eight <c>vpmaddubsw</c> (unsigned nibble × signed activation byte,
/// each pair at most 2·15·127) summed in 16 bits, which cannot overflow (8 · 3810 &lt; 2^15), then one
/// <c>vpmaddwd</c> and the block's start −8·Σ quants: the exact integer of <see cref="LegacyGemm"/>. The float chain is
/// <see cref="LegacyGemm"/>'s too (block b of a row goes to accumulator b mod 8, and the eight accumulators are summed
/// as <see cref="Simd.Sum(Vector256{float})"/> sums lanes), so a token gets the bits it gets in a prompt batch.
/// The scales are widened raw (the fp16 bits shifted into binary32, which is the scale times 2^-112 exactly, subnormals
/// included) against activation scales times 2^112, so each d_w·d_a is the same single rounding as
/// <see cref="LegacyGemm"/>'s; that holds for finite scales only, so <see cref="CanPack"/> refuses a matrix with an
/// infinite or NaN scale, which then stays in place.
/// </para>
/// </summary>
internal static unsafe class RowGroups
{
    /// <summary>Rows per group.</summary>
    public const int GroupRows = 8;

    private const int Block = 32;
    private const int StoredBlockBytes = 18;
    private const int GroupQuantBytes = 128;
    private const int ActivationGroupBytes = 320;
    private const float TwoPow112 = 5.192296858534828e33f;

    /// <summary>
    /// How far ahead of the group being read the kernel asks for lines, into L2 (<c>prefetcht1</c>). Eight rows' worth
    /// of work per line is few instructions, so the out-of-order window alone keeps too few lines in flight: on Zen 4
    /// (2026-12-08, a 151 MB Q4_0 matrix, one thread) the kernel read 8 GB/s with no software prefetch, 10-11 GB/s with
    /// <c>prefetcht0</c> 3 KiB ahead, and 17-22 GB/s with <c>prefetcht1</c> 16-64 KiB ahead (a plain read of the same
    /// bytes: 31 GB/s). Every line is asked for, walking the group's bytes in order (quants, then scales).
    /// </summary>
    private const int PrefetchDistance = 16384;

    /// <summary>Whether this CPU runs the kernels (AVX2 with FMA).</summary>
    public static bool IsSupported => Avx2.IsSupported && Fma.IsSupported;

    /// <summary>Whether <paramref name="type"/> has this layout.</summary>
    public static bool Handles(TensorType type) => type is TensorType.Q4_0 or TensorType.Q4_K;

    /// <summary>
    /// Whether the stored Q4_0 matrix can be re-laid: every block scale of the rows that go into groups of eight is
    /// finite (no fp16 infinity or NaN); the rows past the last group stay as stored and may hold any scale.
    /// </summary>
    public static bool CanPack(byte* source, long rows, int blocks)
    {
        var count = rows / GroupRows * GroupRows * blocks;
        for (long i = 0; i < count; i++)
        {
            if ((*(ushort*)(source + (i * StoredBlockBytes)) & 0x7C00) == 0x7C00)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Re-lays <paramref name="rows"/> stored rows of <paramref name="blocks"/> blocks (super-blocks for Q4_K) of
    /// <paramref name="type"/> (same size; the ranges must not overlap). False, with the destination partly written,
    /// when a Q4_0 row that goes into a group has a scale that is not finite (see <see cref="CanPack"/>): the check is
    /// made on the way, so packing reads the matrix once.
    /// </summary>
    public static bool Pack(TensorType type, byte* source, byte* destination, long rows, int blocks)
    {
        if (type == TensorType.Q4_K)
        {
            RelayQ4K(source, destination, rows, blocks, pack: true);
            return true;
        }

        var rowBytes = (long)blocks * StoredBlockBytes;
        var finite = true;
        var full = rows / GroupRows * GroupRows;
        for (long g = 0; g < full; g += GroupRows)
        {
            var group = destination + (g * rowBytes);
            var scales = (ushort*)(group + ((long)blocks * GroupQuantBytes));
            for (var r = 0; r < GroupRows; r++)
            {
                var row = source + ((g + r) * rowBytes);
                for (var b = 0; b < blocks; b++)
                {
                    var block = row + (b * StoredBlockBytes);
                    var scale = *(ushort*)block;
                    finite &= (scale & 0x7C00) != 0x7C00;
                    scales[(b * GroupRows) + r] = scale;
                    var quants = group + ((long)b * GroupQuantBytes) + (4 * r);
                    for (var j = 0; j < 4; j++)
                    {
                        *(uint*)(quants + (32 * j)) = *(uint*)(block + 2 + (4 * j));
                    }
                }
            }
        }

        Buffer.MemoryCopy(source + (full * rowBytes), destination + (full * rowBytes), (rows - full) * rowBytes, (rows - full) * rowBytes);
        return finite;
    }

    /// <summary>
    /// Restores rows [<paramref name="r0"/>, <paramref name="r1"/>) of a re-laid matrix of <paramref name="type"/> with
    /// <paramref name="rows"/> rows of <paramref name="blocks"/> blocks (super-blocks for Q4_K) to their stored bytes,
    /// one after another at <paramref name="stored"/>.
    /// </summary>
    public static void UnpackRows(TensorType type, byte* matrix, long rows, int blocks, long r0, long r1, byte* stored)
    {
        var rowBytes = (long)blocks * (type == TensorType.Q4_K ? KBlockBytes : StoredBlockBytes);
        for (var r = r0; r < r1; r++)
        {
            if (type == TensorType.Q4_K)
            {
                UnpackRowQ4K(matrix, rows, blocks, r, stored + ((r - r0) * rowBytes));
            }
            else
            {
                UnpackRow(matrix, rows, blocks, r, stored + ((r - r0) * rowBytes));
            }
        }
    }

    /// <summary>Restores stored Q4_0 row <paramref name="row"/> of a re-laid matrix of <paramref name="rows"/> rows into <paramref name="stored"/>.</summary>
    private static void UnpackRow(byte* matrix, long rows, int blocks, long row, byte* stored)
    {
        var rowBytes = (long)blocks * StoredBlockBytes;
        if (row >= rows / GroupRows * GroupRows)
        {
            Buffer.MemoryCopy(matrix + (row * rowBytes), stored, rowBytes, rowBytes);
            return;
        }

        var g = row / GroupRows * GroupRows;
        var r = (int)(row - g);
        var group = matrix + (g * rowBytes);
        var scales = (ushort*)(group + ((long)blocks * GroupQuantBytes));
        for (var b = 0; b < blocks; b++)
        {
            var block = stored + (b * StoredBlockBytes);
            *(ushort*)block = scales[(b * GroupRows) + r];
            var quants = group + ((long)b * GroupQuantBytes) + (4 * r);
            for (var j = 0; j < 4; j++)
            {
                *(uint*)(block + 2 + (4 * j)) = *(uint*)(quants + (32 * j));
            }
        }
    }

    /// <summary>
    /// Most tokens per call that meet the re-laid rows one token at a time (each group of eight rows is read from memory
    /// once and from cache for the other tokens). Larger batches restore the rows to their stored bytes for
    /// <see cref="LegacyGemm"/>, whose register tiles share each weight load between four tokens.
    /// </summary>
    public const int MaxTokens = 8;

    /// <summary>
    /// output[t·<paramref name="outStride"/> + r] for r in [<paramref name="r0"/>, <paramref name="r1"/>) of a re-laid
    /// matrix of <paramref name="rows"/> rows and each of <paramref name="tokens"/> tokens prepared by
    /// <see cref="LegacyGemm.Prepare"/> for Q4_0 (<paramref name="actStride"/> bytes apart); <paramref name="r0"/> is a
    /// multiple of <see cref="GroupRows"/>, and so is <paramref name="r1"/> unless it is <paramref name="rows"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows(
        byte* weights, int rows, int r0, int r1, int blocks, byte* activations, int actStride, int tokens, float* output, long outStride, byte* scratch)
    {
        var rowBytes = (long)blocks * StoredBlockBytes;
        var full = Math.Min(r1, rows / GroupRows * GroupRows);
        var scaled = (float*)scratch;
        var perToken = ScaledBytes(blocks) / sizeof(float);
        for (var t = 0; t < tokens; t++)
        {
            ScaleActivations(activations + ((long)t * actStride), blocks, scaled + (t * perToken));
        }

        var start = weights + (r0 * rowBytes);
        for (var i = 0; i < Math.Min(PrefetchDistance, (r1 - r0) * rowBytes); i += 64)
        {
            Sse.Prefetch1(start + i);
        }

        var r = r0;
        for (; r < full; r += GroupRows)
        {
            var group = weights + (r * rowBytes);
            var t = 0;
            if (Pairs)
            {
                for (; t + 2 <= tokens; t += 2)
                {
                    var a = activations + ((long)t * actStride);
                    var (y0, y1) = GroupPair(group, blocks, a, a + actStride, scaled + (t * perToken), scaled + ((t + 1) * perToken));
                    y0.Store(output + (t * outStride) + r);
                    y1.Store(output + ((t + 1) * outStride) + r);
                }
            }

            for (; t < tokens; t++)
            {
                Group(group, blocks, activations + ((long)t * actStride), scaled + (t * perToken)).Store(output + (t * outStride) + r);
            }
        }

        if (r < r1)
        {
            LegacyGemm.Rows(TensorType.Q4_0, weights, rowBytes, r, r1, blocks, activations, actStride, tokens, output, outStride, scratch + (tokens * ScaledBytes(blocks)));
        }
    }

    /// <summary>Bytes of scratch <see cref="Rows"/> needs for <paramref name="tokens"/> tokens and rows of <paramref name="blocks"/> blocks.</summary>
    public static int ScratchBytes(int blocks, int tokens) => (tokens * ScaledBytes(blocks)) + LegacyGemm.ScratchBytes(blocks, GroupRows - 1);

    private static int ScaledBytes(int blocks) => ((blocks + 7) & ~7) * sizeof(float);

    /// <summary>Each block's activation scale times 2^112, in block order (the prepared row keeps eight per 320-byte group).</summary>
    private static void ScaleActivations(byte* activation, int blocks, float* scaled)
    {
        for (var b = 0; b < blocks; b += 8)
        {
            (Avx.LoadVector256((float*)(activation + ((b / 8 * ActivationGroupBytes) + 288))) * Vector256.Create(TwoPow112)).Store(scaled + b);
        }
    }

    /// <summary>The eight rows of the group at <paramref name="group"/> · the prepared token, in lane order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Group(byte* group, int blocks, byte* activation, float* scaled)
    {
        var scales = (short*)(group + ((long)blocks * GroupQuantBytes));
        var acc0 = Vector256<float>.Zero;
        var acc1 = Vector256<float>.Zero;
        var acc2 = Vector256<float>.Zero;
        var acc3 = Vector256<float>.Zero;
        var acc4 = Vector256<float>.Zero;
        var acc5 = Vector256<float>.Zero;
        var acc6 = Vector256<float>.Zero;
        var acc7 = Vector256<float>.Zero;
        var q = group;
        var a = activation;
        var b = 0;
        var ahead = group + PrefetchDistance;
        for (; b + 8 <= blocks; b += 8, q += 8 * GroupQuantBytes, a += ActivationGroupBytes)
        {
            for (var i = 0; i < 8 * 8 * StoredBlockBytes; i += 64)
            {
                Sse.Prefetch1(ahead + i);
            }

            ahead += 8 * 8 * StoredBlockBytes;
            acc0 = Step(q, a, 0, scales + (b * 8), scaled[b], acc0);
            acc1 = Step(q + GroupQuantBytes, a, 1, scales + ((b + 1) * 8), scaled[b + 1], acc1);
            acc2 = Step(q + (2 * GroupQuantBytes), a, 2, scales + ((b + 2) * 8), scaled[b + 2], acc2);
            acc3 = Step(q + (3 * GroupQuantBytes), a, 3, scales + ((b + 3) * 8), scaled[b + 3], acc3);
            acc4 = Step(q + (4 * GroupQuantBytes), a, 4, scales + ((b + 4) * 8), scaled[b + 4], acc4);
            acc5 = Step(q + (5 * GroupQuantBytes), a, 5, scales + ((b + 5) * 8), scaled[b + 5], acc5);
            acc6 = Step(q + (6 * GroupQuantBytes), a, 6, scales + ((b + 6) * 8), scaled[b + 6], acc6);
            acc7 = Step(q + (7 * GroupQuantBytes), a, 7, scales + ((b + 7) * 8), scaled[b + 7], acc7);
        }

        // The last partial group: block l of it goes to accumulator l, as in LegacyGemm's padded lanes (whose zero
        // products add exact zeros).
        var tail = blocks - b;
        if (tail > 0)
        {
            acc0 = Step(q, a, 0, scales + (b * 8), scaled[b], acc0);
        }

        if (tail > 1)
        {
            acc1 = Step(q + GroupQuantBytes, a, 1, scales + ((b + 1) * 8), scaled[b + 1], acc1);
        }

        if (tail > 2)
        {
            acc2 = Step(q + (2 * GroupQuantBytes), a, 2, scales + ((b + 2) * 8), scaled[b + 2], acc2);
        }

        if (tail > 3)
        {
            acc3 = Step(q + (3 * GroupQuantBytes), a, 3, scales + ((b + 3) * 8), scaled[b + 3], acc3);
        }

        if (tail > 4)
        {
            acc4 = Step(q + (4 * GroupQuantBytes), a, 4, scales + ((b + 4) * 8), scaled[b + 4], acc4);
        }

        if (tail > 5)
        {
            acc5 = Step(q + (5 * GroupQuantBytes), a, 5, scales + ((b + 5) * 8), scaled[b + 5], acc5);
        }

        if (tail > 6)
        {
            acc6 = Step(q + (6 * GroupQuantBytes), a, 6, scales + ((b + 6) * 8), scaled[b + 6], acc6);
        }

        // Simd.Sum(v) is Vector128.Sum(lower + upper): ((l0 + l4) + (l1 + l5)) + ((l2 + l6) + (l3 + l7)).
        return ((acc0 + acc4) + (acc1 + acc5)) + ((acc2 + acc6) + (acc3 + acc7));
    }

    /// <summary>
    /// Whether two tokens share each group's unpacked quants (<see cref="GroupPair"/>): its sixteen accumulators need
    /// the 32 vector registers of AVX-512 (EVEX); with sixteen they would spill.
    /// </summary>
    private static bool Pairs => Vector512.IsHardwareAccelerated;

    /// <summary>As <see cref="Group"/> for two tokens at once, each block's nibbles unpacked once for both (the same bits as two calls).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float>, Vector256<float>) GroupPair(byte* group, int blocks, byte* a0, byte* a1, float* scaled0, float* scaled1)
    {
        var scales = (short*)(group + ((long)blocks * GroupQuantBytes));
        var p0 = Vector256<float>.Zero;
        var p1 = Vector256<float>.Zero;
        var p2 = Vector256<float>.Zero;
        var p3 = Vector256<float>.Zero;
        var p4 = Vector256<float>.Zero;
        var p5 = Vector256<float>.Zero;
        var p6 = Vector256<float>.Zero;
        var p7 = Vector256<float>.Zero;
        var q0 = Vector256<float>.Zero;
        var q1 = Vector256<float>.Zero;
        var q2 = Vector256<float>.Zero;
        var q3 = Vector256<float>.Zero;
        var q4 = Vector256<float>.Zero;
        var q5 = Vector256<float>.Zero;
        var q6 = Vector256<float>.Zero;
        var q7 = Vector256<float>.Zero;
        var q = group;
        var b = 0;
        var ahead = group + PrefetchDistance;
        for (; b + 8 <= blocks; b += 8, q += 8 * GroupQuantBytes, a0 += ActivationGroupBytes, a1 += ActivationGroupBytes)
        {
            for (var i = 0; i < 8 * 8 * StoredBlockBytes; i += 64)
            {
                Sse.Prefetch1(ahead + i);
            }

            ahead += 8 * 8 * StoredBlockBytes;
            (p0, q0) = Step2(q, a0, a1, 0, scales + (b * 8), scaled0[b], scaled1[b], p0, q0);
            (p1, q1) = Step2(q + GroupQuantBytes, a0, a1, 1, scales + ((b + 1) * 8), scaled0[b + 1], scaled1[b + 1], p1, q1);
            (p2, q2) = Step2(q + (2 * GroupQuantBytes), a0, a1, 2, scales + ((b + 2) * 8), scaled0[b + 2], scaled1[b + 2], p2, q2);
            (p3, q3) = Step2(q + (3 * GroupQuantBytes), a0, a1, 3, scales + ((b + 3) * 8), scaled0[b + 3], scaled1[b + 3], p3, q3);
            (p4, q4) = Step2(q + (4 * GroupQuantBytes), a0, a1, 4, scales + ((b + 4) * 8), scaled0[b + 4], scaled1[b + 4], p4, q4);
            (p5, q5) = Step2(q + (5 * GroupQuantBytes), a0, a1, 5, scales + ((b + 5) * 8), scaled0[b + 5], scaled1[b + 5], p5, q5);
            (p6, q6) = Step2(q + (6 * GroupQuantBytes), a0, a1, 6, scales + ((b + 6) * 8), scaled0[b + 6], scaled1[b + 6], p6, q6);
            (p7, q7) = Step2(q + (7 * GroupQuantBytes), a0, a1, 7, scales + ((b + 7) * 8), scaled0[b + 7], scaled1[b + 7], p7, q7);
        }

        var tail = blocks - b;
        if (tail > 0)
        {
            (p0, q0) = Step2(q, a0, a1, 0, scales + (b * 8), scaled0[b], scaled1[b], p0, q0);
        }

        if (tail > 1)
        {
            (p1, q1) = Step2(q + GroupQuantBytes, a0, a1, 1, scales + ((b + 1) * 8), scaled0[b + 1], scaled1[b + 1], p1, q1);
        }

        if (tail > 2)
        {
            (p2, q2) = Step2(q + (2 * GroupQuantBytes), a0, a1, 2, scales + ((b + 2) * 8), scaled0[b + 2], scaled1[b + 2], p2, q2);
        }

        if (tail > 3)
        {
            (p3, q3) = Step2(q + (3 * GroupQuantBytes), a0, a1, 3, scales + ((b + 3) * 8), scaled0[b + 3], scaled1[b + 3], p3, q3);
        }

        if (tail > 4)
        {
            (p4, q4) = Step2(q + (4 * GroupQuantBytes), a0, a1, 4, scales + ((b + 4) * 8), scaled0[b + 4], scaled1[b + 4], p4, q4);
        }

        if (tail > 5)
        {
            (p5, q5) = Step2(q + (5 * GroupQuantBytes), a0, a1, 5, scales + ((b + 5) * 8), scaled0[b + 5], scaled1[b + 5], p5, q5);
        }

        if (tail > 6)
        {
            (p6, q6) = Step2(q + (6 * GroupQuantBytes), a0, a1, 6, scales + ((b + 6) * 8), scaled0[b + 6], scaled1[b + 6], p6, q6);
        }

        return (((p0 + p4) + (p1 + p5)) + ((p2 + p6) + (p3 + p7)), ((q0 + q4) + (q1 + q5)) + ((q2 + q6) + (q3 + q7)));
    }

    /// <summary><see cref="Step"/> for two tokens, the nibbles unpacked once.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float>, Vector256<float>) Step2(
        byte* q, byte* a0, byte* a1, int lane, short* scales, float scaled0, float scaled1, Vector256<float> acc0, Vector256<float> acc1)
    {
        var mask = Vector256.Create((byte)0x0F);
        var w0 = a0 + (4 * lane);
        var w1 = a1 + (4 * lane);
        var v = Avx.LoadVector256(q);
        var lo = v & mask;
        var hi = Avx2.ShiftRightLogical(v.AsUInt16(), 4).AsByte() & mask;
        var s0 = Avx2.MultiplyAddAdjacent(lo, Vector256.Create(*(int*)w0).AsSByte()) + Avx2.MultiplyAddAdjacent(hi, Vector256.Create(*(int*)(w0 + 128)).AsSByte());
        var s1 = Avx2.MultiplyAddAdjacent(lo, Vector256.Create(*(int*)w1).AsSByte()) + Avx2.MultiplyAddAdjacent(hi, Vector256.Create(*(int*)(w1 + 128)).AsSByte());
        for (var j = 32; j < 128; j += 32)
        {
            v = Avx.LoadVector256(q + j);
            lo = v & mask;
            hi = Avx2.ShiftRightLogical(v.AsUInt16(), 4).AsByte() & mask;
            s0 += Avx2.MultiplyAddAdjacent(lo, Vector256.Create(*(int*)(w0 + j)).AsSByte()) + Avx2.MultiplyAddAdjacent(hi, Vector256.Create(*(int*)(w0 + j + 128)).AsSByte());
            s1 += Avx2.MultiplyAddAdjacent(lo, Vector256.Create(*(int*)(w1 + j)).AsSByte()) + Avx2.MultiplyAddAdjacent(hi, Vector256.Create(*(int*)(w1 + j + 128)).AsSByte());
        }

        var ones = Vector256.Create((short)1);
        var dot0 = Avx2.MultiplyAddAdjacent(s0, ones) + Vector256.Create(*(int*)(w0 + 256));
        var dot1 = Avx2.MultiplyAddAdjacent(s1, ones) + Vector256.Create(*(int*)(w1 + 256));
        var dw = ((Avx2.ConvertToVector256Int32(scales) << 13) & Vector256.Create(unchecked((int)0x8FFFFFFF))).AsSingle();
        return (Fma.MultiplyAdd(Avx.ConvertToVector256Single(dot0), dw * Vector256.Create(scaled0), acc0),
            Fma.MultiplyAdd(Avx.ConvertToVector256Single(dot1), dw * Vector256.Create(scaled1), acc1));
    }

    /// <summary>
    /// acc + (exact integer dot of one block of eight rows with block <paramref name="lane"/> of the activation group at
    /// <paramref name="a"/>) · d_w·d_a.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Step(byte* q, byte* a, int lane, short* scales, float scaledActivation, Vector256<float> acc)
    {
        var mask = Vector256.Create((byte)0x0F);
        var w = a + (4 * lane);
        var v = Avx.LoadVector256(q);
        var s = Avx2.MultiplyAddAdjacent(v & mask, Vector256.Create(*(int*)w).AsSByte());
        s += Avx2.MultiplyAddAdjacent(Avx2.ShiftRightLogical(v.AsUInt16(), 4).AsByte() & mask, Vector256.Create(*(int*)(w + 128)).AsSByte());
        v = Avx.LoadVector256(q + 32);
        s += Avx2.MultiplyAddAdjacent(v & mask, Vector256.Create(*(int*)(w + 32)).AsSByte());
        s += Avx2.MultiplyAddAdjacent(Avx2.ShiftRightLogical(v.AsUInt16(), 4).AsByte() & mask, Vector256.Create(*(int*)(w + 160)).AsSByte());
        v = Avx.LoadVector256(q + 64);
        s += Avx2.MultiplyAddAdjacent(v & mask, Vector256.Create(*(int*)(w + 64)).AsSByte());
        s += Avx2.MultiplyAddAdjacent(Avx2.ShiftRightLogical(v.AsUInt16(), 4).AsByte() & mask, Vector256.Create(*(int*)(w + 192)).AsSByte());
        v = Avx.LoadVector256(q + 96);
        s += Avx2.MultiplyAddAdjacent(v & mask, Vector256.Create(*(int*)(w + 96)).AsSByte());
        s += Avx2.MultiplyAddAdjacent(Avx2.ShiftRightLogical(v.AsUInt16(), 4).AsByte() & mask, Vector256.Create(*(int*)(w + 224)).AsSByte());
        var dot = Avx2.MultiplyAddAdjacent(s, Vector256.Create((short)1)) + Vector256.Create(*(int*)(w + 256));
        var dw = (Avx2.ConvertToVector256Int32(scales) << 13) & Vector256.Create(unchecked((int)0x8FFFFFFF));
        return Fma.MultiplyAdd(Avx.ConvertToVector256Single(dot), dw.AsSingle() * Vector256.Create(scaledActivation), acc);
    }

    // ---- Q4_K ----------------------------------------------------------------------------------------------------

    private const int KBlockBytes = 144;
    private const int KGroupBlockBytes = 8 * KBlockBytes;
    private const int Q8KBytes = 292;


    /// <summary>Restores stored row <paramref name="row"/> of a re-laid Q4_K matrix of <paramref name="rows"/> rows into <paramref name="stored"/>.</summary>
    private static void UnpackRowQ4K(byte* matrix, long rows, int blocks, long row, byte* stored)
    {
        var rowBytes = (long)blocks * KBlockBytes;
        if (row >= rows / GroupRows * GroupRows)
        {
            Buffer.MemoryCopy(matrix + (row * rowBytes), stored, rowBytes, rowBytes);
            return;
        }

        var g = row / GroupRows * GroupRows;
        RelayRowQ4K(stored, matrix + (g * rowBytes), (int)(row - g), blocks, pack: false);
    }

    /// <summary>
    /// Packs (or, with <paramref name="pack"/> false, restores) Q4_K rows. The Q4_K form: a group of eight rows holds,
    /// per super-block, 1152 bytes: for each pair p of 32-element sub-blocks, eight 32-byte vectors, vector j holding
    /// quant bytes 32p + 4j..32p + 4j + 3 of each row (low nibbles: sub-block 2p, high nibbles: sub-block 2p + 1);
    /// then the eight rows' fp16 d, their fp16 dmin, and the three 4-byte words of each row's packed 6-bit scales and
    /// mins, word by word (32 bytes each).
    /// </summary>
    private static void RelayQ4K(byte* source, byte* destination, long rows, int blocks, bool pack)
    {
        var rowBytes = (long)blocks * KBlockBytes;
        var full = rows / GroupRows * GroupRows;
        for (long g = 0; g < full; g += GroupRows)
        {
            for (var r = 0; r < GroupRows; r++)
            {
                RelayRowQ4K(source + ((g + r) * rowBytes), destination + (g * rowBytes), r, blocks, pack);
            }
        }

        Buffer.MemoryCopy(source + (full * rowBytes), destination + (full * rowBytes), (rows - full) * rowBytes, (rows - full) * rowBytes);
    }

    /// <summary>Moves one stored row's bytes to (<paramref name="pack"/>) or from its place r in the group at <paramref name="group"/>.</summary>
    private static void RelayRowQ4K(byte* row, byte* group, int r, int blocks, bool pack)
    {
        for (var b = 0; b < blocks; b++)
        {
            var block = row + (b * KBlockBytes);
            var sb = group + ((long)b * KGroupBlockBytes);
            var meta = sb + 1024;
            Move((ushort*)block, (ushort*)(meta + (2 * r)), pack);
            Move((ushort*)(block + 2), (ushort*)(meta + 16 + (2 * r)), pack);
            for (var k = 0; k < 3; k++)
            {
                Move((uint*)(block + 4 + (4 * k)), (uint*)(meta + 32 + (32 * k) + (4 * r)), pack);
            }

            for (var p = 0; p < 4; p++)
            {
                for (var j = 0; j < 8; j++)
                {
                    Move((uint*)(block + 16 + (32 * p) + (4 * j)), (uint*)(sb + (256 * p) + (32 * j) + (4 * r)), pack);
                }
            }
        }
    }

    private static void Move<T>(T* stored, T* packed, bool pack)
        where T : unmanaged
    {
        if (pack)
        {
            *packed = *stored;
        }
        else
        {
            *stored = *packed;
        }
    }

    /// <summary>
    /// output[t·<paramref name="outStride"/> + r] for r in [<paramref name="r0"/>, <paramref name="r1"/>) of a re-laid
    /// Q4_K matrix of <paramref name="rows"/> rows and each of <paramref name="tokens"/> Q8_K rows
    /// (<paramref name="actStride"/> bytes apart); <paramref name="r0"/> is a multiple of <see cref="GroupRows"/>, and so
    /// is <paramref name="r1"/> unless it is <paramref name="rows"/>. Per row and super-block the integers
    /// Σ_j sc_j·(q·a)_j and Σ_j m_j·Σa_j are exact, then acc = fma(isum, d·d_a, acc) and acc = fma(msum, −dmin·d_a, acc),
    /// super-block after super-block (<see cref="ReferenceQ4K"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RowsQ4K(
        byte* weights, int rows, int r0, int r1, int blocks, byte* activations, int actStride, int tokens, float* output, long outStride, byte* scratch)
    {
        var rowBytes = (long)blocks * KBlockBytes;
        var full = Math.Min(r1, rows / GroupRows * GroupRows);
        var sums = (int*)scratch;
        for (var t = 0; t < tokens; t++)
        {
            SubBlockSums(activations + ((long)t * actStride), blocks, sums + (t * blocks * 4));
        }

        var start = weights + (r0 * rowBytes);
        for (var i = 0; i < Math.Min(PrefetchDistance, (r1 - r0) * rowBytes); i += 64)
        {
            Sse.Prefetch1(start + i);
        }

        var r = r0;
        for (; r < full; r += GroupRows)
        {
            var group = weights + (r * rowBytes);
            for (var t = 0; t < tokens; t++)
            {
                GroupQ4K(group, blocks, activations + ((long)t * actStride), sums + (t * blocks * 4)).Store(output + (t * outStride) + r);
            }
        }

        if (r < r1)
        {
            KQuantMatVec.Rows(TensorType.Q4_K, weights, rowBytes, r, r1, blocks, activations, actStride, tokens, output, outStride);
        }
    }

    /// <summary>Bytes of scratch <see cref="RowsQ4K"/> needs for <paramref name="tokens"/> tokens and rows of <paramref name="blocks"/> super-blocks.</summary>
    public static int ScratchBytesQ4K(int blocks, int tokens) => tokens * blocks * 16;

    /// <summary>Each super-block's eight 32-element sums of activation quants, as 16-bit pairs (sub-blocks 2t, 2t + 1 in word t).</summary>
    private static void SubBlockSums(byte* activation, int blocks, int* sums)
    {
        for (var b = 0; b < blocks; b++)
        {
            var bsums = (short*)(activation + ((long)b * Q8KBytes) + 260);
            for (var t = 0; t < 4; t++)
            {
                var even = (short)(bsums[4 * t] + bsums[(4 * t) + 1]);
                var odd = (short)(bsums[(4 * t) + 2] + bsums[(4 * t) + 3]);
                sums[(b * 4) + t] = (ushort)even | (odd << 16);
            }
        }
    }

    /// <summary>The eight Q4_K rows of the group at <paramref name="group"/> · one Q8_K row, in lane order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> GroupQ4K(byte* group, int blocks, byte* activation, int* sums)
    {
        var acc = Vector256<float>.Zero;
        var mask = Vector256.Create((byte)0x0F);
        var low6 = Vector256.Create((byte)0x3F);
        var top2 = Vector256.Create((byte)0x30);
        var lanes = LaneBase();
        var sc0 = PairOf(0, lanes);
        var sc1 = PairOf(1, lanes);
        var sc2 = PairOf(2, lanes);
        var sc3 = PairOf(3, lanes);
        var m01 = PairsOf(0, lanes);
        var m23 = PairsOf(2, lanes);
        var ahead = group + PrefetchDistance;
        var sb = group;
        var a = activation;
        for (var b = 0; b < blocks; b++, sb += KGroupBlockBytes, a += Q8KBytes)
        {
            for (var i = 0; i < KGroupBlockBytes; i += 64)
            {
                Sse.Prefetch1(ahead + i);
            }

            ahead += KGroupBlockBytes;
            var meta = sb + 1024;
            var words0 = Avx.LoadVector256(meta + 32);
            var words1 = Avx.LoadVector256(meta + 64);
            var words2 = Avx.LoadVector256(meta + 96);
            // Byte k of each lane: the scale (mins) of sub-block k (scLow, mLow) and k + 4 (scHigh, mHigh).
            var scLow = words0 & low6;
            var scHigh = (words2 & mask) | (Avx2.ShiftRightLogical(words0.AsUInt32(), 2).AsByte() & top2);
            var mLow = words1 & low6;
            var mHigh = (Avx2.ShiftRightLogical(words2.AsUInt32(), 4).AsByte() & mask) | (Avx2.ShiftRightLogical(words1.AsUInt32(), 2).AsByte() & top2);

            var q = a + 4;
            var isum = PairDot(sb, q, scLow, sc0, sc1, mask);
            isum += PairDot(sb + 256, q + 64, scLow, sc2, sc3, mask);
            isum += PairDot(sb + 512, q + 128, scHigh, sc0, sc1, mask);
            isum += PairDot(sb + 768, q + 192, scHigh, sc2, sc3, mask);

            var msum = Avx2.MultiplyAddAdjacent(Avx2.Shuffle(mLow, m01).AsInt16(), Vector256.Create(sums[(b * 4) + 0]).AsInt16());
            msum += Avx2.MultiplyAddAdjacent(Avx2.Shuffle(mLow, m23).AsInt16(), Vector256.Create(sums[(b * 4) + 1]).AsInt16());
            msum += Avx2.MultiplyAddAdjacent(Avx2.Shuffle(mHigh, m01).AsInt16(), Vector256.Create(sums[(b * 4) + 2]).AsInt16());
            msum += Avx2.MultiplyAddAdjacent(Avx2.Shuffle(mHigh, m23).AsInt16(), Vector256.Create(sums[(b * 4) + 3]).AsInt16());

            var da = Vector256.Create(*(float*)a);
            var d = Simd.HalfToSingle(Avx2.ConvertToVector256Int32((ushort*)meta).AsInt32()) * da;
            var dmin = Simd.HalfToSingle(Avx2.ConvertToVector256Int32((ushort*)(meta + 16)).AsInt32()) * da;
            acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(isum), d, acc);
            acc = Fma.MultiplyAddNegated(Avx.ConvertToVector256Single(msum), dmin, acc);
        }

        return acc;
    }

    /// <summary>
    /// Σ over one pair of sub-blocks of sc·(q·a) per row: eight 32-byte vectors of quant bytes (low nibbles: the first
    /// sub-block, high: the second) against the pair's 64 activation quants at <paramref name="e"/>; each sub-block's
    /// eight <c>vpmaddubsw</c> are summed in 16 bits (at most 8 · 2 · 15 · 128 &lt; 2^15) and widened by one
    /// <c>vpmaddwd</c> with the row's 6-bit scale in both halves of its lane.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> PairDot(byte* w, byte* e, Vector256<byte> scales, Vector256<byte> first, Vector256<byte> second, Vector256<byte> mask)
    {
        var v = Avx.LoadVector256(w);
        var lo = Avx2.MultiplyAddAdjacent(v & mask, Vector256.Create(*(int*)e).AsSByte());
        var hi = Avx2.MultiplyAddAdjacent(Avx2.ShiftRightLogical(v.AsUInt16(), 4).AsByte() & mask, Vector256.Create(*(int*)(e + 32)).AsSByte());
        v = Avx.LoadVector256(w + 32);
        lo += Avx2.MultiplyAddAdjacent(v & mask, Vector256.Create(*(int*)(e + 4)).AsSByte());
        hi += Avx2.MultiplyAddAdjacent(Avx2.ShiftRightLogical(v.AsUInt16(), 4).AsByte() & mask, Vector256.Create(*(int*)(e + 36)).AsSByte());
        v = Avx.LoadVector256(w + 64);
        lo += Avx2.MultiplyAddAdjacent(v & mask, Vector256.Create(*(int*)(e + 8)).AsSByte());
        hi += Avx2.MultiplyAddAdjacent(Avx2.ShiftRightLogical(v.AsUInt16(), 4).AsByte() & mask, Vector256.Create(*(int*)(e + 40)).AsSByte());
        v = Avx.LoadVector256(w + 96);
        lo += Avx2.MultiplyAddAdjacent(v & mask, Vector256.Create(*(int*)(e + 12)).AsSByte());
        hi += Avx2.MultiplyAddAdjacent(Avx2.ShiftRightLogical(v.AsUInt16(), 4).AsByte() & mask, Vector256.Create(*(int*)(e + 44)).AsSByte());
        v = Avx.LoadVector256(w + 128);
        lo += Avx2.MultiplyAddAdjacent(v & mask, Vector256.Create(*(int*)(e + 16)).AsSByte());
        hi += Avx2.MultiplyAddAdjacent(Avx2.ShiftRightLogical(v.AsUInt16(), 4).AsByte() & mask, Vector256.Create(*(int*)(e + 48)).AsSByte());
        v = Avx.LoadVector256(w + 160);
        lo += Avx2.MultiplyAddAdjacent(v & mask, Vector256.Create(*(int*)(e + 20)).AsSByte());
        hi += Avx2.MultiplyAddAdjacent(Avx2.ShiftRightLogical(v.AsUInt16(), 4).AsByte() & mask, Vector256.Create(*(int*)(e + 52)).AsSByte());
        v = Avx.LoadVector256(w + 192);
        lo += Avx2.MultiplyAddAdjacent(v & mask, Vector256.Create(*(int*)(e + 24)).AsSByte());
        hi += Avx2.MultiplyAddAdjacent(Avx2.ShiftRightLogical(v.AsUInt16(), 4).AsByte() & mask, Vector256.Create(*(int*)(e + 56)).AsSByte());
        v = Avx.LoadVector256(w + 224);
        lo += Avx2.MultiplyAddAdjacent(v & mask, Vector256.Create(*(int*)(e + 28)).AsSByte());
        hi += Avx2.MultiplyAddAdjacent(Avx2.ShiftRightLogical(v.AsUInt16(), 4).AsByte() & mask, Vector256.Create(*(int*)(e + 60)).AsSByte());
        return Avx2.MultiplyAddAdjacent(lo, Avx2.Shuffle(scales, first).AsInt16()) + Avx2.MultiplyAddAdjacent(hi, Avx2.Shuffle(scales, second).AsInt16());
    }

    /// <summary>vpshufb control: byte k of each 32-bit lane into both 16-bit halves of the lane (zero-extended).</summary>
    private static Vector256<byte> PairOf(int k, Vector256<byte> lanes) => Vector256.Create((uint)(k | 0x8000 | (k << 16) | 0x80000000u)).AsByte() + lanes;

    /// <summary>vpshufb control: bytes k and k + 1 of each 32-bit lane into its low and high 16-bit halves (zero-extended).</summary>
    private static Vector256<byte> PairsOf(int k, Vector256<byte> lanes) => Vector256.Create((uint)(k | 0x8000 | ((k + 1) << 16) | 0x80000000u)).AsByte() + lanes;

    /// <summary>4·i in the bytes of 32-bit lane i of each 128-bit half, added to a lane-0 control (0x80 bytes stay ≥ 0x80).</summary>
    private static Vector256<byte> LaneBase() => Vector256.Create(
        (byte)0, 0, 0, 0, 4, 4, 4, 4, 8, 8, 8, 8, 12, 12, 12, 12, 0, 0, 0, 0, 4, 4, 4, 4, 8, 8, 8, 8, 12, 12, 12, 12);

    /// <summary>
    /// The scalar model of <see cref="RowsQ4K"/> for one stored row (test reference): the same integers and the same
    /// two fused multiply-adds per super-block in the same order.
    /// </summary>
    internal static float ReferenceQ4K(ReadOnlySpan<byte> row, ReadOnlySpan<byte> activation, int blocks)
    {
        var acc = 0f;
        for (var b = 0; b < blocks; b++)
        {
            var w = row.Slice(b * KBlockBytes, KBlockBytes);
            var a = activation.Slice(b * Q8KBytes, Q8KBytes);
            var isum = 0;
            var msum = 0;
            for (var j = 0; j < 8; j++)
            {
                int sc, m;
                if (j < 4)
                {
                    sc = w[4 + j] & 63;
                    m = w[4 + j + 4] & 63;
                }
                else
                {
                    sc = (w[4 + j + 4] & 0xF) | ((w[4 + j - 4] >> 6) << 4);
                    m = (w[4 + j + 4] >> 4) | ((w[4 + j] >> 6) << 4);
                }

                var dot = 0;
                var sum = 0;
                for (var i = 0; i < 32; i++)
                {
                    var byteAt = w[16 + (32 * (j / 2)) + i];
                    var nibble = j % 2 == 0 ? byteAt & 0xF : byteAt >> 4;
                    var x = (sbyte)a[4 + (32 * j) + i];
                    dot += nibble * x;
                    sum += x;
                }

                isum += sc * dot;
                msum += m * sum;
            }

            var da = BitConverter.ToSingle(a[..4]);
            var d = (float)BitConverter.ToHalf(w[..2]) * da;
            var dmin = (float)BitConverter.ToHalf(w.Slice(2, 2)) * da;
            acc = MathF.FusedMultiplyAdd(isum, d, acc);
            acc = MathF.FusedMultiplyAdd(msum, -dmin, acc);
        }

        return acc;
    }
}
