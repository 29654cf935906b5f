namespace Edgewise.Models;

/// <summary>
/// The stable error codes of <see cref="ModelException"/>, for the store, downloads, loading and remote backends alike; the
/// HTTP layer maps them to status codes.
/// </summary>
public static class ModelErrorCodes
{
    /// <summary>A model name, tag, quantization or digest is malformed or would reach outside the store (M13).</summary>
    public const string InvalidModelName = "invalid_model_name";

    /// <summary>A model argument reads as a file path, and no file is there.</summary>
    public const string FileNotFound = "file_not_found";

    /// <summary>The name is neither in the store nor in the catalog.</summary>
    public const string ModelNotFound = "model_not_found";

    /// <summary>The catalog has no variant with the requested quantization.</summary>
    public const string UnknownQuantization = "unknown_quantization";

    /// <summary>The download host could not be reached (no network, DNS failure, refused connection).</summary>
    public const string Offline = "offline";

    /// <summary>The download host answered 404 for the file.</summary>
    public const string RemoteNotFound = "remote_not_found";

    /// <summary>The download host refused access (401/403: a gated repository or a missing token).</summary>
    public const string Unauthorized = "unauthorized";

    /// <summary>The download host answered with an unexpected status.</summary>
    public const string DownloadFailed = "download_failed";

    /// <summary>A redirect pointed at a host outside the allow-list, changed scheme, or there were too many.</summary>
    public const string RedirectBlocked = "redirect_blocked";

    /// <summary>The download stalled longer than the allowed time, on every attempt.</summary>
    public const string Timeout = "timeout";

    /// <summary>The downloaded or imported bytes do not have the expected sha256.</summary>
    public const string ChecksumMismatch = "checksum_mismatch";

    /// <summary>The downloaded bytes do not have the expected length.</summary>
    public const string SizeMismatch = "size_mismatch";

    /// <summary>The file is not a valid, runnable GGUF model.</summary>
    public const string InvalidModelFile = "invalid_model_file";

    /// <summary>There is not enough free disk space for the download or import.</summary>
    public const string InsufficientDisk = "insufficient_disk";

    /// <summary>The model does not fit the memory budget (M12, R01).</summary>
    public const string InsufficientMemory = "insufficient_memory";

    /// <summary>The path given to import is neither a GGUF file nor an Ollama models directory.</summary>
    public const string ImportFailed = "import_failed";

    /// <summary>A remote backend refused the request as invalid (a 4xx other than 401, 403 and 404).</summary>
    public const string RequestRejected = "request_rejected";

    /// <summary>A remote backend answered with a body that is not a valid OpenAI chat-completions response.</summary>
    public const string InvalidResponse = "invalid_response";

    /// <summary>A model's finished answer does not keep the response format or choices the request asked for (a remote backend that ignored them).</summary>
    public const string InvalidOutput = "invalid_output";

    /// <summary>No backend in a failover list answered.</summary>
    public const string BackendUnavailable = "backend_unavailable";

    /// <summary>A loaded model's file was truncated, replaced or removed; the model was unloaded and its file cannot be loaded again as it is (M14).</summary>
    public const string ModelFileChanged = "model_file_changed";
}
