using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Edgewise.Server.Ollama;
using Edgewise.Server.WebConsole;
using Microsoft.Extensions.AI;

namespace Edgewise.Server.Http;

/// <summary>
/// Source-generated JSON contracts for every body the server reads and writes, so the native-AOT binary needs no
/// reflection. Each call site keeps the wire format it always had through its options (<see cref="BodyOptions"/>:
/// snake_case without nulls; <see cref="WireOptions"/>: snake_case with nulls, as <c>/admin/stats</c>, <c>/admin/alerts</c>
/// and the OpenAI stream errors write them); this context only supplies the contracts.
/// </summary>
/// <remarks>
/// <see cref="BodyOptions"/> and <see cref="WireOptions"/> resolve from this context and Microsoft.Extensions.AI's
/// generated contracts only, never by reflection, so a body type missing here fails in every build (tests included),
/// not only in the native binary. <see cref="AIOptions"/> (tool arguments and results, whose types tools choose) keeps
/// Microsoft.Extensions.AI's reflection fallback where the runtime allows it.
/// </remarks>
// Requests.
[JsonSerializable(typeof(Edgewise.Server.OpenAi.ChatCompletionRequest))]
[JsonSerializable(typeof(Edgewise.Server.OpenAi.CompletionRequestDto))]
[JsonSerializable(typeof(OllamaChatRequest))]
[JsonSerializable(typeof(OllamaGenerateRequest))]
[JsonSerializable(typeof(OllamaShowRequest))]
[JsonSerializable(typeof(OllamaPullRequest))]
[JsonSerializable(typeof(Edgewise.Server.Agents.AgentRunRequest))]
[JsonSerializable(typeof(Edgewise.Server.Agents.ApprovalRequestBody))]
// Responses and stream events.
[JsonSerializable(typeof(Edgewise.Server.OpenAi.ChatCompletionDto))]
[JsonSerializable(typeof(Edgewise.Server.OpenAi.ChatCompletionChunkDto))]
[JsonSerializable(typeof(Edgewise.Server.OpenAi.CompletionDto))]
[JsonSerializable(typeof(Edgewise.Server.OpenAi.ModelListDto))]
[JsonSerializable(typeof(Edgewise.Server.OpenAi.ModelDto))]
[JsonSerializable(typeof(OllamaShowDto))]
[JsonSerializable(typeof(OllamaChunkDto))]
[JsonSerializable(typeof(OllamaModelListDto))]
[JsonSerializable(typeof(OllamaVersionDto))]
[JsonSerializable(typeof(OllamaErrorDto))]
[JsonSerializable(typeof(OllamaPullStatusDto))]
[JsonSerializable(typeof(Edgewise.Server.Agents.AgentListDto))]
[JsonSerializable(typeof(Edgewise.Server.Agents.AgentRunDto))]
[JsonSerializable(typeof(Edgewise.Server.Agents.SessionDto))]
[JsonSerializable(typeof(Edgewise.Server.Agents.SessionListDto))]
[JsonSerializable(typeof(Edgewise.Server.Agents.SessionDeletedDto))]
[JsonSerializable(typeof(Edgewise.Server.Agents.EventDto))]
[JsonSerializable(typeof(AgentSessionEventDto))]
[JsonSerializable(typeof(AgentTextEventDto))]
[JsonSerializable(typeof(ListDto<ConsoleApiEndpoints.PendingApprovalRowDto>))]
[JsonSerializable(typeof(ListDto<ConsoleApiEndpoints.McpServerDto>))]
[JsonSerializable(typeof(ConsoleApiEndpoints.AuditPageDto))]
[JsonSerializable(typeof(ConsoleApiEndpoints.AdminModelsDto))]
[JsonSerializable(typeof(ConsoleApiEndpoints.SeriesDto))]
[JsonSerializable(typeof(Edgewise.Server.Telemetry.ServerStats))]
[JsonSerializable(typeof(Edgewise.Server.Alerts.ObservabilityEndpoints.AlertsDto))]
[JsonSerializable(typeof(Edgewise.Server.Health.HealthEndpoints.ReadyDto))]
[JsonSerializable(typeof(Microsoft.AspNetCore.Mvc.ProblemDetails))]
// Values typed object (tool arguments, GGUF metadata in /api/show) and the pieces callers ask for by name.
[JsonSerializable(typeof(object))]
[JsonSerializable(typeof(JsonElement))]
[JsonSerializable(typeof(IDictionary<string, object?>))]
[JsonSerializable(typeof(Dictionary<string, object?>))]
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(List<object?>))]
[JsonSerializable(typeof(object[]))]
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(bool))]
[JsonSerializable(typeof(int))]
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(ulong))]
[JsonSerializable(typeof(float))]
[JsonSerializable(typeof(double))]
[JsonSerializable(typeof(decimal))]
internal sealed partial class ServerJsonContext : JsonSerializerContext
{
    /// <summary>
    /// This context, then Microsoft.Extensions.AI's contracts (which fall back to reflection only where the runtime
    /// allows it, i.e. the JIT build), so a value of a type not listed here serializes as it always did there.
    /// </summary>
    public static IJsonTypeInfoResolver Resolver => Initialized.Resolver;

