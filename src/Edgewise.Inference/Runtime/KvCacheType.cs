namespace Edgewise.Inference.Runtime;

/// <summary>Storage type of the key/value cache.</summary>
public enum KvCacheType
{
    /// <summary>IEEE half: half the memory; keys, queries, values and attention weights are rounded to F16 as llama.cpp does.</summary>
    F16,

    /// <summary>float32: exact, twice the memory (what the reference logits were recorded with).</summary>
    F32,
}
