namespace Edgewise.Models.Remote;

/// <summary>
/// Error codes of <see cref="ModelException"/> that only remote backends raise, beside the shared ones in
/// <see cref="ModelErrorCodes"/> (<see cref="ModelErrorCodes.Unauthorized"/>, <see cref="ModelErrorCodes.RemoteNotFound"/>,
/// <see cref="ModelErrorCodes.Offline"/>, <see cref="ModelErrorCodes.Timeout"/>, <see cref="ModelErrorCodes.BackendUnavailable"/>).
/// </summary>
public static class RemoteErrorCodes
{
    /// <summary>The remote backend refused the request as invalid (a 4xx other than 401, 403 and 404).</summary>
    public const string RequestRejected = "request_rejected";

    /// <summary>The remote backend answered with a body that is not a valid OpenAI chat-completions response.</summary>
    public const string InvalidResponse = "invalid_response";
}
