using System.Text.Json;
using System.Threading.Channels;
using Edgewise.Models;
using Edgewise.Models.Catalog;
using Edgewise.Models.Download;
using Edgewise.Models.Hardware;
using Edgewise.Models.Management;
using Edgewise.Server.Errors;
using Edgewise.Server.Http;
using Microsoft.AspNetCore.Http;

namespace Edgewise.Server.Ollama;

/// <summary>The body of Ollama's <c>POST /api/pull</c>.</summary>
internal sealed class OllamaPullRequest
{
    public string? Model { get; set; }

    public string? Name { get; set; }

    public bool? Stream { get; set; }

    public bool? Insecure { get; set; }
}

/// <summary>One NDJSON line of a pull: a status, with byte counts while downloading.</summary>
internal sealed record OllamaPullStatusDto(string Status)
{
    public string? Digest { get; init; }

    public long? Total { get; init; }

    public long? Completed { get; init; }
}

/// <summary>
/// <c>POST /api/pull</c>: resolves the name in the catalog — an Ollama-style name or an alias (only catalog models: no arbitrary URLs), picks the variant
/// that fits the memory budget when no quantization is named, and downloads it through <see cref="ModelPuller"/> into
/// <see cref="ServerOptions.Store"/> (resumable, verified, then registered). Streams Ollama's NDJSON statuses
/// ("pulling manifest", "pulling DIGEST" with total/completed at each whole percent, "verifying sha256 digest",
/// "writing manifest", "success"); with <c>stream: false</c> only the last. One pull runs at a time; others wait.
/// </summary>
internal sealed class OllamaPull(ServerOptions options, ModelManager manager) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    public async Task RunAsync(HttpContext context)
    {
        var request = await JsonBody.ReadAsync<OllamaPullRequest>(context, options.MaxRequestBodyBytes, contentTypeOptional: true).ConfigureAwait(false);
        var name = request.Model ?? request.Name ?? throw ApiException.Invalid("model is required.", "model", ErrorCodes.MissingField);
        var store = options.Store ?? throw new ApiException(404, ErrorTypes.NotFound, ErrorCodes.NotFound, "Pulling models is not available on this server.");
        if (!ModelReference.TryParse(name, out var reference))
        {
            throw ApiException.Invalid("The model name is not valid.", "model", ErrorCodes.InvalidModelName);
        }

        CatalogModel model;
        CatalogVariant variant;
        try
        {
            // Ollama's clients send the names people type (llama3.2, qwen2.5:0.5b-instruct-q8_0); a catalog alias with an
            // optional quantization tag (qwen2.5-0.5b:q8_0) is the other spelling.
            var catalog = options.Catalog ?? ModelCatalog.BuiltIn;
            CatalogVariant? named;
            if (!catalog.TryResolveName(name, out model, out named))
            {
                (model, named) = catalog.Resolve(reference);
            }

            variant = named ?? VariantSelector.Choose(model, manager.MemoryBudgetBytes)
                ?? throw new ModelException(ModelErrorCodes.InsufficientMemory, "No variant fits.");
        }
        catch (ModelException e)
        {
            throw Translate(e);
        }

        var stream = request.Stream ?? true;
        var writer = new Writer(context, stream);
        await writer.WriteAsync(new OllamaPullStatusDto("pulling manifest")).ConfigureAwait(false);
        await _gate.WaitAsync(context.RequestAborted).ConfigureAwait(false);
        try
        {
            var digest = variant.Sha256 is { } sha ? "sha256:" + sha.ToLowerInvariant() : null;
            var label = "pulling " + (digest is null ? variant.File : digest[7..19]);
            var progress = Channel.CreateUnbounded<DownloadProgress>(new UnboundedChannelOptions { SingleReader = true });
            var pull = PullAsync(store, model, variant, progress.Writer, context.RequestAborted);
            var lastPercent = -1L;
            await foreach (var p in progress.Reader.ReadAllAsync(context.RequestAborted).ConfigureAwait(false))
            {
                var percent = p.TotalBytes is > 0 and var total ? p.BytesReceived * 100 / total : p.BytesReceived >> 20;
                if (percent != lastPercent)
                {
                    lastPercent = percent;
                    await writer.WriteAsync(new OllamaPullStatusDto(label) { Digest = digest, Total = p.TotalBytes, Completed = p.BytesReceived }).ConfigureAwait(false);
                }
            }

            Models.Storage.ModelManifest manifest;
            try
            {
                manifest = await pull.ConfigureAwait(false);
            }
            catch (ModelException e)
            {
                var error = Translate(e);
                if (!writer.Started)
                {
                    throw error;
                }

                await writer.WriteErrorAsync(error.Message).ConfigureAwait(false);
                return;
            }

            await writer.WriteAsync(new OllamaPullStatusDto(label) { Digest = manifest.Digest, Total = manifest.Size, Completed = manifest.Size }).ConfigureAwait(false);
            await writer.WriteAsync(new OllamaPullStatusDto("verifying sha256 digest")).ConfigureAwait(false);
            await writer.WriteAsync(new OllamaPullStatusDto("writing manifest")).ConfigureAwait(false);
            await writer.WriteAsync(new OllamaPullStatusDto("success"), last: true).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();

    private async Task<Models.Storage.ModelManifest> PullAsync(Models.Storage.ModelStore store, CatalogModel model, CatalogVariant variant, ChannelWriter<DownloadProgress> progress, CancellationToken cancellationToken)
    {
        await Task.Yield();
        try
        {
            using var downloader = new ModelDownloader(options.Download ?? DownloadOptions.FromEnvironment());
            return await new ModelPuller(store, downloader).PullAsync(model, variant, p => progress.TryWrite(p), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            progress.TryComplete();
        }
    }

    /// <summary>Fixed messages per failure class (H18: nothing from the remote or the file system is echoed).</summary>
    private static ApiException Translate(ModelException e) => e.Code switch
    {
        ModelErrorCodes.ModelNotFound or ModelErrorCodes.UnknownQuantization or ModelErrorCodes.RemoteNotFound =>
            new ApiException(404, ErrorTypes.InvalidRequest, ErrorCodes.ModelNotFound, "The model is not in the catalog, or not in that quantization.", "model"),
        ModelErrorCodes.InsufficientMemory => ApiException.Busy(ErrorCodes.InsufficientMemory, "No variant of the model fits the memory budget.", TimeSpan.FromSeconds(2)),
        ModelErrorCodes.InsufficientDisk => new ApiException(507, ErrorTypes.Server, e.Code, "Not enough free disk space for the model."),
        ModelErrorCodes.ChecksumMismatch or ModelErrorCodes.SizeMismatch => new ApiException(502, ErrorTypes.Server, e.Code, "The download did not match its expected size or checksum."),
        ModelErrorCodes.InvalidModelFile => new ApiException(502, ErrorTypes.Server, e.Code, "The downloaded file is not a runnable GGUF model."),
        _ => new ApiException(502, ErrorTypes.Server, ErrorCodes.ModelUnavailable, "The download failed; retry later."),
    };

    /// <summary>Writes NDJSON lines when streaming; otherwise only the last status as one JSON object.</summary>
    private sealed class Writer(HttpContext context, bool stream)
    {
        public bool Started { get; private set; }

        public async Task WriteAsync(OllamaPullStatusDto status, bool last = false)
        {
            if (!stream && !last)
            {
                return;
            }

            await WriteBytesAsync(JsonSerializer.SerializeToUtf8Bytes(status, ServerJsonContext.Info<OllamaPullStatusDto>(ServerJsonContext.BodyOptions))).ConfigureAwait(false);
        }

        public Task WriteErrorAsync(string message) => WriteBytesAsync(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["error"] = message }, ServerJsonContext.Default.DictionaryStringString));

        private async Task WriteBytesAsync(byte[] json)
        {
            if (!Started)
            {
                Started = true;
                context.Response.ContentType = stream ? "application/x-ndjson" : "application/json";
            }

            await context.Response.Body.WriteAsync(json, context.RequestAborted).ConfigureAwait(false);
            if (stream)
            {
                await context.Response.Body.WriteAsync("\n"u8.ToArray(), context.RequestAborted).ConfigureAwait(false);
            }

            await context.Response.Body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
        }
    }
}
