using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Edgewise.Numerics.Kernels;

/// <summary>
/// The legacy block formats (Q8_0, Q4_0, Q5_0) as <see cref="LegacyGemm"/> reads them: a block's size and how its 32
/// quants are unpacked into bytes ready for <c>vpmaddubsw</c> against prepared activations.
/// </summary>
internal static unsafe class LegacyBlocks
{
    /// <summary>A weight block format: its type, its size, and how its 32 quants are unpacked.</summary>
    internal interface IBlockFormat
    {
        static abstract TensorType Type { get; }

        static abstract int Bytes { get; }

        static abstract Vector256<byte> Unpack(byte* w);

        /// <summary>
        /// Bytes of unpacked quants whose 16-bit <c>vpmaddubsw</c> pair sums with activations in [−128, 127] can be
        /// added without overflow (<see cref="Simd.Dot2x4"/>'s span); 0 when a quant may exceed 128.
        /// </summary>
        static abstract int PairSpan { get; }
    }

    /// <summary>Q8_0, its signed quants unpacked offset by 128 (q + 128, unsigned).</summary>
    internal readonly struct Q80 : IBlockFormat
    {
        public static TensorType Type => TensorType.Q8_0;

        public static int Bytes => 34;

        public static int PairSpan => 0;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<byte> Unpack(byte* w) => Avx.LoadVector256(w + 2) ^ Vector256.Create((byte)0x80);
    }

    /// <summary>Q4_0, its nibbles unpacked to bytes 0–15.</summary>
    internal readonly struct Q40 : IBlockFormat
    {
        public static TensorType Type => TensorType.Q4_0;

        public static int Bytes => 18;

        public static int PairSpan => 256;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<byte> Unpack(byte* w) => LegacyMatVec.Nibbles(Sse2.LoadVector128(w + 2));
    }

    /// <summary>Q5_0, its nibbles and fifth bits unpacked to bytes 0–31.</summary>
    internal readonly struct Q50 : IBlockFormat
    {
        public static TensorType Type => TensorType.Q5_0;

        public static int Bytes => 22;

        public static int PairSpan => 128;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<byte> Unpack(byte* w) =>
            LegacyMatVec.Nibbles(Sse2.LoadVector128(w + 6)) | (LegacyMatVec.HighBits(*(uint*)(w + 2)) & Vector256.Create((byte)0x10));
    }
}
