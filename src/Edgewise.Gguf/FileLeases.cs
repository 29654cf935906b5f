using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Edgewise.Gguf;

/// <summary>
/// Linux file leases for mapped model files (<c>fcntl(F_SETLEASE, F_RDLCK)</c>). When another process opens a
/// leased file for writing or truncates it, the kernel holds that process back and sends this one SIGIO; the model
/// using the file is then retired and unmapped (releasing the lease) before the truncation can proceed, so no
/// request reads a page that is gone. The wait is bounded by <c>/proc/sys/fs/lease-break-time</c> (45 s by
/// default), after which the kernel breaks the lease anyway.
/// </summary>
public static partial class FileLeases
{
    private const int SetLease = 1024;
    private const int GetLease = 1025;
    private const int ReadLock = 0;
    private const int Unlock = 2;
    private const int SigIo = 29;

    private static readonly Lock s_gate = new();
    private static PosixSignalRegistration? s_registration;

    /// <summary>Raised (on a thread-pool thread) when the kernel signals that some lease of this process is being broken.</summary>
    public static event Action? BreakSignalled;

    internal static void EnsureSignalHandler()
    {
        lock (s_gate)
        {
            s_registration ??= PosixSignalRegistration.Create((PosixSignal)SigIo, context =>
            {
                // SIGIO's default action ends the process; here it only says "look at your leases".
                context.Cancel = true;
                if (BreakSignalled is { } handlers)
                {
                    ThreadPool.UnsafeQueueUserWorkItem(static h => h(), handlers, preferLocal: false);
                }
            });
        }
    }

    internal static bool SetReadLease(SafeFileHandle handle)
    {
        var added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            return Fcntl(handle.DangerousGetHandle().ToInt32(), SetLease, ReadLock) == 0;
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    internal static bool IsBreaking(SafeFileHandle handle)
    {
        var added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            // While a lease is being broken, F_GETLEASE answers the type it is being downgraded to.
            return Fcntl(handle.DangerousGetHandle().ToInt32(), GetLease, 0) == Unlock;
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int command, int argument);
}
