using System.Runtime.InteropServices;

namespace Edgewise.Models.Management;

/// <summary>
/// <c>mlock</c>/<c>munlock</c> from the C library (no native library ships with Edgewise). Locking keeps mapped weights
/// resident; the kernel refuses when the range exceeds <c>RLIMIT_MEMLOCK</c> (EPERM/ENOMEM/EAGAIN), which callers report
/// as a warning.
/// </summary>
internal static partial class MemoryLock
{
    private const string LibC = "libc";

    /// <summary>True on Linux and macOS, where the call exists.</summary>
    public static bool IsSupported => OperatingSystem.IsLinux() || OperatingSystem.IsMacOS();

    /// <summary>Locks <paramref name="length"/> bytes from <paramref name="address"/>; null on success, else why not.</summary>
    public static string? TryLock(nint address, long length)
    {
        if (!IsSupported)
        {
            return "memory locking is only available on Linux and macOS";
        }

        if (length <= 0)
        {
            return null;
        }

        try
        {
            return Lock(address, (nuint)length) == 0 ? null : Describe(Marshal.GetLastPInvokeError());
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return "the C library's mlock could not be found";
        }
    }

    /// <summary>Unlocks a range locked by <see cref="TryLock"/>; failures are ignored (unmapping unlocks anyway).</summary>
    public static void Unlock(nint address, long length)
    {
        if (IsSupported && length > 0)
        {
            try
            {
                _ = Unlock(address, (nuint)length);
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
            {
                // Nothing was locked through a missing library.
            }
        }
    }

    private static string Describe(int errno) => errno switch
    {
        1 => "not permitted (EPERM): raise the locked-memory limit (ulimit -l, LimitMEMLOCK= in systemd) or grant CAP_IPC_LOCK",
        11 or 35 => "the locked-memory limit is too small (EAGAIN): raise it with ulimit -l or LimitMEMLOCK=",
        12 => "the range exceeds the locked-memory limit (ENOMEM): raise it with ulimit -l or LimitMEMLOCK=",
        _ => "mlock failed with errno " + errno.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    [LibraryImport(LibC, EntryPoint = "mlock", SetLastError = true)]
    private static partial int Lock(nint address, nuint length);

    [LibraryImport(LibC, EntryPoint = "munlock", SetLastError = true)]
    private static partial int Unlock(nint address, nuint length);
}
