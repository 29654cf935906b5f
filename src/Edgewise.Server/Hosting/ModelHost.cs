using System.Diagnostics;
using Edgewise.Gguf;
using Edgewise.Hosting;
using Edgewise.Inference;
using Edgewise.Inference.Constraints;
using Edgewise.Inference.Runtime;
using Edgewise.Models;
using Edgewise.Models.Management;
using Edgewise.Server.Admission;
using Edgewise.Server.Errors;
using Edgewise.Server.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace Edgewise.Server.Hosting;

/// <summary>
/// The path from an endpoint to a chat client: resolve the name (404 for unknown models before anything is queued, so
/// queues and metric labels exist only for real models), wait for admission, then lease the model from the
/// <see cref="ModelManager"/>. The admission priority comes from the current request's <c>X-Edgewise-Priority</c> header.
/// Model-layer failures become fixed HTTP errors here (H09, M12, M13). New requests are refused while draining by the
/// request guard, not here: a request already in flight (an agent run calling its model again after a tool) may finish (S01).
/// </summary>
internal sealed partial class ModelHost(RegisteredModelResolver resolver, ModelManager manager, AdmissionQueue admission, IHttpContextAccessor http, ILoggerFactory loggers)
{
    /// <summary>The category of model load and unload lines (TrackingModelLoader writes the same one).</summary>
    private readonly ILogger logger = loggers.CreateLogger("Edgewise.Models");

    private static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(2);

    public RegisteredModelResolver Resolver => resolver;

    public ModelManager Manager => manager;

    public AdmissionQueue Admission => admission;

    /// <summary>
    /// Admits and leases <paramref name="model"/>; dispose the session when the response is done. <paramref name="keepAlive"/>
    /// overrides how long the model stays loaded once idle (zero: unload when this request ends; negative: keep loaded).
    /// A model whose client does not declare every capability <paramref name="options"/> ask for (a raw prompt, logprobs:
    /// a remote backend has neither) is refused with 400 naming the parameter, instead of the request being answered as if
    /// it had not asked.
    /// </summary>
    public async Task<ModelSession> StartAsync(string model, int? key, CancellationToken cancellationToken, TimeSpan? keepAlive = null, ChatOptions? options = null)
    {
        var descriptor = Resolve(model);
        var priority = RequestGuard.PriorityOf(http.HttpContext);
        var ticket = await admission.EnterAsync(descriptor.Name, key, cancellationToken, priority).ConfigureAwait(false);
        try
        {
            var lease = await manager.AcquireAsync(model, keepAlive, cancellationToken).ConfigureAwait(false);
            var missing = options.RequiredCapabilities() & ~lease.ChatClient.Capabilities();
            if (missing != ChatCapabilities.None)
            {
                lease.Dispose();
                ticket.Dispose();
                throw Unsupported(missing);
            }

            return new ModelSession(descriptor.Name, lease, ticket);
        }
        catch (ModelException e)
        {
            ticket.Dispose();
            var error = Translate(e);
            if (e.Code is ModelErrorCodes.InsufficientMemory or ModelErrorCodes.InvalidModelFile && !e.Data.Contains(TrackingModelLoader.LoggedKey))
            {
                // Refused before the loader ran (the loader logs its own failures).
                LogNotLoaded(logger, descriptor.Name, error.Code, error.Message);
            }

            throw error;
        }
        catch (Exception e) when (e is not OperationCanceledException and not ApiException)
        {
            // The client gets the cause and code the log line names (TrackingModelLoader logs the loader's failures).
            ticket.Dispose();
            var error = LoadFailure(e, descriptor.Path) ?? ApiException.Busy(ErrorCodes.ModelUnavailable, "The model could not be loaded; the server log names the cause.", RetryAfter);
            if (!e.Data.Contains(TrackingModelLoader.LoggedKey))
            {
                LogNotLoaded(logger, descriptor.Name, error.Code, error.Code == ErrorCodes.ModelUnavailable ? e.GetType().Name + ": " + e.Message : error.Message);
            }

            throw error;
        }
    }

