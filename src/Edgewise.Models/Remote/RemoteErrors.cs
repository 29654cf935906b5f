using System.ClientModel;
using System.Text.Json;

namespace Edgewise.Models.Remote;

/// <summary>Turns the failures of the OpenAI SDK and of HTTP into <see cref="ModelException"/>s with fixed messages.</summary>
internal static class RemoteErrors
{
    /// <summary>The exception for <paramref name="error"/>, or null when it is not a failure of the remote call (e.g. the caller cancelled).</summary>
    public static ModelException? Map(Exception error, CancellationToken cancellationToken)
    {
        switch (error)
        {
            case ModelException model:
                return model;
            case OperationCanceledException when cancellationToken.IsCancellationRequested:
                return null;
            case OperationCanceledException or TimeoutException:
                return new ModelException(ModelErrorCodes.Timeout, "The remote backend did not answer in time.", error);
            case ClientResultException result when result.Status == 0:
                return result.InnerException is OperationCanceledException or TimeoutException
                    ? new ModelException(ModelErrorCodes.Timeout, "The remote backend did not answer in time.", error)
                    : new ModelException(ModelErrorCodes.Offline, "The remote backend could not be reached; check that it is running and its endpoint URL.", error);
            case ClientResultException result:
                return FromStatus(result.Status, error);
            case HttpRequestException http when http.StatusCode is { } status:
                return FromStatus((int)status, error);
            case HttpRequestException or IOException:
                return new ModelException(ModelErrorCodes.Offline, "The remote backend could not be reached; check that it is running and its endpoint URL.", error);
            case JsonException or FormatException or KeyNotFoundException or InvalidOperationException or ArgumentException:
                return InvalidResponse(error);
            default:
                return null;
        }
    }

    /// <summary>The exception for a response body that is not the expected wire format.</summary>
    public static ModelException InvalidResponse(Exception? error = null) => error is null
        ? new ModelException(ModelErrorCodes.InvalidResponse, "The remote backend sent a response that is not a valid OpenAI chat completion.")
        : new ModelException(ModelErrorCodes.InvalidResponse, "The remote backend sent a response that is not a valid OpenAI chat completion.", error);

    /// <summary>Whether a failover list should try the next backend after <paramref name="error"/>: connection failures, time-outs and 5xx.</summary>
    public static bool IsTransient(ModelException error) =>
        error.Code is ModelErrorCodes.Offline or ModelErrorCodes.Timeout or ModelErrorCodes.BackendUnavailable;

    private static ModelException FromStatus(int status, Exception error) => status switch
    {
        401 or 403 => new ModelException(ModelErrorCodes.Unauthorized, "The remote backend refused the credentials; check the API key named in its configuration.", error),
        404 => new ModelException(ModelErrorCodes.RemoteNotFound, "The remote backend does not know this model or path; check the endpoint URL (it usually ends in /v1) and the model name.", error),
        408 => new ModelException(ModelErrorCodes.Timeout, "The remote backend did not answer in time.", error),
        >= 500 => new ModelException(ModelErrorCodes.BackendUnavailable, "The remote backend failed with a server error.", error),
        _ => new ModelException(ModelErrorCodes.RequestRejected, "The remote backend rejected the request.", error),
    };
}
