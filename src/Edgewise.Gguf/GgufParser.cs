using System.Buffers.Binary;

namespace Edgewise.Gguf;

/// <summary>
/// Parses and validates the header, metadata and tensor directory of a GGUF v2/v3 file. Every count is
/// bounded by the bytes that remain before anything is allocated, every size is computed with checked
/// arithmetic, and every tensor range is validated against the file length. Nothing outside
/// <c>[0, headerBytes)</c> is read.
/// </summary>
public static class GgufParser
{
    /// <summary>Largest list/set capacity reserved from a count read from the file; beyond it collections grow as entries parse.</summary>
    internal const int InitialCapacityCap = 256;

    private const uint Magic = 0x46554747; // "GGUF" read little-endian

    /// <summary>Parses <paramref name="bytes"/> (the start of a file of <paramref name="fileLength"/> bytes).</summary>
    /// <param name="bytes">The file's leading bytes: at least the header, metadata and tensor directory.</param>
    /// <param name="fileLength">Total file length, used to validate tensor data ranges.</param>
    /// <exception cref="InvalidModelFileException">The file is malformed or breaks a limit.</exception>
    public static GgufHeader Parse(ReadOnlySpan<byte> bytes, long fileLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(fileLength, bytes.Length);
        if (bytes.Length >= 4 && BinaryPrimitives.ReadUInt32LittleEndian(bytes) != Magic)
        {
            throw new InvalidModelFileException(GgufErrorCodes.HeaderMagic, 0, "The file is not a GGUF file (bad magic).");
        }

        if (bytes.Length < GgufLimits.HeaderBytes)
        {
            throw new InvalidModelFileException(GgufErrorCodes.HeaderTruncated, bytes.Length, "The file is shorter than a GGUF header.");
        }

        var cursor = new GgufCursor(bytes);
        cursor.ReadUInt32(GgufErrorCodes.HeaderTruncated);
        var version = cursor.ReadUInt32(GgufErrorCodes.HeaderTruncated);
        if (version is not (2 or 3))
        {
            var message = version is 0x02000000 or 0x03000000
                ? "The GGUF file is big-endian (byte-swapped), which is not supported."
                : "The GGUF version is not supported (only 2 and 3).";
            throw new InvalidModelFileException(GgufErrorCodes.HeaderVersion, 4, message);
        }

        var tensorCount = cursor.ReadUInt64(GgufErrorCodes.HeaderTruncated);
        var kvCount = cursor.ReadUInt64(GgufErrorCodes.HeaderTruncated);
        if (kvCount > GgufLimits.MaxKeyValues || kvCount * GgufLimits.MinKeyValueBytes > (ulong)cursor.Remaining)
        {
            throw new InvalidModelFileException(GgufErrorCodes.HeaderKvCount, 16, "The metadata count is larger than the file can hold.");
        }

        if (tensorCount > GgufLimits.MaxTensors || tensorCount * GgufLimits.MinTensorInfoBytes > (ulong)cursor.Remaining)
        {
            throw new InvalidModelFileException(GgufErrorCodes.HeaderTensorCount, 8, "The tensor count is larger than the file can hold.");
        }

        var metadata = GgufMetadataReader.Read(ref cursor, (int)kvCount);
        if (tensorCount * GgufLimits.MinTensorInfoBytes > (ulong)cursor.Remaining)
        {
            throw new InvalidModelFileException(GgufErrorCodes.HeaderTensorCount, 8, "The tensor count is larger than the file can hold.");
        }

        var alignment = ReadAlignment(metadata);
        var tensors = ReadTensorInfos(ref cursor, (int)tensorCount, alignment);

        var dataOffset = AlignUp(cursor.Position, alignment);
        ValidateRanges(tensors, dataOffset, fileLength, alignment);
        return new GgufHeader((int)version, metadata, tensors, alignment, dataOffset, cursor.Position, fileLength);
    }

    private static int ReadAlignment(GgufMetadata metadata)
    {
        var value = metadata[GgufKeys.General.Alignment];
        if (value is null)
        {
            return GgufLimits.DefaultAlignment;
        }

        if (value.Type != GgufValueType.UInt32)
        {
            throw new InvalidModelFileException(GgufErrorCodes.Alignment, -1, "general.alignment must be a UINT32.");
        }

        var alignment = value.AsInt64() ?? 0;
        if (alignment <= 0 || alignment > GgufLimits.MaxAlignment || (alignment & (alignment - 1)) != 0)
        {
            throw new InvalidModelFileException(GgufErrorCodes.Alignment, -1, "general.alignment must be a power of two no larger than 1 MiB.");
        }

        return (int)alignment;
    }