    /// <summary>The 400 for a request asking for capabilities its model lacks (the raw prompt first: it is the whole request).</summary>
    internal static ApiException Unsupported(ChatCapabilities missing) => (missing & ChatCapabilities.RawPrompt) != 0
        ? ApiException.Invalid("This model does not take raw prompts (it is served by a remote backend): use /v1/chat/completions, or a model on the embedded engine.", "prompt", ErrorCodes.UnsupportedParameter)
        : ApiException.Invalid("This model does not report log probabilities (it is served by a remote backend): remove logprobs, or use a model on the embedded engine.", "logprobs", ErrorCodes.UnsupportedParameter);

    /// <summary>Resolves a name or throws the HTTP error for it.</summary>
    public ModelDescriptor Resolve(string model)
    {
        try
        {
            return resolver.Resolve(model);
        }
        catch (ModelException e)
        {
            var error = Translate(e);
            if (e.Code == ModelErrorCodes.InvalidModelFile)
            {
                LogNotLoaded(logger, model, error.Code, error.Message);
            }

            throw error;
        }
    }

    /// <summary>Maps a failure raised while generating to an HTTP error, or null when it is not an expected one.</summary>
    public static ApiException? TranslateGeneration(Exception e) => e switch
    {
        ApiException api => api,
        ContextLimitExceededException c => new ApiException(
            400,
            ErrorTypes.InvalidRequest,
            ErrorCodes.ContextLengthExceeded,
            $"The prompt needs {c.Required} tokens but the model's context holds {c.ContextLength}; shorten the messages.",
            "messages"),
        UnsupportedSchemaFeatureException u => ApiException.Invalid(
            $"The JSON schema uses {DescribeSchemaFeature(u.Feature)}, which this server cannot enforce; simplify the schema.",
            "response_format",
            "unsupported_schema"),
        ModelException m => Translate(m),
        _ => null,
    };

    /// <summary>
    /// Names the refused schema feature by its JSON Schema keyword when it is one (a closed set, so nothing from the
    /// request is echoed back, SECURITY.md H18); anything else is described generically.
    /// </summary>
    internal static string DescribeSchemaFeature(string feature)
    {
        var end = feature.IndexOfAny([' ', '(', '\'']);
        var keyword = end < 0 ? feature : feature[..end];
        return s_schemaKeywords.Contains(keyword) ? $"'{keyword}'" : "a keyword or value it does not support";
    }

    private static readonly HashSet<string> s_schemaKeywords = new(StringComparer.Ordinal)
    {
        "type", "enum", "const", "properties", "required", "additionalProperties", "patternProperties", "propertyNames",
        "minProperties", "maxProperties", "dependentRequired", "dependentSchemas", "unevaluatedProperties", "items",
        "prefixItems", "additionalItems", "unevaluatedItems", "contains", "minContains", "maxContains", "minItems",
        "maxItems", "uniqueItems", "minLength", "maxLength", "pattern", "format", "minimum", "maximum",
        "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "allOf", "anyOf", "oneOf", "not", "if", "then", "else",
        "$ref", "$defs", "definitions", "$anchor", "$dynamicRef", "$dynamicAnchor", "$recursiveRef", "$id",
    };

    /// <summary>
    /// The client's error for a model that failed to load, naming the cause with a code: the file is missing
    /// (<c>model_file_missing</c>), unreadable (<c>model_file_unreadable</c>) or not a runnable GGUF model
    /// (<c>model_file_invalid</c>, with the reader's code), or the memory ran out (<c>insufficient_memory</c>). Null for
    /// other failures. No path is named (H18): the server's log line names the model.
    /// </summary>
    internal static ApiException? LoadFailure(Exception e, string path) => e switch
    {
        ModelException m => Translate(m),
        FileNotFoundException or DirectoryNotFoundException => Missing(),
        InvalidModelFileException { Code: GgufErrorCodes.Io } when !File.Exists(path) => Missing(),
        UnauthorizedAccessException or InvalidModelFileException { Code: GgufErrorCodes.Io } => new ApiException(
            503, ErrorTypes.Server, ErrorCodes.ModelFileUnreadable, "The server may not read the model's file: check its permissions and the disk."),
        InvalidModelFileException g => InvalidFile(g.Code),
        OutOfMemoryException or InsufficientMemoryException => ApiException.Busy(ErrorCodes.InsufficientMemory, "The model does not fit in the memory available to the server.", RetryAfter),
        IOException => new ApiException(503, ErrorTypes.Server, ErrorCodes.ModelFileUnreadable, "The model's file could not be read: check the disk and the file."),
        _ => null,
    };

