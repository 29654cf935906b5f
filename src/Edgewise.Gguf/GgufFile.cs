using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;

namespace Edgewise.Gguf;

/// <summary>
/// An open GGUF file: the validated header plus the tensor data, memory-mapped read-only in place (weights
/// are never copied into managed arrays). Files larger than 2 GiB work: tensor data is addressed with
/// 64-bit offsets. Dispose to unmap; spans and addresses handed out become invalid then.
/// </summary>
public sealed unsafe partial class GgufFile : IDisposable
{
    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private readonly Microsoft.Win32.SafeHandles.SafeFileHandle? _handle;
    private volatile bool _leased;
    private const int AdviseDontNeed = 4;
    private readonly GCHandle _pin;
    private readonly long _mappedBytes;
    private byte* _base;

    private GgufFile(GgufHeader header, byte* basePointer, long mappedBytes, MemoryMappedFile? map, MemoryMappedViewAccessor? view, GCHandle pin, Microsoft.Win32.SafeHandles.SafeFileHandle? handle = null)
    {
        _handle = handle;
        Header = header;
        _mappedBytes = mappedBytes;
        _base = basePointer;
        _map = map;
        _view = view;
        _pin = pin;
    }

    /// <summary>The validated header, metadata and tensor directory.</summary>
    public GgufHeader Header { get; }

    /// <summary>Shortcut for <c>Header.Metadata</c>.</summary>
    public GgufMetadata Metadata => Header.Metadata;

    /// <summary>Shortcut for <c>Header.Tensors</c>.</summary>
    public IReadOnlyList<GgufTensorInfo> Tensors => Header.Tensors;