    private static List<GgufTensorInfo> ReadTensorInfos(ref GgufCursor cursor, int count, int alignment)
    {
        // Capacity from the file is capped: a count that passed the size test may still be a lie.
        var capacity = Math.Min(count, InitialCapacityCap);
        var tensors = new List<GgufTensorInfo>(capacity);
        var names = new HashSet<string>(capacity, StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            var start = cursor.Position;
            var name = cursor.ReadString(GgufLimits.MaxTensorNameBytes, GgufErrorCodes.TensorName, strictUtf8: true);
            if (name.Length == 0)
            {
                throw new InvalidModelFileException(GgufErrorCodes.TensorName, start, "A tensor has an empty name.");
            }

            if (!names.Add(name))
            {
                throw new InvalidModelFileException(GgufErrorCodes.TensorName, start, "Two tensors have the same name.");
            }

            var dimsAt = cursor.Position;
            var nDims = cursor.ReadUInt32(GgufErrorCodes.Truncated);
            if (nDims is 0 or > GgufLimits.MaxDimensions)
            {
                throw new InvalidModelFileException(GgufErrorCodes.TensorShape, dimsAt, "A tensor has an invalid number of dimensions (1 to 4).");
            }

            var dims = new long[nDims];
            long elements = 1;
            for (var d = 0; d < nDims; d++)
            {
                var at = cursor.Position;
                dims[d] = cursor.ReadInt64(GgufErrorCodes.Truncated);
                if (dims[d] < 1)
                {
                    throw new InvalidModelFileException(GgufErrorCodes.TensorShape, at, "A tensor has a dimension below 1.");
                }

                if (elements > long.MaxValue / dims[d])
                {
                    throw new InvalidModelFileException(GgufErrorCodes.TensorSize, at, "A tensor's element count overflows.");
                }

                elements *= dims[d];
            }

            var typeAt = cursor.Position;
            var typeId = cursor.ReadUInt32(GgufErrorCodes.Truncated);
            if (!GgmlTypeTraits.IsKnown(typeId))
            {
                throw new InvalidModelFileException(GgufErrorCodes.TensorType, typeAt, "A tensor has an unknown or removed type.");
            }

            var type = (GgmlType)typeId;
            var blockSize = GgmlTypeTraits.BlockSize(type);
            if (dims[0] % blockSize != 0)
            {
                throw new InvalidModelFileException(GgufErrorCodes.TensorShape, dimsAt, "A tensor's row length is not a multiple of its type's block size.");
            }

            var blocks = elements / blockSize;
            var blockBytes = GgmlTypeTraits.BlockBytes(type);
            if (blocks > long.MaxValue / blockBytes)
            {
                throw new InvalidModelFileException(GgufErrorCodes.TensorSize, typeAt, "A tensor's byte size overflows.");
            }

            var offsetAt = cursor.Position;
            var offset = cursor.ReadUInt64(GgufErrorCodes.Truncated);
            if (offset % (ulong)alignment != 0)
            {
                throw new InvalidModelFileException(GgufErrorCodes.TensorOffset, offsetAt, "A tensor's data offset is not aligned.");
            }

            if (offset > long.MaxValue)
            {
                throw new InvalidModelFileException(GgufErrorCodes.TensorOffset, offsetAt, "A tensor's data offset is past the end of the file.");
            }

            tensors.Add(new GgufTensorInfo(name, type, dims, (long)offset, blocks * blockBytes));
        }

        return tensors;
    }

    private static void ValidateRanges(List<GgufTensorInfo> tensors, long dataOffset, long fileLength, int alignment)
    {
        // 1. The data a packed file would hold (sizes rounded up to the alignment) must be representable.
        long packedEnd = 0;
        foreach (var t in tensors)
        {
            var padded = AlignUp(t.ByteSize, alignment);
            if (padded < t.ByteSize || packedEnd > long.MaxValue - padded)
            {
                throw new InvalidModelFileException(GgufErrorCodes.TensorSize, dataOffset, "The tensors' total size overflows.");
            }

            packedEnd += padded;
        }

        // 2. Every range must lie inside the data section. The length is negative when the file ends in the padding.
        var dataLength = fileLength - dataOffset;
        foreach (var t in tensors)
        {
            if (t.Offset > long.MaxValue - t.ByteSize)
            {
                throw new InvalidModelFileException(GgufErrorCodes.TensorOffset, dataOffset, "A tensor's data range wraps around.");
            }

            if (t.Offset + t.ByteSize > dataLength)
            {
                // A packed file cut short keeps every offset below the packed size; an offset at or past it points
                // beyond any data the tensors could need.
                throw t.Offset >= packedEnd
                    ? new InvalidModelFileException(GgufErrorCodes.TensorOffset, dataOffset, "A tensor's data starts past the end of the file.")
                    : new InvalidModelFileException(GgufErrorCodes.DataTruncated, dataOffset, "The tensor data section is truncated.");
            }
        }

        // 3. No two ranges may overlap.
        var sorted = tensors.ToArray();
        Array.Sort(sorted, static (a, b) => a.Offset.CompareTo(b.Offset));
        for (var i = 1; i < sorted.Length; i++)
        {
            if (sorted[i].Offset < sorted[i - 1].Offset + sorted[i - 1].ByteSize)
            {
                throw new InvalidModelFileException(GgufErrorCodes.TensorOverlap, dataOffset, "Two tensors' data overlap.");
            }
        }
    }

    internal static long AlignUp(long value, int alignment) => (value + alignment - 1) / alignment * alignment;
}