    private static ApiException Missing() => new(
        503, ErrorTypes.Server, ErrorCodes.ModelFileMissing, "The model's file is missing on the server: check the path given to --model or in edgewise.yaml, or import the model again.");

    private static ApiException InvalidFile(string? readerCode) => new(
        503,
        ErrorTypes.Server,
        ErrorCodes.ModelFileInvalid,
        readerCode is { Length: > 0 and <= 64 } code && code.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.')
            ? $"The model's file is not a runnable GGUF model ({code}): check that it is a GGUF file of a supported architecture, or import it again."
            : "The model's file is not a runnable GGUF model: check that it is a GGUF file of a supported architecture, or import it again.");

    private static ApiException Translate(ModelException e) => e.Code switch
    {
        ModelErrorCodes.InvalidModelFile => InvalidFile((e.InnerException as InvalidModelFileException)?.Code),
        ModelErrorCodes.ModelNotFound => new ApiException(404, ErrorTypes.InvalidRequest, ErrorCodes.ModelNotFound, "The model does not exist or is not available on this server.", "model"),
        ModelErrorCodes.InvalidModelName => ApiException.Invalid("The model name is not valid.", "model", ErrorCodes.InvalidModelName),
        ModelErrorCodes.InsufficientMemory => ApiException.Busy(ErrorCodes.InsufficientMemory, "The model does not fit in the memory available to the server.", RetryAfter),
        ModelErrorCodes.Timeout => ApiException.Busy(ErrorCodes.ModelLoading, "The model is still loading; retry shortly.", RetryAfter),

        // A remote model's backends: an outage is worth retrying; a backend that refuses or garbles is a configuration
        // or backend fault (502); a request it rejects is the caller's (400).
        ModelErrorCodes.BackendUnavailable or ModelErrorCodes.Offline => ApiException.Busy(ErrorCodes.BackendUnavailable, "No remote backend of this model could answer, or one failed in the middle of the answer; retry shortly.", RetryAfter),
        ModelErrorCodes.InvalidResponse => new ApiException(502, ErrorTypes.Server, ErrorCodes.BackendError, "A remote backend of this model sent an invalid answer or broke it off."),
        ModelErrorCodes.Unauthorized or ModelErrorCodes.RemoteNotFound => new ApiException(502, ErrorTypes.Server, ErrorCodes.BackendError, "A remote backend of this model refused the server's credentials or does not know the model; check the model's configuration."),
        ModelErrorCodes.InvalidOutput => new ApiException(
            502,
            ErrorTypes.Server,
            ErrorCodes.InvalidModelOutput,
            "The model's answer does not keep the requested format"
                + (e.InnerException is ConstraintViolationException v ? " (rule '" + v.Violation.Rule + "')" : string.Empty)
                + "; a remote backend may have ignored response_format."),
        ModelErrorCodes.RequestRejected => ApiException.Invalid("The remote backend rejected the request.", null, ErrorCodes.InvalidValue),
        _ => ApiException.Busy(ErrorCodes.ModelUnavailable, "The model could not be loaded.", RetryAfter),
    };

    [LoggerMessage(Level = LogLevel.Error, Message = "Model {Model} not loaded: {Code}: {Cause}")]
    private static partial void LogNotLoaded(ILogger logger, string model, string code, string cause);
}

/// <summary>An admitted request holding a lease on its model.</summary>
internal sealed class ModelSession(string model, ModelLease lease, IDisposable ticket) : IDisposable
{
    public string Model { get; } = model;

    public IChatClient Client => lease.ChatClient;

    /// <summary>When the request was admitted and leased, for time-to-first-token.</summary>
    public long StartedTimestamp { get; } = Stopwatch.GetTimestamp();

    public void Dispose()
    {
        lease.Dispose();
        ticket.Dispose();
    }
}
