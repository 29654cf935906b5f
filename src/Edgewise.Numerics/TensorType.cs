namespace Edgewise.Numerics;

/// <summary>
/// Element storage types of tensor data. The numeric values are the ggml type ids, so a value read from a
/// GGUF tensor descriptor can be cast directly; only the types this library can convert are listed.
/// </summary>
public enum TensorType
{
    /// <summary>IEEE 754 binary32, 4 bytes per element.</summary>
    F32 = 0,

    /// <summary>IEEE 754 binary16, 2 bytes per element.</summary>
    F16 = 1,

    /// <summary>Blocks of 32: fp16 scale and 4-bit quants centred on 8 (18 bytes).</summary>
    Q4_0 = 2,

    /// <summary>Blocks of 32: fp16 scale, fp16 minimum and 4-bit quants (20 bytes).</summary>
    Q4_1 = 3,

    /// <summary>Blocks of 32: fp16 scale and 5-bit quants centred on 16 (22 bytes).</summary>
    Q5_0 = 6,

    /// <summary>Blocks of 32: fp16 scale, fp16 minimum and 5-bit quants (24 bytes).</summary>
    Q5_1 = 7,

    /// <summary>Blocks of 32: fp16 scale and signed 8-bit quants (34 bytes).</summary>
    Q8_0 = 8,

    /// <summary>Blocks of 32: fp16 scale, fp16 scaled sum and signed 8-bit quants (36 bytes).</summary>
    Q8_1 = 9,

    /// <summary>Super-blocks of 256: 2-bit quants with 4-bit sub-block scales and minimums (84 bytes).</summary>
    Q2_K = 10,

    /// <summary>Super-blocks of 256: 3-bit quants with 6-bit signed sub-block scales (110 bytes).</summary>
    Q3_K = 11,

    /// <summary>Super-blocks of 256: 4-bit quants with 6-bit sub-block scales and minimums (144 bytes).</summary>
    Q4_K = 12,

    /// <summary>Super-blocks of 256: 5-bit quants with 6-bit sub-block scales and minimums (176 bytes).</summary>
    Q5_K = 13,

    /// <summary>Super-blocks of 256: 6-bit quants with 8-bit signed sub-block scales (210 bytes).</summary>
    Q6_K = 14,

    /// <summary>Super-blocks of 256: float scale, signed 8-bit quants and 16 partial sums (292 bytes); used for activations.</summary>
    Q8_K = 15,

    /// <summary>bfloat16 (the upper half of a binary32), 2 bytes per element.</summary>
    BF16 = 30,
}
