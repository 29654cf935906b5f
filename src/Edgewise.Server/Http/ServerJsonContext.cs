using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Edgewise.Server.Ollama;
using Microsoft.Extensions.AI;

namespace Edgewise.Server.Http;

/// <summary>
/// Source-generated JSON contracts for what the server writes, so the native-AOT binary needs no reflection. Each
/// call site keeps the options it always used (<see cref="JsonBody.Options"/>, Microsoft.Extensions.AI's defaults,
/// the serializer's defaults); those decide the wire format, this context only supplies the contracts.
/// </summary>
[JsonSerializable(typeof(OllamaPullStatusDto))]
[JsonSerializable(typeof(object))]
[JsonSerializable(typeof(JsonElement))]
[JsonSerializable(typeof(IDictionary<string, object?>))]
[JsonSerializable(typeof(Dictionary<string, object?>))]
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(bool))]
[JsonSerializable(typeof(int))]
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(double))]
internal sealed partial class ServerJsonContext : JsonSerializerContext
{
    /// <summary>
    /// This context, then Microsoft.Extensions.AI's contracts (which fall back to reflection only where the runtime
    /// allows it, i.e. the JIT build), so a value of a type not listed here serializes as it always did there.
    /// </summary>
    public static IJsonTypeInfoResolver Resolver => Initialized.Resolver;

    /// <summary><see cref="AIJsonUtilities.DefaultOptions"/> (tool arguments and results as the agent API shows them) with this context first.</summary>
    public static JsonSerializerOptions AIOptions => Initialized.AIOptions;

    /// <summary><see cref="JsonBody.Options"/> (the API's snake_case wire shape) over <see cref="Resolver"/>.</summary>
    public static JsonSerializerOptions BodyOptions => Initialized.BodyOptions;

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

        public static readonly JsonSerializerOptions BodyOptions = new(JsonBody.Options) { TypeInfoResolver = Resolver };
    }
}
