namespace Edgewise.Gguf;

/// <summary>
/// Builds a GGUF file (version 3 by default, 2 on request): metadata of every value type, the tensor directory,
/// alignment padding and the tensor data. Data can be given as bytes or as a callback that streams it, so
/// multi-gigabyte synthetic models are written without being held in memory. The writer validates everything
/// <see cref="GgufParser"/> validates, so what it writes always reads back. Not thread-safe.
/// </summary>
/// <example>
/// <code>
/// var writer = new GgufWriter();
/// writer.Add(GgufKeys.General.Architecture, GgufValue.String("qwen2"))
///       .AddTensor("token_embd.weight", GgmlType.F32, [64, 100], embeddingBytes);
/// writer.WriteTo("model.gguf");
/// </code>
/// </example>
public sealed class GgufWriter
{
    private const uint Magic = 0x46554747; // "GGUF" read little-endian
    private static readonly byte[] s_zeros = new byte[4096];
    private readonly List<KeyValuePair<string, GgufValue>> _metadata = [];
    private readonly Dictionary<string, int> _keyIndex = new(StringComparer.Ordinal);
    private readonly List<PendingTensor> _tensors = [];
    private readonly HashSet<string> _tensorNames = new(StringComparer.Ordinal);

    /// <summary>Creates an empty writer.</summary>
    /// <param name="version">GGUF version to write: 3 (default) or 2. The two share one layout.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="version"/> is not 2 or 3.</exception>
    public GgufWriter(int version = 3)
    {
        if (version is not (2 or 3))
        {
            throw new ArgumentOutOfRangeException(nameof(version), "Only GGUF versions 2 and 3 can be written.");
        }

        Version = version;
    }

    /// <summary>The GGUF version written.</summary>
    public int Version { get; }

    /// <summary>Number of metadata entries added so far.</summary>
    public int MetadataCount => _metadata.Count;

    /// <summary>Number of tensors added so far.</summary>
    public int TensorCount => _tensors.Count;

    /// <summary>
    /// Data alignment: 32 unless set. Setting it writes <c>general.alignment</c> (UINT32); adding that key with
    /// <see cref="Add"/> sets it too. Must be a power of two from 1 to <see cref="GgufLimits.MaxAlignment"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a power of two in range.</exception>
    public int Alignment
    {
        get => _keyIndex.TryGetValue(GgufKeys.General.Alignment, out var i)
            ? (int)(ulong)_metadata[i].Value.RawValue
            : GgufLimits.DefaultAlignment;
        set
        {
            ValidateAlignment(value);
            var entry = new KeyValuePair<string, GgufValue>(GgufKeys.General.Alignment, GgufValue.UInt32((uint)value));
            if (_keyIndex.TryGetValue(GgufKeys.General.Alignment, out var i))
            {
                _metadata[i] = entry;
            }
            else
            {
                Append(entry);
            }
        }
    }

    /// <summary>Adds a metadata entry; entries are written in the order added.</summary>
    /// <returns>This writer.</returns>
    /// <exception cref="ArgumentException">
    /// The key is empty, too long, not printable ASCII, or already present; or the value breaks a reader limit
    /// (string or array length, nested array, a value that does not fit its declared type).
    /// </exception>
    public GgufWriter Add(string key, GgufValue value)
    {
        GgufValueEncoder.ValidateKey(key);
        if (_keyIndex.ContainsKey(key))
        {
            throw new ArgumentException("The metadata key is already present.", nameof(key));
        }

        var canonical = GgufValueEncoder.Canonicalize(key, value);
        if (key == GgufKeys.General.Alignment)
        {
            if (canonical.Type != GgufValueType.UInt32)
            {
                throw new ArgumentException("general.alignment must be a UINT32.", nameof(value));
            }

            ValidateAlignment((long)(ulong)canonical.RawValue);
        }

        Append(new(key, canonical));
        return this;
    }

