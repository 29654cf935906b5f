using System.Diagnostics;
using Edgewise.Models.Management;
using Edgewise.Server.Telemetry;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace Edgewise.Server.Hosting;

/// <summary>
/// Writes one log line per model load (name, bytes, milliseconds; on failure the cause and its code,
/// <see cref="ModelHost.LoadFailure"/>) and per unload (category <c>Edgewise.Models</c>), and counts failed loads in the
/// model metrics, for local and remote models alike. While a local load runs the server is marked as loading, so
/// readiness reports 503 meanwhile (H09); a remote model's "load" creates its backend pool, takes no time and maps
/// nothing, so readiness is not affected by it.
/// </summary>
internal sealed partial class TrackingModelLoader(IModelLoader inner, ServerState state, ModelCallRecorder? recorder, ILogger logger) : IModelLoader
{
    /// <summary>Set in <see cref="Exception.Data"/> of a load failure this loader has logged.</summary>
    public const string LoggedKey = "edgewise.load_logged";

    public ILoadedModel Load(ModelDescriptor descriptor, CancellationToken cancellationToken)
    {
        var local = !descriptor.IsRemote;
        if (local)
        {
            state.LoadStarted();
        }

        var started = Stopwatch.GetTimestamp();
        try
        {
            var loaded = inner.Load(descriptor, cancellationToken);
            LogLoaded(logger, descriptor.Name, descriptor.MemoryBytes, Milliseconds(started));
            return new Logged(loaded, descriptor, logger);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            recorder?.RecordLoadFailure(descriptor.Name);
            var cause = ModelHost.LoadFailure(e, descriptor.Path);
            LogLoadFailed(logger, descriptor.Name, descriptor.MemoryBytes, Milliseconds(started), cause?.Code ?? "model_unavailable", cause?.Message ?? e.GetType().Name + ": " + e.Message);
            if (logger.IsEnabled(LogLevel.Debug))
            {
                LogLoadException(logger, descriptor.Name, e);
            }

            e.Data[LoggedKey] = true;
            throw;
        }
        finally
        {
            if (local)
            {
                state.LoadEnded();
            }
        }
    }

    private static long Milliseconds(long started) => (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds;

    [LoggerMessage(Level = LogLevel.Information, Message = "Loaded model {Model}: {Bytes} bytes in {Ms} ms")]
    private static partial void LogLoaded(ILogger logger, string model, long bytes, long ms);

    [LoggerMessage(Level = LogLevel.Error, Message = "Loading model {Model} ({Bytes} bytes) failed after {Ms} ms: {Code}: {Cause}")]
    private static partial void LogLoadFailed(ILogger logger, string model, long bytes, long ms, string code, string cause);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Loading model {Model} failed")]
    private static partial void LogLoadException(ILogger logger, string model, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Unloaded model {Model}: {Bytes} bytes freed after {Ms} ms loaded")]
    private static partial void LogUnloaded(ILogger logger, string model, long bytes, long ms);

    /// <summary>The loaded model, logging its unload when the manager disposes it; the file lease and locked bytes pass through.</summary>
    private sealed class Logged(ILoadedModel inner, ModelDescriptor descriptor, ILogger logger) : ILoadedModel, IFileLeaseHolder, ILockedMemory
    {
        private readonly long _loaded = Stopwatch.GetTimestamp();
        private int _disposed;

        public IChatClient ChatClient => inner.ChatClient;

        public bool LeaseBreaking => inner is IFileLeaseHolder { LeaseBreaking: true };

        public long LockedBytes => inner is ILockedMemory locked ? locked.LockedBytes : 0;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                inner.Dispose();
                LogUnloaded(logger, descriptor.Name, descriptor.MemoryBytes, Milliseconds(_loaded));
            }
        }
    }
}
