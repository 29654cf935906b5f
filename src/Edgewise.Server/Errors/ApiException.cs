namespace Edgewise.Server.Errors;

/// <summary>
/// An expected request failure with a status, an OpenAI error type and code, the offending parameter when known and a
/// fixed message (no paths, stack traces or reflected input; H18). Endpoints throw it; <see cref="ErrorWriter"/> renders it.
/// </summary>
internal sealed class ApiException(int status, string type, string code, string message, string? param = null, TimeSpan? retryAfter = null)
    : Exception(message)
{
    public int Status { get; } = status;

    public string Type { get; } = type;

    public string Code { get; } = code;

    public string? Param { get; } = param;

    public TimeSpan? RetryAfter { get; } = retryAfter;

    public static ApiException Invalid(string message, string? param, string code = ErrorCodes.InvalidValue) =>
        new(400, ErrorTypes.InvalidRequest, code, message, param);

    public static ApiException Busy(string code, string message, TimeSpan retryAfter) =>
        new(503, ErrorTypes.Server, code, message, null, retryAfter);

    /// <summary>The error a response cut by the drain deadline ends with (S01).</summary>
    public static ApiException ShuttingDown() =>
        new(503, ErrorTypes.Server, ErrorCodes.ShuttingDown, "The server is shutting down; this response was cut short.");
}

/// <summary>OpenAI error <c>type</c> values.</summary>
internal static class ErrorTypes
{
    public const string InvalidRequest = "invalid_request_error";
    public const string Authentication = "authentication_error";
    public const string Permission = "permission_error";
    public const string NotFound = "not_found_error";
    public const string RateLimit = "rate_limit_error";
    public const string Server = "server_error";
}

/// <summary>Stable error <c>code</c> values.</summary>
internal static class ErrorCodes
{
    public const string InvalidJson = "invalid_json";
    public const string InvalidValue = "invalid_value";
    public const string UnsupportedParameter = "unsupported_parameter";
    public const string MissingField = "missing_required_parameter";
    public const string UnsupportedMediaType = "unsupported_media_type";
    public const string RequestTooLarge = "request_too_large";
    public const string ContextLengthExceeded = "context_length_exceeded";
    public const string ModelNotFound = "model_not_found";
    public const string ModelLoading = "model_loading";
    public const string InsufficientMemory = "insufficient_memory";
    public const string InvalidModelName = "invalid_model_name";
    public const string InvalidApiKey = "invalid_api_key";
    public const string HostNotAllowed = "host_not_allowed";
    public const string OriginNotAllowed = "origin_not_allowed";
    public const string QueueFull = "server_overloaded";
    public const string QueueTimeout = "queue_timeout";
    public const string RateLimitExceeded = "rate_limit_exceeded";
    public const string ShuttingDown = "shutting_down";
    public const string NotFound = "not_found";
    public const string MethodNotAllowed = "method_not_allowed";
    public const string ServerError = "internal_error";
    public const string ModelUnavailable = "model_unavailable";
    public const string BackendUnavailable = "backend_unavailable";
    public const string BackendError = "backend_error";
    public const string InvalidModelOutput = "invalid_model_output";
    public const string ModelFileMissing = "model_file_missing";
    public const string ModelFileInvalid = "model_file_invalid";
    public const string ModelFileUnreadable = "model_file_unreadable";
}
