using System.Security.Cryptography.X509Certificates;
using Edgewise.Agents.Configuration;
using Edgewise.Models.Catalog;
using Edgewise.Models.Download;
using Edgewise.Models.Hardware;
using Edgewise.Models.Management;
using Edgewise.Models.Storage;

namespace Edgewise.Server;

/// <summary>
/// Settings of <see cref="EdgewiseServer"/>. Null or default values mean the documented defaults of docs/security.md §3:
/// bind 127.0.0.1:11435, no keys on loopback, 4 MiB bodies, a queue of 32 per model with 4 parallel sequences,
/// 2 concurrent requests per key, 30 s queue wait, an SSE keep-alive comment every 15 s.
/// </summary>
public sealed partial class ServerOptions
{
    /// <summary>The default port.</summary>
    public const int DefaultPort = 11435;

    /// <summary>
    /// The profile whose defaults these options started from (default <see cref="ServerProfile.Development"/>); in
    /// <see cref="ServerProfile.Production"/> the server refuses to start without API keys, even on loopback, and
    /// refuses CORS origins. Set it with <see cref="ApplyProfile"/> so the limits follow.
    /// </summary>
    public ServerProfile Profile { get; private set; } = ServerProfile.Development;

    /// <summary>Address to bind (default 127.0.0.1). A non-loopback address needs <see cref="ApiKeys"/> (H01).</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>Port to bind (default 11435; 0 picks a free port).</summary>
    public int Port { get; set; } = DefaultPort;

    /// <summary>API keys; when any is set every route except <c>/health/live</c> requires one (H02).</summary>
    public IList<string> ApiKeys { get; } = [];

    /// <summary>Host header values accepted besides localhost, 127.0.0.1, ::1 and the bind address (H03).</summary>
    public IList<string> AllowedHosts { get; } = [];

    /// <summary>Exact browser origins that get CORS headers; none by default (H03).</summary>
    public IList<string> AllowedOrigins { get; } = [];

    /// <summary>
    /// The loaded <c>edgewise.yaml</c> (models with their settings, agents, routers, MCP servers), or null when serving
    /// without one. Its models are registered beside <see cref="Models"/>.
    /// </summary>
    public EdgewiseConfig? Configuration { get; set; }

    /// <summary>Models registered at start: a name clients use and the GGUF file it loads.</summary>
    public IList<ServerModel> Models { get; } = [];

    /// <summary>Largest request body, after decompression (default 4 MiB; H04).</summary>
    public long MaxRequestBodyBytes { get; set; } = 4L * 1024 * 1024;

    /// <summary>Admission control settings.</summary>
    public AdmissionOptions Admission { get; } = new();

    /// <summary>Connection limits against slow or idle clients (H10, H15).</summary>
    public ConnectionOptions Connections { get; } = new();

    /// <summary>How the pools of remote models check their backends' health (time-out, how long a result holds).</summary>
    public Edgewise.Models.Remote.BackendPoolOptions RemoteBackends { get; } = new();

    /// <summary>The server certificate (with its private key); when set the server speaks HTTPS only. Null: plain HTTP.</summary>
    public X509Certificate2? Certificate { get; set; }

