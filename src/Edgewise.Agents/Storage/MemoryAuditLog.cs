namespace Edgewise.Agents.Storage;

/// <summary>An in-process audit log (for tools and tests that need no durability); thread-safe.</summary>
public sealed class MemoryAuditLog : IAuditLog
{
    private readonly Lock _gate = new();
    private readonly List<AuditRecord> _records = [];

    /// <summary>A snapshot of the records, oldest first.</summary>
    public IReadOnlyList<AuditRecord> Records
    {
        get
        {
            lock (_gate)
            {
                return [.. _records];
            }
        }
    }

    /// <inheritdoc/>
    public Task AppendAsync(AuditRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        lock (_gate)
        {
            _records.Add(record);
        }

        return Task.CompletedTask;
    }
}
