using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Edgewise.Models.Storage;

namespace Edgewise.Models.Download;

/// <summary>
/// Downloads one file into a <c>.partial</c> file with HTTP range resume, then verifies its size and sha256. Redirects
/// are followed by hand: same scheme only, to the endpoint's host or an allowed host, at most
/// <see cref="DownloadOptions.MaxRedirects"/>; the token goes to the endpoint's host only. An attempt that drops or
/// stalls is resumed from the bytes already on disk; a server that ignores <c>Range</c> restarts the file from zero.
/// The partial file survives failures and cancellation (so the next run resumes) except verification failures,
/// which delete it.
/// </summary>
public sealed class ModelDownloader : IDisposable
{
    private const int BufferSize = 1 << 20;
    private const long ProgressStep = 1 << 20;
    private const long MaxFileListBytes = 32L << 20;

    private readonly HttpClient _http;
    private readonly DownloadOptions _options;

    /// <summary>Creates a downloader; <paramref name="handler"/> replaces the default socket handler (it must not follow redirects itself).</summary>
    public ModelDownloader(DownloadOptions options, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        handler ??= new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            ConnectTimeout = options.StallTimeout,
            AutomaticDecompression = DecompressionMethods.None,
        };
        _http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("edgewise", "1.0"));
    }

    /// <summary>The options in use.</summary>
    public DownloadOptions Options => _options;

    /// <summary>The address of <paramref name="file"/> in Hugging Face repository <paramref name="repo"/>.</summary>
    public Uri ResolveUrl(string repo, string file)
    {
        ArgumentException.ThrowIfNullOrEmpty(repo);
        ArgumentException.ThrowIfNullOrEmpty(file);
        var baseText = _options.Endpoint.AbsoluteUri.TrimEnd('/');
        return new Uri($"{baseText}/{repo}/resolve/{Uri.EscapeDataString(_options.Revision)}/{Uri.EscapeDataString(file)}");
    }

    /// <summary>
    /// Downloads <paramref name="url"/> into <paramref name="partialPath"/>, resuming what is there, and verifies it.
    /// The expected sha256 is <paramref name="expectedSha256"/>, else the one the endpoint publishes for the file
    /// (<c>X-Linked-Etag</c>); the expected size is <paramref name="expectedSize"/>, else the one the server declares.
    /// </summary>
    /// <exception cref="ModelException">Offline, not found, unauthorized, redirect blocked, timeout, size or checksum mismatch.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; the partial file is kept.</exception>
    public async Task<DownloadResult> DownloadAsync(Uri url, string partialPath, Sha256Digest? expectedSha256, long? expectedSize, Action<DownloadProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentException.ThrowIfNullOrEmpty(partialPath);
        var resumedFrom = File.Exists(partialPath) ? new FileInfo(partialPath).Length : 0;
        var target = new DownloadTarget(expectedSha256, expectedSize);
        for (var attempt = 1; ; attempt++)
        {
            var outcome = await AttemptAsync(url, partialPath, target, attempt, progress, cancellationToken).ConfigureAwait(false);
            if (outcome == AttemptOutcome.Complete)
            {
                var digest = Verify(partialPath, target);
                var source = expectedSha256 is not null ? DigestSource.Expected : target.Sha256 is not null ? DigestSource.Published : DigestSource.None;
                return new DownloadResult(digest, new FileInfo(partialPath).Length, attempt, resumedFrom) { DigestSource = source };
            }

            if (outcome == AttemptOutcome.Short)
            {
                // The server framed a complete body (Content-Length met, or the range it promised) that still falls
                // short of the size it stated for the file: retrying would get the same bytes.
                var arrived = File.Exists(partialPath) ? new FileInfo(partialPath).Length : 0;
                File.Delete(partialPath);
                throw SizeMismatch(target.Size ?? 0, arrived);
            }

            if (attempt >= _options.MaxAttempts)
            {
                throw outcome == AttemptOutcome.Stalled
                    ? new ModelException(ModelErrorCodes.Timeout, $"The download from {url.IdnHost} stalled on every attempt; the partial file is kept: run the same command again to resume, or set HF_ENDPOINT to a faster mirror.")
                    : new ModelException(ModelErrorCodes.Offline, $"The connection to {url.IdnHost} kept dropping; the partial file is kept: run the same command again to resume, or set HF_ENDPOINT to a mirror.");
            }

            await Task.Delay(_options.RetryDelay, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The files of Hugging Face model repository <paramref name="repo"/> at the configured revision, from the hub API
    /// (<c>GET {endpoint}/api/models/{repo}/tree/{revision}</c>), with the size and sha256 the hub states for each.
    /// </summary>
    /// <exception cref="ModelException">Offline, no such repository (404), unauthorized, or an answer that is not a file list.</exception>
    public async Task<IReadOnlyList<HubFile>> ListFilesAsync(string repo, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(repo);
        var baseText = _options.Endpoint.AbsoluteUri.TrimEnd('/');
        var url = new Uri($"{baseText}/api/models/{repo}/tree/{Uri.EscapeDataString(_options.Revision)}");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.StallTimeout);
        HttpResponseMessage response;
        try
        {
            response = await SendAsync(url, 0, new DownloadTarget(null, null), timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ModelException(ModelErrorCodes.Timeout, $"{url.IdnHost} did not answer the file list request in time.");
        }
        catch (HttpRequestException e)
        {
            throw Offline(url, e);
        }

        using (response)
        {
            switch (response.StatusCode)
            {
                case HttpStatusCode.OK:
                    break;
                case HttpStatusCode.NotFound:
                    throw new ModelException(ModelErrorCodes.RemoteNotFound, $"{url.IdnHost} has no model repository {repo} (404): check the name, or that the mirror in HF_ENDPOINT carries it.");
                case HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden:
                    throw new ModelException(ModelErrorCodes.Unauthorized, $"{url.IdnHost} refused access to {repo} ({(int)response.StatusCode}): the repository may be gated; accept its license on the website and set HF_TOKEN.");
                default:
                    throw new ModelException(ModelErrorCodes.DownloadFailed, $"{url.IdnHost} answered {(int)response.StatusCode} to the file list request for {repo}.");
            }

            if (response.Content.Headers.ContentLength > MaxFileListBytes)
            {
                throw new ModelException(ModelErrorCodes.DownloadFailed, $"{url.IdnHost} answered the file list request for {repo} with more than {MaxFileListBytes >> 20} MiB: not a file list.");
            }

            var body = await response.Content.ReadAsByteArrayAsync(timeout.Token).ConfigureAwait(false);
            return HubFile.ParseTree(body, url.IdnHost);
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _http.Dispose();

    private async Task<AttemptOutcome> AttemptAsync(Uri url, string partialPath, DownloadTarget target, int attempt, Action<DownloadProgress>? progress, CancellationToken cancellationToken)
    {
        var have = File.Exists(partialPath) ? new FileInfo(partialPath).Length : 0;
        if (target.Size is { } known && have > known)
        {
            File.Delete(partialPath);
            have = 0;
        }

        using var stall = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stall.CancelAfter(_options.StallTimeout);
        HttpResponseMessage response;
        try
        {
            response = await SendAsync(url, have, target, stall.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return AttemptOutcome.Stalled;
        }
        catch (HttpRequestException e) when (attempt == 1 && IsUnreachable(e))
        {
            throw Offline(url, e);
        }
        catch (HttpRequestException)
        {
            return AttemptOutcome.Dropped;
        }

        using (response)
        {
            long offset;
            switch (response.StatusCode)
            {
                case HttpStatusCode.PartialContent when response.Content.Headers.ContentRange is { From: { } from, Length: var length } && from == have:
                    offset = have;
                    target.Size ??= length;
                    break;
                case HttpStatusCode.PartialContent:
                    // A range we did not ask for: start over rather than stitch mismatched bytes.
                    File.Delete(partialPath);
                    return AttemptOutcome.Dropped;
                case HttpStatusCode.OK:
                    // Either a fresh start, or the server ignored Range (or If-Range failed): restart from zero.
                    offset = 0;
                    target.Size ??= response.Content.Headers.ContentLength;
                    break;
                case HttpStatusCode.RequestedRangeNotSatisfiable when have > 0 && (target.Size == have || response.Content.Headers.ContentRange?.Length == have):
                    return AttemptOutcome.Complete;
                case HttpStatusCode.RequestedRangeNotSatisfiable:
                    File.Delete(partialPath);
                    return AttemptOutcome.Dropped;
                case HttpStatusCode.NotFound:
                    throw new ModelException(ModelErrorCodes.RemoteNotFound, $"{url.IdnHost} has no such file (404): check the alias, or that the mirror in HF_ENDPOINT carries this repository.");
                case HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden:
                    throw new ModelException(ModelErrorCodes.Unauthorized, $"{url.IdnHost} refused access ({(int)response.StatusCode}): the repository may be gated; accept its license on the website and set HF_TOKEN.");
                case >= HttpStatusCode.InternalServerError:
                    return AttemptOutcome.Dropped;
                default:
                    throw new ModelException(ModelErrorCodes.DownloadFailed, $"{url.IdnHost} answered {(int)response.StatusCode} to the download request.");
            }

            target.ETag = response.Headers.ETag is { IsWeak: false } etag ? etag : null;
            EnsureDiskSpace(partialPath, target.Size - offset);
            return await CopyBodyAsync(response, partialPath, offset, target, attempt, progress, stall, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<AttemptOutcome> CopyBodyAsync(HttpResponseMessage response, string partialPath, long offset, DownloadTarget target, int attempt, Action<DownloadProgress>? progress, CancellationTokenSource stall, CancellationToken cancellationToken)
    {
        var buffer = new byte[BufferSize];
        var file = new FileStream(partialPath, offset == 0 ? FileMode.Create : FileMode.Open, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous);
        await using (file.ConfigureAwait(false))
        {
            file.SetLength(offset);
            file.Position = offset;
            var written = offset;
            var reported = -1L;
            try
            {
                var body = await response.Content.ReadAsStreamAsync(stall.Token).ConfigureAwait(false);
                await using (body.ConfigureAwait(false))
                {
                    while (true)
                    {
                        stall.CancelAfter(_options.StallTimeout);
                        var n = await body.ReadAsync(buffer, stall.Token).ConfigureAwait(false);
                        if (n == 0)
                        {
                            break;
                        }

                        await file.WriteAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
                        written += n;
                        if (target.Size is { } stated && written > stated)
                        {
                            break; // more than the hub said: Verify reports the mismatch without reading the rest
                        }

                        if (progress is not null && written - reported >= ProgressStep)
                        {
                            reported = written;
                            progress(new DownloadProgress(written, target.Size, attempt));
                        }
                    }
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return AttemptOutcome.Stalled;
            }
            catch (Exception e) when (e is IOException or HttpRequestException)
            {
                return AttemptOutcome.Dropped;
            }

            progress?.Invoke(new DownloadProgress(written, target.Size, attempt));
            if (target.Size is { } size && written < size)
            {
                // A body that ended cleanly although its length was framed (Content-Length) is all the server meant
                // to send; without framing, a clean end may be a dropped connection, so resume.
                return response.Content.Headers.ContentLength is not null ? AttemptOutcome.Short : AttemptOutcome.Dropped;
            }

            return AttemptOutcome.Complete;
        }
    }

    /// <summary>Sends the GET, following allowed redirects; records what the endpoint publishes about the file.</summary>
    private async Task<HttpResponseMessage> SendAsync(Uri url, long have, DownloadTarget target, CancellationToken cancellationToken)
    {
        var current = url;
        for (var hop = 0; ; hop++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, current);
            if (have > 0)
            {
                request.Headers.Range = new RangeHeaderValue(have, null);
                if (target.ETag is not null)
                {
                    request.Headers.IfRange = new RangeConditionHeaderValue(target.ETag);
                }
            }

            if (_options.Token is not null && string.Equals(current.IdnHost, _options.Endpoint.IdnHost, StringComparison.OrdinalIgnoreCase) && current.Port == _options.Endpoint.Port)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _options.Token);
            }

            var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            if (hop == 0)
            {
                ReadPublishedFacts(response, target);
            }

            if (!IsRedirect(response.StatusCode))
            {
                return response;
            }

            var location = response.Headers.Location;
            response.Dispose();
            if (location is null)
            {
                throw new ModelException(ModelErrorCodes.RedirectBlocked, $"{current.IdnHost} sent a redirect without a location.");
            }

            var next = location.IsAbsoluteUri ? location : new Uri(current, location);
            if (hop >= _options.MaxRedirects)
            {
                throw new ModelException(ModelErrorCodes.RedirectBlocked, $"Too many redirects from {url.IdnHost}.");
            }

            if (next.Scheme != current.Scheme || !string.IsNullOrEmpty(next.UserInfo) || !_options.IsAllowedHost(next.IdnHost))
            {
                throw new ModelException(ModelErrorCodes.RedirectBlocked, $"{current.IdnHost} redirected to {next.IdnHost}, which is not an allowed download host (or changes scheme); add it to the allowed hosts if you trust it.");
            }

            current = next;
        }
    }

    private static void ReadPublishedFacts(HttpResponseMessage response, DownloadTarget target)
    {
        if (target.Sha256 is null && response.Headers.TryGetValues("X-Linked-Etag", out var etags)
            && Sha256Digest.TryParse(etags.First().Replace("W/", string.Empty, StringComparison.Ordinal).Trim('"'), out var published))
        {
            target.Sha256 = published;
        }

        if (target.Size is null && response.Headers.TryGetValues("X-Linked-Size", out var sizes) && long.TryParse(sizes.First(), out var size) && size > 0)
        {
            target.Size = size;
        }
    }

    private static Sha256Digest Verify(string partialPath, DownloadTarget target)
    {
        var length = new FileInfo(partialPath).Length;
        if (target.Size is { } size && length != size)
        {
            File.Delete(partialPath);
            throw SizeMismatch(size, length);
        }

        var digest = Sha256Digest.OfFile(partialPath);
        if (target.Sha256 is { } expected && expected != digest)
        {
            File.Delete(partialPath);
            throw new ModelException(ModelErrorCodes.ChecksumMismatch, "The downloaded file does not have the published sha256; it was deleted. The mirror may be serving a different file.");
        }

        return digest;
    }

    private static ModelException SizeMismatch(long stated, long arrived) => new(
        ModelErrorCodes.SizeMismatch,
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"size mismatch: the hub says {stated} bytes, {arrived} arrived; the partial file was deleted. The mirror may be serving a different or truncated file."));

    private static void EnsureDiskSpace(string partialPath, long? needed)
    {
        if (needed is not { } bytes || bytes <= 0)
        {
            return;
        }

        var root = Path.GetPathRoot(Path.GetFullPath(partialPath));
        if (root is not null && new DriveInfo(root) is { IsReady: true } drive && drive.AvailableFreeSpace < bytes)
        {
            throw new ModelException(ModelErrorCodes.InsufficientDisk, "There is not enough free disk space for this model; free some space or set EDGEWISE_HOME to a larger disk.");
        }
    }

    private static bool IsRedirect(HttpStatusCode code) =>
        code is HttpStatusCode.MovedPermanently or HttpStatusCode.Found or HttpStatusCode.SeeOther or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect;

    private static bool IsUnreachable(HttpRequestException e) =>
        e.HttpRequestError is HttpRequestError.NameResolutionError or HttpRequestError.ConnectionError || e.InnerException is SocketException;

    private static ModelException Offline(Uri url, Exception inner) =>
        new(ModelErrorCodes.Offline, $"Could not reach {url.IdnHost}: check the network connection, or set {DownloadOptions.EndpointVariable} to a reachable mirror (models can also be copied in with 'edgewise import PATH').", inner);

    private enum AttemptOutcome
    {
        Complete,
        Dropped,
        Stalled,
        Short,
    }

    private sealed class DownloadTarget(Sha256Digest? sha256, long? size)
    {
        public Sha256Digest? Sha256 { get; set; } = sha256;

        public long? Size { get; set; } = size;

        public EntityTagHeaderValue? ETag { get; set; }
    }
}