    /// <summary>Interval of the SSE keep-alive comment (default 15 s; H16).</summary>
    public TimeSpan StreamKeepAlive { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long in-flight requests may run after SIGTERM (default 30 s; S01).</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Directory whose free disk space readiness watches (default: the current directory).</summary>
    public string? DataDirectory { get; set; }

    /// <summary>Readiness reports 503 below this much free disk (default 256 MiB).</summary>
    public long MinFreeDiskBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>Model manager options (memory budget, keep-alive); null for defaults.</summary>
    public ModelManagerOptions? ModelManager { get; set; }

    /// <summary>Resolves names that were not registered at start (e.g. the model store); null for none.</summary>
    public IModelResolver? FallbackResolver { get; set; }

    /// <summary>The model store <c>/api/pull</c> downloads into; null: pulling is not offered (404).</summary>
    public ModelStore? Store { get; set; }

    /// <summary>The catalog <c>/api/pull</c> resolves names in; null for the built-in catalog.</summary>
    public ModelCatalog? Catalog { get; set; }

    /// <summary>Download settings for <c>/api/pull</c> (endpoint, retries); null: from the environment (HF_ENDPOINT, HF_TOKEN).</summary>
    public DownloadOptions? Download { get; set; }

    /// <summary>Model loader; null for the embedded engine (<see cref="LocalModelLoader"/>).</summary>
    public IModelLoader? Loader { get; set; }

    /// <summary>Memory probe; null for the system probe.</summary>
    public IMemoryProbe? Memory { get; set; }

    /// <summary>
    /// The least severe log events written to standard error (default Warning; <c>edgewise serve</c> uses Information,
    /// which writes one line per request and per model load and unload). Stack traces are written only at Debug and Trace.
    /// </summary>
    public Microsoft.Extensions.Logging.LogLevel LogLevel { get; set; } = Microsoft.Extensions.Logging.LogLevel.Warning;

    /// <summary>Text lines (default) or one JSON object per line.</summary>
    public Logging.LogFormat LogFormat { get; set; } = Logging.LogFormat.Text;

    /// <summary>
    /// Switches to <paramref name="profile"/> and resets the body, admission, connection and shutdown limits to its
    /// defaults (docs/server.md lists them). Call it before setting individual limits.
    /// </summary>
    public void ApplyProfile(ServerProfile profile)
    {
        Profile = profile;
        var production = profile == ServerProfile.Production;
        MaxRequestBodyBytes = production ? 1L * 1024 * 1024 : 4L * 1024 * 1024;
        ShutdownTimeout = TimeSpan.FromSeconds(30);
        Admission.ParallelSequences = 4;
        Admission.QueueLength = production ? 16 : 32;
        Admission.PerKeyConcurrency = 2;
        Admission.QueueTimeout = production ? TimeSpan.FromSeconds(15) : TimeSpan.FromSeconds(30);
        Connections.HeadersTimeout = production ? TimeSpan.FromSeconds(10) : TimeSpan.FromSeconds(30);
        Connections.KeepAliveTimeout = production ? TimeSpan.FromSeconds(30) : TimeSpan.FromMinutes(2);
        Connections.MaxConnections = production ? 256 : 1024;
        Connections.MinDataRateBytesPerSecond = 240;
        Connections.MinDataRateGracePeriod = TimeSpan.FromSeconds(5);
        Connections.MaxResponseBufferBytes = 64 * 1024;
    }
}

/// <summary>Configuration profiles: sets of defaults (docs/server.md).</summary>
public enum ServerProfile
{
    /// <summary>docs/security.md §3 defaults: no keys asked on loopback, 4 MiB bodies, queue 32.</summary>
    Development,

    /// <summary>Stricter: API keys required on every bind, no CORS, 1 MiB bodies, queue 16, shorter timeouts.</summary>
    Production,
}

/// <summary>Kestrel connection limits (docs/security.md H10 slowloris and idle connections, H15 slow readers).</summary>
public sealed class ConnectionOptions
{
    /// <summary>Time a client has to send all request headers (default 30 s); slower connections are closed.</summary>
    public TimeSpan HeadersTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an idle keep-alive connection stays open (default 2 min).</summary>
    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Open connections at most (default 1024); more are refused at accept.</summary>
    public long MaxConnections { get; set; } = 1024;

    /// <summary>
    /// Slowest request body upload and response download allowed, in bytes per second after
    /// <see cref="MinDataRateGracePeriod"/> (default 240, Kestrel's): a client trickling a body or never reading a stream
    /// is disconnected, which cancels its generation and frees its slot.
    /// </summary>
    public double MinDataRateBytesPerSecond { get; set; } = 240;

    /// <summary>Time before <see cref="MinDataRateBytesPerSecond"/> is enforced (default 5 s; more than 1 s).</summary>
    public TimeSpan MinDataRateGracePeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Response bytes buffered per connection before writes wait for the client (default 64 KiB; H15).</summary>
    public long MaxResponseBufferBytes { get; set; } = 64 * 1024;
}

/// <summary>A model registered at start.</summary>
/// <param name="Name">The name clients put in <c>model</c>.</param>
/// <param name="Path">The GGUF file.</param>
/// <param name="Settings">Its settings (context length, parallel sequences, ...); null for defaults.</param>
public sealed record ServerModel(string Name, string Path, ModelSettings? Settings = null)
{
    /// <summary>Load it when the server starts, in the background, whatever <see cref="Settings"/> say (<c>edgewise serve -m</c> does).</summary>
    public bool Preload { get; init; }
}

/// <summary>Admission control settings (docs/security.md §3 "Concurrency" and "Timeouts").</summary>
public sealed class AdmissionOptions
{
    /// <summary>The fewest parallel sequences a model can run (<c>--parallel</c> and <c>server.limits.parallel</c>).</summary>
    public const int MinParallelSequences = 1;

    /// <summary>The most parallel sequences a model can run (<c>--parallel</c> and <c>server.limits.parallel</c>).</summary>
    public const int MaxParallelSequences = 256;

    /// <summary>Requests running at once per model (default 4).</summary>
    public int ParallelSequences { get; set; } = 4;

    /// <summary>Requests waiting per model beyond those running (default 32); more get 503 (H11).</summary>
    public int QueueLength { get; set; } = 32;

    /// <summary>Requests per API key at once, running or waiting (default 2); more get 429 (H12).</summary>
    public int PerKeyConcurrency { get; set; } = 2;

    /// <summary>Longest wait in the queue before 503 (default 30 s).</summary>
    public TimeSpan QueueTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