    /// <summary>Adds every entry of <paramref name="metadata"/> (e.g. copied from another file), in order.</summary>
    /// <returns>This writer.</returns>
    /// <exception cref="ArgumentException">An entry is invalid or already present.</exception>
    public GgufWriter AddRange(IEnumerable<KeyValuePair<string, GgufValue>> metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        foreach (var (key, value) in metadata)
        {
            Add(key, value);
        }

        return this;
    }

    /// <summary>Adds a tensor whose data is <paramref name="data"/>; the array is kept (not copied) until written.</summary>
    /// <param name="name">Unique tensor name, 1 to 63 bytes of UTF-8.</param>
    /// <param name="type">Storage type.</param>
    /// <param name="dimensions">1 to 4 dimensions, innermost (row length) first, each ≥ 1; the row length must be a multiple of the type's block size.</param>
    /// <param name="data">Exactly <see cref="TensorByteSize"/> bytes.</param>
    /// <returns>This writer.</returns>
    /// <exception cref="ArgumentException">The name, type, shape or data length is invalid.</exception>
    public GgufWriter AddTensor(string name, GgmlType type, ReadOnlySpan<long> dimensions, byte[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var byteSize = ValidateTensor(name, type, dimensions);
        if (data.LongLength != byteSize)
        {
            throw new ArgumentException("The tensor data length does not match the tensor's type and shape.", nameof(data));
        }

        AppendTensor(new PendingTensor(name, type, dimensions.ToArray(), byteSize, data, null));
        return this;
    }

    /// <summary>Adds a tensor whose data is a copy of <paramref name="data"/>.</summary>
    /// <inheritdoc cref="AddTensor(string, GgmlType, ReadOnlySpan{long}, byte[])"/>
    public GgufWriter AddTensor(string name, GgmlType type, ReadOnlySpan<long> dimensions, ReadOnlySpan<byte> data)
    {
        var byteSize = ValidateTensor(name, type, dimensions);
        if (data.Length != byteSize)
        {
            throw new ArgumentException("The tensor data length does not match the tensor's type and shape.", nameof(data));
        }

        AppendTensor(new PendingTensor(name, type, dimensions.ToArray(), byteSize, data.ToArray(), null));
        return this;
    }

    /// <summary>
    /// Adds a tensor whose data <paramref name="writeData"/> streams when the file is written. The callback gets a
    /// write-only stream and must write exactly <see cref="TensorByteSize"/> bytes (writing more throws at once,
    /// writing fewer throws when it returns).
    /// </summary>
    /// <param name="name">Unique tensor name, 1 to 63 bytes of UTF-8.</param>
    /// <param name="type">Storage type.</param>
    /// <param name="dimensions">1 to 4 dimensions, innermost first, each ≥ 1.</param>
    /// <param name="writeData">Writes the tensor's bytes; called once per write of the file.</param>
    /// <returns>This writer.</returns>
    /// <exception cref="ArgumentException">The name, type or shape is invalid.</exception>
    public GgufWriter AddTensor(string name, GgmlType type, ReadOnlySpan<long> dimensions, Action<Stream> writeData)
    {
        ArgumentNullException.ThrowIfNull(writeData);
        var byteSize = ValidateTensor(name, type, dimensions);
        AppendTensor(new PendingTensor(name, type, dimensions.ToArray(), byteSize, null, writeData));
        return this;
    }

    /// <summary>Bytes of data a tensor of <paramref name="type"/> and <paramref name="dimensions"/> takes.</summary>
    /// <exception cref="ArgumentException">The type is unknown, or the shape is invalid or too large.</exception>
    public static long TensorByteSize(GgmlType type, ReadOnlySpan<long> dimensions)
    {
        if (!GgmlTypeTraits.IsKnown((long)type))
        {
            throw new ArgumentException("Unknown or removed tensor type.", nameof(type));
        }

        if (dimensions.Length is 0 or > GgufLimits.MaxDimensions)
        {
            throw new ArgumentException("A tensor has 1 to 4 dimensions.", nameof(dimensions));
        }

        var elements = 1L;
        foreach (var d in dimensions)
        {
            if (d < 1)
            {
                throw new ArgumentException("Every tensor dimension must be at least 1.", nameof(dimensions));
            }

            elements = elements > long.MaxValue / d
                ? throw new ArgumentException("The tensor's element count overflows.", nameof(dimensions))
                : elements * d;
        }

        var blockSize = GgmlTypeTraits.BlockSize(type);
        if (dimensions[0] % blockSize != 0)
        {
            throw new ArgumentException("The row length is not a multiple of the type's block size.", nameof(dimensions));
        }

        var blocks = elements / blockSize;
        var blockBytes = GgmlTypeTraits.BlockBytes(type);
        return blocks > long.MaxValue / blockBytes
            ? throw new ArgumentException("The tensor's byte size overflows.", nameof(dimensions))
            : blocks * blockBytes;
    }

    /// <summary>The length of the file <see cref="WriteTo(Stream)"/> would write.</summary>
    /// <exception cref="InvalidOperationException">The layout does not fit in 64 bits.</exception>
    public long ComputeLength() => Layout(null).FileLength;

    /// <summary>Writes the whole file to <paramref name="destination"/> (which need not be seekable).</summary>
    /// <exception cref="InvalidOperationException">A data callback wrote the wrong number of bytes.</exception>
    public void WriteTo(Stream destination) => WriteTo(destination, null);

    /// <summary>Writes the whole file to <paramref name="path"/>, replacing any file there (left partly written if a data callback fails).</summary>
    /// <exception cref="InvalidOperationException">A data callback wrote the wrong number of bytes.</exception>
    public void WriteTo(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        WriteTo(stream, null);
    }

    /// <summary>The whole file as one array (small files: tests, tiny synthetic models).</summary>
    /// <exception cref="InvalidOperationException">The file is larger than an array can hold, or a data callback misbehaved.</exception>
    public byte[] ToArray() => ToArray(null);

    /// <summary>The whole file as one array, recording where each length/count/type field went.</summary>
    internal byte[] ToArray(List<GgufFieldOffset>? fields)
    {
        var layout = Layout(fields);
        if (layout.FileLength > Array.MaxLength)
        {
            throw new InvalidOperationException("The file is too large for one array; write it to a stream.");
        }

        var result = new byte[layout.FileLength];
        using var stream = new MemoryStream(result, writable: true);
        WriteCore(stream, layout);
        return result;
    }

    /// <summary>Writes the file, recording where each length/count/type field went.</summary>
    internal void WriteTo(Stream destination, List<GgufFieldOffset>? fields)
    {
        ArgumentNullException.ThrowIfNull(destination);
        if (!destination.CanWrite)
        {
            throw new ArgumentException("The stream is not writable.", nameof(destination));
        }

        WriteCore(destination, Layout(fields));
    }

    private static void ValidateAlignment(long alignment)
    {
        if (alignment < 1 || alignment > GgufLimits.MaxAlignment || (alignment & (alignment - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(alignment), "The alignment must be a power of two from 1 to 1 MiB.");
        }
    }

    private static void WriteZeros(Stream destination, long count)
    {
        while (count > 0)
        {
            var n = (int)Math.Min(count, s_zeros.Length);
            destination.Write(s_zeros, 0, n);
            count -= n;
        }
    }

    private void Append(KeyValuePair<string, GgufValue> entry)
    {
        if (_metadata.Count >= GgufLimits.MaxKeyValues)
        {
            throw new InvalidOperationException("The file already holds the most metadata entries the reader accepts.");
        }

        _keyIndex.Add(entry.Key, _metadata.Count);
        _metadata.Add(entry);
    }

    private long ValidateTensor(string name, GgmlType type, ReadOnlySpan<long> dimensions)
    {
        ArgumentNullException.ThrowIfNull(name);
        var nameBytes = GgufHeaderEncoder.Utf8Length(name, nameof(name));
        if (nameBytes is 0 or > GgufLimits.MaxTensorNameBytes)
        {
            throw new ArgumentException("A tensor name must be 1 to 63 bytes of UTF-8.", nameof(name));
        }

        if (_tensorNames.Contains(name))
        {
            throw new ArgumentException("A tensor with this name was already added.", nameof(name));
        }

        if (_tensors.Count >= GgufLimits.MaxTensors)
        {
            throw new InvalidOperationException("The file already holds the most tensors the reader accepts.");
        }

        return TensorByteSize(type, dimensions);
    }

    private void AppendTensor(PendingTensor tensor)
    {
        _tensorNames.Add(tensor.Name);
        _tensors.Add(tensor);
    }

    private FileLayout Layout(List<GgufFieldOffset>? fields)
    {
        var alignment = Alignment;
        var offsets = new long[_tensors.Count];
        long dataLength = 0;
        for (var i = 0; i < _tensors.Count; i++)
        {
            offsets[i] = dataLength;
            var padded = GgufParser.AlignUp(_tensors[i].ByteSize, alignment);
            if (padded < _tensors[i].ByteSize || padded > long.MaxValue - dataLength)
            {
                throw new InvalidOperationException("The tensor data does not fit in a 64-bit file.");
            }

            dataLength += padded;
        }

        var encoder = new GgufHeaderEncoder(fields);
        encoder.WriteUInt32(Magic);
        encoder.WriteUInt32((uint)Version);
        encoder.WriteUInt64((ulong)_tensors.Count, GgufField.TensorCount);
        encoder.WriteUInt64((ulong)_metadata.Count, GgufField.KvCount);
        foreach (var (key, value) in _metadata)
        {
            encoder.WriteString(key, GgufField.KeyLength);
            GgufValueEncoder.Write(encoder, value);
        }

        for (var i = 0; i < _tensors.Count; i++)
        {
            var t = _tensors[i];
            encoder.WriteString(t.Name, GgufField.TensorNameLength);
            encoder.WriteUInt32((uint)t.Dimensions.Length, GgufField.DimensionCount);
            foreach (var d in t.Dimensions)
            {
                encoder.WriteUInt64((ulong)d, GgufField.Dimension);
            }

            encoder.WriteUInt32((uint)t.Type, GgufField.TensorType);
            encoder.WriteUInt64((ulong)offsets[i], GgufField.TensorOffset);
        }

        var dataOffset = GgufParser.AlignUp(encoder.Length, alignment);
        if (dataLength > long.MaxValue - dataOffset)
        {
            throw new InvalidOperationException("The tensor data does not fit in a 64-bit file.");
        }

        return new FileLayout(encoder, dataOffset, dataOffset + dataLength, alignment);
    }

    private void WriteCore(Stream destination, FileLayout layout)
    {
        destination.Write(layout.Header.Bytes);
        WriteZeros(destination, layout.DataOffset - layout.Header.Length);
        for (var i = 0; i < _tensors.Count; i++)
        {
            var t = _tensors[i];
            if (t.Data is { } data)
            {
                destination.Write(data);
            }
            else
            {
                var bounded = new BoundedWriteStream(destination, t.ByteSize);
                t.WriteData!(bounded);
                if (bounded.Written != t.ByteSize)
                {
                    throw new InvalidOperationException("The tensor data callback wrote fewer bytes than the tensor holds.");
                }
            }

            WriteZeros(destination, GgufParser.AlignUp(t.ByteSize, layout.Alignment) - t.ByteSize);
        }
    }

    private sealed record PendingTensor(string Name, GgmlType Type, long[] Dimensions, long ByteSize, byte[]? Data, Action<Stream>? WriteData);

    private sealed record FileLayout(GgufHeaderEncoder Header, long DataOffset, long FileLength, int Alignment);
}
