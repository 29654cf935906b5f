using System.Globalization;
using Edgewise.Models.Catalog;
using Edgewise.Server.Agents;
using Edgewise.Server.Errors;
using Edgewise.Server.Hosting;
using Edgewise.Server.Http;
using Edgewise.Server.OpenAi;
using Edgewise.Server.Storage;
using Edgewise.Server.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Edgewise.Server.WebConsole;

/// <summary>
/// API routes that gather what other routes give one by one, for the console and any other client, behind the API key
/// like every route: <c>GET /v1/approvals</c> (the caller's pending approvals across sessions), <c>GET /admin/audit</c>
/// (audit rows with their chain hashes, so a client can verify the chain itself) and <c>GET /admin/models</c> (store,
/// catalog, loaded models and the memory budget) and <c>GET /admin/stats/series</c> (request statistics per time bucket).
/// </summary>
internal static class ConsoleApiEndpoints
{
    /// <summary>The most audit rows one request returns.</summary>
    public const int MaxAuditRows = 1000;

    /// <summary>The most sessions with pending approvals one request lists.</summary>
    public const int MaxApprovalSessions = 100;

    public static IEndpointRouteBuilder MapConsoleApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/approvals", ApprovalsAsync);
        app.MapGet("/admin/audit", AuditAsync);
        app.MapGet("/admin/models", Models);
        app.MapGet("/admin/stats/series", Series);
        app.MapGet("/admin/mcp", McpAsync);
        return app;
    }

    /// <summary>
    /// <c>GET /admin/mcp</c>: each configured MCP server's tools with description, definition hash and pinned / changed
    /// / new, as <c>edgewise mcp ls</c> prints them (pins are written with <c>edgewise mcp pin</c>). Starts the servers
    /// that agents have not started yet.
    /// </summary>
    private static async Task McpAsync(HttpContext context, AgentCatalog catalog)
    {
        var listings = await catalog.McpListingAsync(context.RequestAborted).ConfigureAwait(false);
        var data = listings.Select(l => new McpServerDto(
            l.Server,
            l.Error,
            l.Tools.Select(t => new McpToolDto(t.Tool, t.Description, t.Hash, t.Status, t.PinnedHash, t.Enabled)).ToList(),
            l.MissingPins)).ToList();
        await OpenAiEndpoints.WriteJsonAsync(context, new ListDto<McpServerDto>(data)).ConfigureAwait(false);
    }

    /// <summary>
    /// <c>GET /admin/stats/series?minutes=60&amp;step=60</c>: the statistics of <c>/admin/stats</c> for each step-long
    /// bucket of the window, oldest first (at most 720 buckets), for charts over time.
    /// </summary>
    private static IResult Series(HttpContext context, RequestLog log, TimeProvider clock)
    {
        static double? Read(HttpContext context, string name, double fallback)
        {
            if (!context.Request.Query.TryGetValue(name, out var text))
            {
                return fallback;
            }

            return double.TryParse(text.ToString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value) ? value : null;
        }

        var minutes = Read(context, "minutes", 60);
        var step = Read(context, "step", 60);
        if (minutes is not { } window || window <= 0 || window > 24 * 60)
        {
            throw ApiException.Invalid("minutes must be a number above 0 and at most 1440.", "minutes");
        }

        if (step is not { } seconds || seconds < 1 || window * 60 / seconds > 720)
        {
            throw ApiException.Invalid("step must be at least 1 second and the window at most 720 steps.", "step");
        }

        var now = clock.GetUtcNow();
        var from = now.AddMinutes(-window);
        var records = log.Since(from);
        var truncated = log.Total > log.Capacity && records.Count >= log.Capacity;
        var count = (int)Math.Ceiling(window * 60 / seconds);
        var buckets = new List<ServerStats>(count);
        for (var i = 0; i < count; i++)
        {
            var start = from.AddSeconds(i * seconds);
            var end = i == count - 1 ? now : from.AddSeconds((i + 1) * seconds);
            var inside = records.Where(r => r.At >= start && r.At < end).ToList();
            buckets.Add(StatsCalculator.Summarize(inside, (end - start).TotalMinutes, end, truncated));
        }

        return Results.Json(new SeriesDto(window, seconds, buckets), ServerJsonContext.Info<SeriesDto>(ServerJsonContext.WireOptions));
    }

    /// <summary>
    /// With PostgreSQL storage: the caller's most recently updated sessions, read through the store (which has no
    /// pending-approval filter), so the loop below keeps only the ones with approvals waiting.
    /// </summary>
    private static async Task<List<string>> PendingIdsFromStoreAsync(AgentSessions sessions, string owner, CancellationToken cancel)
    {
        var store = await sessions.StoreAsync(cancel).ConfigureAwait(false);
        var recent = await AgentSessions.Guard(() => store.ListAsync(owner, MaxApprovalSessions, cancel)).ConfigureAwait(false);
        return [.. recent.Select(s => s.Id)];
    }

    private static async Task ApprovalsAsync(HttpContext context, AgentSessions sessions)
    {
        var data = new List<PendingApprovalRowDto>();
        if (sessions.Enabled)
        {
            var owner = SessionOwner.Of(context);
            var cancel = context.RequestAborted;
            var database = await sessions.DatabaseAsync(cancel).ConfigureAwait(false);
            var ids = database is null
                ? await PendingIdsFromStoreAsync(sessions, owner, cancel).ConfigureAwait(false)
                : await AgentSessions.Guard(async () =>
            {
                var connection = await database.OpenReadConnectionAsync(cancel).ConfigureAwait(false);
                await using (connection.ConfigureAwait(false))
                {
                    using var command = connection.CreateCommand();
                    command.CommandText = "SELECT id FROM sessions WHERE owner = $owner AND pending_approvals <> '[]' ORDER BY updated_ticks DESC LIMIT $n";
                    command.Parameters.AddWithValue("$owner", owner);
                    command.Parameters.AddWithValue("$n", MaxApprovalSessions);
                    var list = new List<string>();
                    using var reader = await command.ExecuteReaderAsync(cancel).ConfigureAwait(false);
                    while (await reader.ReadAsync(cancel).ConfigureAwait(false))
                    {
                        list.Add(reader.GetString(0));
                    }

                    return list;
                }
            }).ConfigureAwait(false);
            var now = sessions.Clock.GetUtcNow();
            foreach (var id in ids)
            {
                AgentSessionView? view = null;
                try
                {
                    var session = await sessions.GetOwnedAsync(id, owner, cancel).ConfigureAwait(false);
                    view = new AgentSessionView(session.Id, session.AgentName, session.PendingApprovals);
                }
                catch (ApiException e) when (e.Status == 404)
                {
                    // Deleted between the listing and the read.
                }

                if (view is null)
                {
                    continue;
                }

                foreach (var request in view.Pending)
                {
                    var dto = AgentWire.Approval(request);
                    data.Add(new PendingApprovalRowDto(view.Id, view.Agent, dto.CallId, dto.Tool, dto.Arguments, dto.ArgumentsHash, dto.RequestedAt, dto.ExpiresAt, dto.ExpiresAt <= now));
                }
            }
        }

        await OpenAiEndpoints.WriteJsonAsync(context, new ListDto<PendingApprovalRowDto>(data)).ConfigureAwait(false);
    }

    private sealed record AgentSessionView(string Id, string? Agent, IEnumerable<Edgewise.Agents.ApprovalRequest> Pending);

    private static async Task AuditAsync(HttpContext context, AgentSessions sessions)
    {
        var limit = 200;
        var query = context.Request.Query;
        if (query.TryGetValue("limit", out var raw)
            && (!int.TryParse(raw.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxAuditRows))
        {
            throw ApiException.Invalid("limit must be an integer from 1 to " + MaxAuditRows + ".", "limit");
        }

        string? sessionFilter = null;
        if (query.TryGetValue("session_id", out var sessionRaw))
        {
            sessionFilter = sessionRaw.ToString();
            if (!AgentSessions.IsWellFormedId(sessionFilter))
            {
                throw ApiException.Invalid("session_id must be a session id (32 lowercase hex characters).", "session_id");
            }
        }

        if (!sessions.Enabled)
        {
            await OpenAiEndpoints.WriteJsonAsync(context, new AuditPageDto(SqliteAuditLog.GenesisHash, 0, [], new AuditVerificationDto(true, 0, null, SqliteAuditLog.GenesisHash))).ConfigureAwait(false);
            return;
        }

        var cancel = context.RequestAborted;
        var owner = SessionOwner.Of(context);
        var everyone = owner == SessionOwner.Local;
        var listing = await sessions.AuditListingAsync(cancel).ConfigureAwait(false);
        var page = await AgentSessions.Guard(() => listing.ListAsync(sessionFilter, limit, cancel)).ConfigureAwait(false);
        var rows = page.Rows.Select(r => everyone || string.Equals(r.Owner, owner, StringComparison.Ordinal)
                ? new AuditRowDto(r.Seq, r.Timestamp, r.SessionId, r.Agent, r.Kind, r.Detail, r.Tool, r.CallId, r.ArgumentsHash, r.PreviousHash, r.Hash, false)
                : new AuditRowDto(r.Seq, null, null, null, null, null, null, null, null, r.PreviousHash, r.Hash, true))
            .ToList();
        var (total, verification) = (page.Total, page.Verification);

        if (sessionFilter is not null && rows.Count > 0 && rows.All(r => r.Redacted))
        {
            throw AgentSessions.NotFound();
        }

        await OpenAiEndpoints.WriteJsonAsync(
            context,
            new AuditPageDto(SqliteAuditLog.GenesisHash, total, rows, new AuditVerificationDto(verification.IsValid, verification.RowsChecked, verification.FirstBrokenSeq, verification.HeadHash))).ConfigureAwait(false);
    }

    /// <summary>One audit row as stored (the timestamp as its stored text, so a client can recompute the hash); redacted rows keep only the chain.</summary>
    internal sealed record AuditRowDto(long Seq, string? Ts, string? SessionId, string? Agent, string? Kind, string? Detail, string? Tool, string? CallId, string? ArgsHash, string PrevHash, string Hash, bool Redacted);

    private static Task Models(HttpContext context, ModelHost host, ServerOptions options)
    {
        var stored = options.Store?.List() ?? [];
        var store = stored.Select(m => new StoredModelDto(m.FullName, m.Size, m.Architecture, m.Parameters, m.ContextLength, m.Digest, m.Source.Kind, m.Created)).ToList();
        var inStore = new HashSet<string>(stored.Select(m => m.FullName), StringComparer.OrdinalIgnoreCase);
        var catalog = ModelCatalog.BuiltIn.Models.Select(m => new CatalogModelDto(
            m.Alias,
            m.Family,
            m.Description,
            m.Parameters,
            m.ContextLength,
            m.Tags,
            m.License,
            m.Variants.Select(v => new CatalogVariantDto(v.Quant, v.Bytes, inStore.Contains(ModelReference.Create(m.Alias, v.Quant).ToString()))).ToList())).ToList();
        var loaded = host.Manager.Loaded.Select(m => new LoadedModelDto(m.Name, m.MemoryBytes, m.Leases, m.Pinned, m.LoadedAt, m.ExpiresAt)).ToList();
        var served = host.Resolver.Names.ToList();
        return OpenAiEndpoints.WriteJsonAsync(
            context,
            new AdminModelsDto(served, store, catalog, loaded, new MemoryDto(host.Manager.MemoryBudgetBytes, host.Manager.UsedBytes)));
    }

    /// <summary><c>GET /admin/stats/series</c>.</summary>
    internal sealed record SeriesDto(double WindowMinutes, double StepSeconds, IReadOnlyList<ServerStats> Buckets);

    /// <summary>One configured MCP server of <c>GET /admin/mcp</c>.</summary>
    internal sealed record McpServerDto(string Server, string? Error, IReadOnlyList<McpToolDto> Tools, IReadOnlyList<string> MissingPins);

    /// <summary>One tool of an MCP server.</summary>
    internal sealed record McpToolDto(string Tool, string Description, string Hash, string Status, string? PinnedHash, bool Enabled);

    /// <summary>One pending approval of <c>GET /v1/approvals</c>.</summary>
    internal sealed record PendingApprovalRowDto(
        string SessionId,
        string? Agent,
        string CallId,
        string Tool,
        System.Text.Json.JsonElement Arguments,
        string ArgumentsHash,
        DateTimeOffset RequestedAt,
        DateTimeOffset ExpiresAt,
        bool Expired);

    /// <summary><c>GET /admin/audit</c>: a page of rows and the verification of the whole chain.</summary>
    internal sealed record AuditPageDto(string GenesisHash, long Total, IReadOnlyList<AuditRowDto> Data, AuditVerificationDto Verification)
    {
        [System.Text.Json.Serialization.JsonPropertyOrder(-1)]
        public string Object => "list";
    }

    /// <summary>The chain check of <see cref="AuditPageDto"/>.</summary>
    internal sealed record AuditVerificationDto(bool Valid, long RowsChecked, long? FirstBrokenSeq, string HeadHash);

    /// <summary><c>GET /admin/models</c>.</summary>
    internal sealed record AdminModelsDto(IReadOnlyList<string> Served, IReadOnlyList<StoredModelDto> Store, IReadOnlyList<CatalogModelDto> Catalog, IReadOnlyList<LoadedModelDto> Loaded, MemoryDto Memory);

    /// <summary>A model in the store.</summary>
    internal sealed record StoredModelDto(string Name, long Size, string Architecture, long Parameters, int ContextLength, string Digest, string Source, DateTimeOffset Created);

    /// <summary>A catalog entry.</summary>
    internal sealed record CatalogModelDto(string Alias, string Family, string Description, long Parameters, int ContextLength, IReadOnlyList<string> Tags, string License, IReadOnlyList<CatalogVariantDto> Variants);

    /// <summary>A catalog variant and whether it is stored.</summary>
    internal sealed record CatalogVariantDto(string Quant, long Bytes, bool InStore);

    /// <summary>A loaded model.</summary>
    internal sealed record LoadedModelDto(string Name, long MemoryBytes, int Leases, bool Pinned, DateTimeOffset LoadedAt, DateTimeOffset? ExpiresAt);

    /// <summary>The model memory budget and its use.</summary>
    internal sealed record MemoryDto(long BudgetBytes, long UsedBytes);
}