    /// <summary><see cref="AIJsonUtilities.DefaultOptions"/> (tool arguments and results as the agent API shows them) with this context first.</summary>
    public static JsonSerializerOptions AIOptions => Initialized.AIOptions;

    /// <summary><see cref="JsonBody.Options"/> (the API's snake_case wire shape, nulls left out) over generated contracts only.</summary>
    public static JsonSerializerOptions BodyOptions => Initialized.BodyOptions;

    /// <summary><see cref="Edgewise.Server.Telemetry.ServerStats.JsonOptions"/> (snake_case, nulls written) over generated contracts only.</summary>
    public static JsonSerializerOptions WireOptions => Initialized.WireOptions;

    /// <summary><paramref name="value"/> as UTF-8 JSON under <see cref="BodyOptions"/>.</summary>
    public static byte[] BodyBytes<T>(T value) => JsonSerializer.SerializeToUtf8Bytes(value, Info<T>(BodyOptions));

    /// <summary><paramref name="value"/> as UTF-8 JSON under <see cref="WireOptions"/>.</summary>
    public static byte[] WireBytes<T>(T value) => JsonSerializer.SerializeToUtf8Bytes(value, Info<T>(WireOptions));

    /// <summary>The contract for <typeparamref name="T"/> under <paramref name="options"/>.</summary>
    public static JsonTypeInfo<T> Info<T>(JsonSerializerOptions options) => (JsonTypeInfo<T>)options.GetTypeInfo(typeof(T));

    private static JsonSerializerOptions CreateAIOptions()
    {
        var options = new JsonSerializerOptions(AIJsonUtilities.DefaultOptions);
        options.TypeInfoResolverChain.Insert(0, Default);
        options.MakeReadOnly();
        return options;
    }

    // The generated part sets Default in a field initializer, and the initializers of a partial class's parts run in
    // no defined order: these are built on first use instead, after the context's type initializer has set Default.
    private static class Initialized
    {
        public static readonly IJsonTypeInfoResolver Resolver = JsonTypeInfoResolver.Combine(ServerJsonContext.Default, AIJsonUtilities.DefaultOptions.TypeInfoResolver!);

        public static readonly JsonSerializerOptions AIOptions = CreateAIOptions();

        /// <summary>This context, then Microsoft.Extensions.AI's generated contracts without its reflection fallback.</summary>
        public static readonly IJsonTypeInfoResolver Strict = JsonTypeInfoResolver.Combine(
            [ServerJsonContext.Default, .. AIJsonUtilities.DefaultOptions.TypeInfoResolverChain.Where(r => r is not DefaultJsonTypeInfoResolver)]);

        public static readonly JsonSerializerOptions BodyOptions = ReadOnly(new(JsonBody.Options) { TypeInfoResolver = Strict });

        public static readonly JsonSerializerOptions WireOptions = ReadOnly(new(Edgewise.Server.Telemetry.ServerStats.JsonOptions) { TypeInfoResolver = Strict });

        private static JsonSerializerOptions ReadOnly(JsonSerializerOptions options)
        {
            options.MakeReadOnly();
            return options;
        }
    }
}