    /// <summary>Opens, maps and validates <paramref name="path"/>.</summary>
    /// <exception cref="InvalidModelFileException">
    /// The file is malformed, or cannot be read (<c>gguf.io</c>: missing, a directory, no permission).
    /// </exception>
    public static GgufFile Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var stream = OpenRead(path);
        MemoryMappedFile? map = null;
        MemoryMappedViewAccessor? view = null;
        var acquired = false;
        try
        {
            // The length comes from the handle that is mapped, so the parser's bounds and the mapping agree.
            var length = stream.Length;
            if (length < GgufLimits.HeaderBytes)
            {
                // Too small to map usefully (and a zero-length file cannot be mapped at all): parse the bytes directly.
                var small = new byte[length];
                stream.ReadExactly(small);
                GgufParser.Parse(small, small.Length);
                throw new InvalidModelFileException(GgufErrorCodes.HeaderTruncated, small.Length, "The file is shorter than a GGUF header.");
            }

            map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            view = map.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
            byte* ptr = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref ptr);
            acquired = true;
            ptr += view.PointerOffset;
            var headerSpan = new ReadOnlySpan<byte>(ptr, (int)Math.Min(length, int.MaxValue));
            var header = GgufParser.Parse(headerSpan, length);
            return new GgufFile(header, ptr, length, map, view, default, stream.SafeFileHandle);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Release(view, map, acquired);
            stream.Dispose();
            throw new InvalidModelFileException(GgufErrorCodes.Io, -1, "The model file could not be read.");
        }
        catch
        {
            Release(view, map, acquired);
            stream.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Takes a read lease on the mapped file (Linux): while it is held, another process that opens the file for
    /// writing or truncates it is held back (up to <c>/proc/sys/fs/lease-break-time</c> seconds) and this process is
    /// signalled first (<see cref="FileLeases.BreakSignalled"/>), so it can stop using the mapping before its pages go.
    /// The lease ends when the file is disposed (unmapped and closed). False when the kernel refuses one: not the
    /// file's owner without CAP_LEASE, the file open for writing somewhere, leases disabled, or not Linux.
    /// </summary>
    public bool TryTakeReadLease()
    {
        if (_handle is null || _handle.IsInvalid || _handle.IsClosed || !OperatingSystem.IsLinux() || _base == null)
        {
            return false;
        }

        FileLeases.EnsureSignalHandler();
        _leased = FileLeases.SetReadLease(_handle);
        return _leased;
    }

    /// <summary>True when a lease taken by <see cref="TryTakeReadLease"/> is being broken: another process waits to write or truncate the file.</summary>
    public bool LeaseBreaking => _leased && _handle is { IsInvalid: false, IsClosed: false } && OperatingSystem.IsLinux() && FileLeases.IsBreaking(_handle);

    /// <summary>Validates and wraps an in-memory GGUF image (tests, generated models). The array is pinned until disposal.</summary>
    /// <exception cref="InvalidModelFileException">The bytes are not a valid GGUF file.</exception>
    public static GgufFile FromBytes(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        var header = GgufParser.Parse(bytes, bytes.Length);
        var pin = GCHandle.Alloc(bytes, GCHandleType.Pinned);
        return new GgufFile(header, (byte*)pin.AddrOfPinnedObject(), bytes.Length, null, null, pin);
    }

    /// <summary>The tensor named <paramref name="name"/>, or null.</summary>
    public GgufTensorInfo? FindTensor(string name) => Header.FindTensor(name);

    /// <summary>The whole data of a tensor smaller than 2 GiB.</summary>
    /// <exception cref="NotSupportedException">The tensor is 2 GiB or larger; use <see cref="GetTensorData(GgufTensorInfo, long, int)"/>.</exception>
    public ReadOnlySpan<byte> GetTensorData(GgufTensorInfo tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return tensor.ByteSize > int.MaxValue
            ? throw new NotSupportedException("The tensor is larger than 2 GiB; read it in chunks.")
            : GetTensorData(tensor, 0, (int)tensor.ByteSize);
    }

    /// <summary>A chunk of a tensor's data: <paramref name="length"/> bytes from <paramref name="offset"/> within the tensor.</summary>
    public ReadOnlySpan<byte> GetTensorData(GgufTensorInfo tensor, long offset, int length)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, tensor.ByteSize);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offset, tensor.ByteSize - length);
        return new ReadOnlySpan<byte>((byte*)GetTensorAddress(tensor) + offset, length);
    }

    /// <summary>
    /// The address of a tensor's first byte, for kernels that work across threads. Valid until the file is
    /// disposed; only the tensor's <see cref="GgufTensorInfo.ByteSize"/> bytes may be read.
    /// </summary>
    public nint GetTensorAddress(GgufTensorInfo tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ObjectDisposedException.ThrowIf(_base == null, this);
        if (!ReferenceEquals(Header.FindTensor(tensor.Name), tensor))
        {
            throw new ArgumentException("The tensor does not belong to this file.", nameof(tensor));
        }

        return (nint)(_base + Header.DataOffset + tensor.Offset);
    }

    /// <summary>
    /// Tells the OS this process will not read the mapped bytes at [<paramref name="address"/>, + <paramref name="length"/>)
    /// again (their tensors were copied elsewhere): the whole 2 MiB-aligned blocks inside the range leave the process's
    /// resident set, so a model's memory use is not counted twice. The file and its cached pages are unchanged, and a
    /// later read maps the pages again from them. Whole aligned blocks only, so no neighbouring tensor loses the huge
    /// page mapping it is read through. Does nothing for a file held in memory or off Linux.
    /// </summary>
    /// <returns>Bytes released.</returns>
    /// <exception cref="ArgumentException">The range is not inside the mapped file.</exception>
    public long ReleasePages(nint address, long length)
    {
        ObjectDisposedException.ThrowIf(_base == null, this);
        var start = (long)_base;
        if (length < 0 || address < start || length > start + _mappedBytes - (long)address)
        {
            throw new ArgumentException("The range is not inside the mapped file.", nameof(address));
        }

        const long Block = 2L << 20;
        var from = ((long)address + Block - 1) & ~(Block - 1);
        var to = ((long)address + length) & ~(Block - 1);
        if (_map is null || !OperatingSystem.IsLinux() || to <= from)
        {
            return 0;
        }

        try
        {
            return Advise((nint)from, (nuint)(to - from), AdviseDontNeed) == 0 ? to - from : 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return 0;
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_base == null)
        {
            return;
        }

        _base = null;
        Release(_view, _map, _view is not null);
        if (_pin.IsAllocated)
        {
            _pin.Free();
        }
    }

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Advise(nint address, nuint length, int advice);

    private static void Release(MemoryMappedViewAccessor? view, MemoryMappedFile? map, bool acquired)
    {
        if (acquired)
        {
            view?.SafeMemoryMappedViewHandle.ReleasePointer();
        }

        view?.Dispose();
        map?.Dispose();
    }

    private static FileStream OpenRead(string path) => RegularFile.OpenRead(path);
}
