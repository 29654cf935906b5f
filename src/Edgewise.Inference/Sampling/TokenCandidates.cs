namespace Edgewise.Inference.Sampling;

/// <summary>
/// The candidate tokens a sampler chain works on: ids with their logits (and probabilities once computed),
/// optionally sorted by logit, largest first (ties: smaller id first). Preallocated for a vocabulary; reused every step.
/// </summary>
public sealed class TokenCandidates
{
    private readonly int[] _ids;
    private readonly float[] _logits;
    private readonly float[] _probabilities;
    private readonly Comparison<int> _byLogit;
    private int[] _heapIds = [];
    private float[] _heapLogits = [];

    /// <summary>Creates room for <paramref name="capacity"/> candidates (the vocabulary size).</summary>
    public TokenCandidates(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _ids = new int[capacity];
        _logits = new float[capacity];
        _probabilities = new float[capacity];
        _byLogit = CompareIds;
    }

    /// <summary>Number of candidates left.</summary>
    public int Count { get; private set; }

    /// <summary>True when the candidates are sorted by logit, largest first.</summary>
    public bool IsSorted { get; private set; }

    /// <summary>Index of the chosen candidate, or −1 while none is chosen.</summary>
    public int Selected { get; set; } = -1;

    /// <summary>The candidate ids.</summary>
    public Span<int> Ids => _ids.AsSpan(0, Count);

    /// <summary>The candidates' logits (samplers may change them).</summary>
    public Span<float> Logits => _logits.AsSpan(0, Count);

    /// <summary>Probabilities from the last <see cref="Softmax"/>.</summary>
    public Span<float> Probabilities => _probabilities.AsSpan(0, Count);

    /// <summary>Makes every token a candidate, in id order, with <paramref name="logits"/>.</summary>
    public void Load(ReadOnlySpan<float> logits)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(logits.Length, _ids.Length, nameof(logits));
        logits.CopyTo(_logits);
        for (var i = 0; i < logits.Length; i++)
        {
            _ids[i] = i;
        }

        Count = logits.Length;
        IsSorted = false;
        Selected = -1;
    }

    /// <summary>Sorts by logit, largest first; ties keep the smaller id first.</summary>
    public void Sort()
    {
        if (IsSorted)
        {
            return;
        }

        // Sort the ids by (logit desc, id asc), then gather the logits.
        var ids = _ids.AsSpan(0, Count);
        for (var i = 0; i < Count; i++)
        {
            _probabilities[ids[i]] = _logits[i];
        }

        ids.Sort(_byLogit);
        for (var i = 0; i < Count; i++)
        {
            _logits[i] = _probabilities[ids[i]];
        }

        IsSorted = true;
    }

    /// <summary>Keeps the <paramref name="count"/> largest candidates (sorting first).</summary>
    public void KeepTop(int count)
    {
        if (count >= Count)
        {
            return;
        }

        if (count > 0 && count < Count / 8 && !IsSorted)
        {
            PartialTop(count);
        }
        else
        {
            Sort();
        }

        Count = Math.Max(1, count);
    }

    /// <summary>
    /// Keeps only the candidates whose id has its bit set in <paramref name="allowed"/> (bit <c>id % 64</c> of word
    /// <c>id / 64</c>), in their current order. The caller makes sure at least one stays.
    /// </summary>
    public void Keep(ReadOnlySpan<ulong> allowed)
    {
        var kept = 0;
        for (var i = 0; i < Count; i++)
        {
            var id = _ids[i];
            if ((allowed[id >> 6] & (1UL << (id & 63))) != 0)
            {
                _ids[kept] = id;
                _logits[kept] = _logits[i];
                kept++;
            }
        }

        Count = kept;
        Selected = -1;
    }

    /// <summary>Keeps the first <paramref name="count"/> candidates in their current order.</summary>
    public void Truncate(int count) => Count = Math.Clamp(count, 1, Count);

    /// <summary>Computes <see cref="Probabilities"/> = softmax(<see cref="Logits"/>).</summary>
    public void Softmax()
    {
        var logits = Logits;
        var max = float.NegativeInfinity;
        foreach (var l in logits)
        {
            max = MathF.Max(max, l);
        }

        double sum = 0;
        var probabilities = Probabilities;
        for (var i = 0; i < logits.Length; i++)
        {
            var e = MathF.Exp(logits[i] - max);
            probabilities[i] = e;
            sum += e;
        }

        var scale = (float)(1.0 / sum);
        for (var i = 0; i < probabilities.Length; i++)
        {
            probabilities[i] *= scale;
        }
    }

    /// <summary>The id of the selected candidate.</summary>
    public int SelectedId => Selected >= 0 && Selected < Count ? _ids[Selected] : throw new InvalidOperationException("No candidate is selected.");

    private int CompareIds(int a, int b)
    {
        var c = _probabilities[b].CompareTo(_probabilities[a]);
        return c != 0 ? c : a.CompareTo(b);
    }

    private void PartialTop(int k)
    {
        // Min-heap of the k best (by logit desc, id asc) over all candidates, then sort those k.
        if (_heapIds.Length < k)
        {
            _heapIds = new int[k];
            _heapLogits = new float[k];
        }

        var heapIds = _heapIds;
        var heapLogits = _heapLogits;
        var size = 0;
        for (var i = 0; i < Count; i++)
        {
            var id = _ids[i];
            var logit = _logits[i];
            if (size < k)
            {
                heapIds[size] = id;
                heapLogits[size] = logit;
                SiftUp(heapIds, heapLogits, size++);
            }
            else if (Better(logit, id, heapLogits[0], heapIds[0]))
            {
                heapIds[0] = id;
                heapLogits[0] = logit;
                SiftDown(heapIds, heapLogits, size);
            }
        }

        heapIds.AsSpan(0, k).CopyTo(_ids);
        heapLogits.AsSpan(0, k).CopyTo(_logits);
        Count = k;
        IsSorted = false;
        Sort();
    }

    private static bool Better(float logitA, int idA, float logitB, int idB) => logitA > logitB || (logitA == logitB && idA < idB);

    private static void SiftUp(int[] ids, float[] logits, int i)
    {
        while (i > 0)
        {
            var parent = (i - 1) / 2;
            if (!Better(logits[parent], ids[parent], logits[i], ids[i]))
            {
                break;
            }

            (ids[parent], ids[i]) = (ids[i], ids[parent]);
            (logits[parent], logits[i]) = (logits[i], logits[parent]);
            i = parent;
        }
    }

    private static void SiftDown(int[] ids, float[] logits, int size)
    {
        var i = 0;
        while (true)
        {
            var worst = i;
            var left = (2 * i) + 1;
            var right = left + 1;
            if (left < size && Better(logits[worst], ids[worst], logits[left], ids[left]))
            {
                worst = left;
            }

            if (right < size && Better(logits[worst], ids[worst], logits[right], ids[right]))
            {
                worst = right;
            }

            if (worst == i)
            {
                return;
            }

            (ids[worst], ids[i]) = (ids[i], ids[worst]);
            (logits[worst], logits[i]) = (logits[i], logits[worst]);
            i = worst;
        }
    }
}
