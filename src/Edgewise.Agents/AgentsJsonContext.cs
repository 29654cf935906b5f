using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.AI;

namespace Edgewise.Agents;

/// <summary>
/// Source-generated JSON contracts for every type this assembly reads or writes (session documents, tool schemas,
/// tool results, query rows), so the native-AOT binary needs no reflection. Each call site keeps the options it
/// always used; those decide the wire format, this context only supplies the contracts.
/// </summary>
[JsonSerializable(typeof(AgentSession.SessionDocument))]
[JsonSerializable(typeof(object))]
[JsonSerializable(typeof(JsonElement))]
[JsonSerializable(typeof(IDictionary<string, object?>))]
[JsonSerializable(typeof(Dictionary<string, object?>))]
[JsonSerializable(typeof(Dictionary<string, object>))]
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(List<Dictionary<string, object?>>))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(bool))]
[JsonSerializable(typeof(int))]
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(double))]
[JsonSerializable(typeof(float))]
[JsonSerializable(typeof(decimal))]
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(List<string>))]
[JsonSerializable(typeof(object[]))]
[JsonSerializable(typeof(List<object?>))]
internal sealed partial class AgentsJsonContext : JsonSerializerContext
{
    /// <summary>
    /// This context, then Microsoft.Extensions.AI's contracts (which fall back to reflection only where the runtime
    /// allows it, i.e. the JIT build), so a value of a type not listed here serializes as it always did there.
    /// </summary>
    public static IJsonTypeInfoResolver Resolver => Initialized.Resolver;

    /// <summary>The serializer's default settings (what the schema and query code used before) over <see cref="Resolver"/>.</summary>
    public static JsonSerializerOptions PlainOptions => Initialized.PlainOptions;

    /// <summary>The contract for <typeparamref name="T"/> under <paramref name="options"/>.</summary>
    public static JsonTypeInfo<T> Info<T>(JsonSerializerOptions options) => (JsonTypeInfo<T>)options.GetTypeInfo(typeof(T));

    // The generated part sets Default in a field initializer, and the initializers of a partial class's parts run in
    // no defined order: these are built on first use instead, after the context's type initializer has set Default.
    private static class Initialized
    {
        public static readonly IJsonTypeInfoResolver Resolver = JsonTypeInfoResolver.Combine(AgentsJsonContext.Default, AIJsonUtilities.DefaultOptions.TypeInfoResolver!);

        public static readonly JsonSerializerOptions PlainOptions = new() { TypeInfoResolver = Resolver };
    }
}
