using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Edgewise.Gguf;

/// <summary>
/// Opens model files for reading only when they are regular files. A FIFO opened for reading blocks until a writer
/// appears, and a FIFO, socket or character device never reaches an end, so any of them given as a model would hang
/// the command or the server thread that opened it. The open is non-blocking (O_NONBLOCK: it returns at once even for
/// a FIFO without a writer) and the opened handle must be seekable, which only regular files and block devices are.
/// </summary>
public static partial class RegularFile
{
    /// <summary>Opens <paramref name="path"/> for reading (shared read and delete), refusing anything but a regular file.</summary>
    /// <exception cref="InvalidModelFileException"><see cref="GgufErrorCodes.NotRegularFile"/>, or <see cref="GgufErrorCodes.Io"/> when it cannot be opened.</exception>
    public static FileStream OpenRead(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        FileStream stream;
        try
        {
            stream = OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD()
                ? new FileStream(OpenNonBlocking(path), FileAccess.Read, bufferSize: 1)
                : new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, bufferSize: 1);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            // Missing file, a directory, no permission, or a path the OS refuses: one fixed message, no path echoed.
            throw new InvalidModelFileException(GgufErrorCodes.Io, -1, "The model file could not be read.");
        }

        if (!stream.CanSeek)
        {
            stream.Dispose();
            throw new InvalidModelFileException(GgufErrorCodes.NotRegularFile, -1, "The model path is not a regular file (a pipe, socket or device cannot be a model).");
        }

        return stream;
    }

    private static SafeFileHandle OpenNonBlocking(string path)
    {
        // O_RDONLY | O_NONBLOCK | O_CLOEXEC; the flag values differ between Linux and the BSDs.
        var flags = OperatingSystem.IsLinux() ? 0x800 | 0x80000 : 0x4 | (OperatingSystem.IsMacOS() ? 0x1000000 : 0x100000);
        var fd = Open(path, flags);
        if (fd < 0)
        {
            throw new IOException("open failed", Marshal.GetLastPInvokeError());
        }

        var handle = new SafeFileHandle(fd, ownsHandle: true);
        if (Directory.Exists(path))
        {
            handle.Dispose();
            throw new UnauthorizedAccessException();
        }

        return handle;
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);
}
