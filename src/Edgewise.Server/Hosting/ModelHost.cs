using System.Diagnostics;
using Edgewise.Gguf;
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
internal sealed partial class ModelHost(RegisteredModelResolver resolver, ModelManager manager, AdmissionQueue admission, IHttpContextAccessor http, ILogger<ModelHost> logger)
{
    private static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(2);

    public RegisteredModelResolver Resolver => resolver;

    public ModelManager Manager => manager;

    public AdmissionQueue Admission => admission;

    /// <summary>
    /// Admits and leases <paramref name="model"/>; dispose the session when the response is done. <paramref name="keepAlive"/>
    /// overrides how long the model stays loaded once idle (zero: unload when this request ends; negative: keep loaded).
    /// </summary>
    public async Task<ModelSession> StartAsync(string model, int? key, CancellationToken cancellationToken, TimeSpan? keepAlive = null)
    {
        var descriptor = Resolve(model);
        var priority = RequestGuard.PriorityOf(http.HttpContext);
        var ticket = await admission.EnterAsync(descriptor.Name, key, cancellationToken, priority).ConfigureAwait(false);
        try
        {
            var lease = await manager.AcquireAsync(model, keepAlive, cancellationToken).ConfigureAwait(false);
            return new ModelSession(descriptor.Name, lease, ticket);
        }
        catch (ModelException e)
        {
            ticket.Dispose();
            if (e.Code == ModelErrorCodes.InvalidModelFile)
            {
                LogInvalidModel(logger, descriptor.Name, (e.InnerException as InvalidModelFileException)?.Code ?? e.Code);
            }

            throw Translate(e);
        }
        catch (InvalidModelFileException e)
        {
            ticket.Dispose();
            LogInvalidModel(logger, descriptor.Name, e.Code);
            throw InvalidModel();
        }
        catch (Exception e) when (e is not OperationCanceledException and not ApiException)
        {
            ticket.Dispose();
            LogLoadFailed(logger, descriptor.Name, e);
            throw ApiException.Busy(ErrorCodes.ModelUnavailable, "The model could not be loaded.", RetryAfter);
        }
    }

    /// <summary>Resolves a name or throws the HTTP error for it.</summary>
    public ModelDescriptor Resolve(string model)
    {
        try
        {
            return resolver.Resolve(model);
        }
        catch (ModelException e)
        {
            if (e.Code == ModelErrorCodes.InvalidModelFile)
            {
                LogInvalidModel(logger, model, (e.InnerException as InvalidModelFileException)?.Code ?? e.Code);
            }

            throw Translate(e);
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
    /// request is echoed back, docs/security.md H18); anything else is described generically.
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

    private static ApiException Translate(ModelException e) => e.Code switch
    {
        ModelErrorCodes.ModelNotFound => new ApiException(404, ErrorTypes.InvalidRequest, ErrorCodes.ModelNotFound, "The model does not exist or is not available on this server.", "model"),
        ModelErrorCodes.InvalidModelName => ApiException.Invalid("The model name is not valid.", "model", ErrorCodes.InvalidModelName),
        ModelErrorCodes.InsufficientMemory => ApiException.Busy(ErrorCodes.InsufficientMemory, "The model does not fit in the memory available to the server.", RetryAfter),
        ModelErrorCodes.Timeout => ApiException.Busy(ErrorCodes.ModelLoading, "The model is still loading; retry shortly.", RetryAfter),
        ModelErrorCodes.InvalidModelFile => InvalidModel(),
        _ => ApiException.Busy(ErrorCodes.ModelUnavailable, "The model could not be loaded.", RetryAfter),
    };

    /// <summary>
    /// A model whose file does not validate: 503 (M14: it is served again once the file is put right) but with no
    /// Retry-After, since retrying alone will not fix it, and its own code so clients and operators can tell it from
    /// a busy or loading model. The reason goes to the server log only (H18).
    /// </summary>
    private static ApiException InvalidModel() =>
        new(503, ErrorTypes.Server, ErrorCodes.ModelInvalid, "The model's file cannot be run by this server; the server log says why.");

    [LoggerMessage(Level = LogLevel.Error, Message = "Model {Model} cannot be loaded: its file does not validate ({Code})")]
    private static partial void LogInvalidModel(ILogger logger, string model, string code);

    [LoggerMessage(Level = LogLevel.Error, Message = "Loading model {Model} failed")]
    private static partial void LogLoadFailed(ILogger logger, string model, Exception exception);
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
