using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Edgewise.Server.Telemetry;
using Microsoft.Extensions.AI;

namespace Edgewise.Cli;

/// <summary>
/// Source-generated JSON contracts for what the commands send and read, so the native-AOT binary needs no
/// reflection. Each call site keeps the options it always used; those decide the wire format.
/// </summary>
[JsonSerializable(typeof(ServerStats))]
[JsonSerializable(typeof(JsonElement))]
[JsonSerializable(typeof(Dictionary<string, object>))]
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(Dictionary<string, string>[]))]
[JsonSerializable(typeof(Dictionary<string, bool>))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(bool))]
[JsonSerializable(typeof(int))]
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(double))]
internal sealed partial class CliJsonContext : JsonSerializerContext
{
    /// <summary>
    /// This context, then Microsoft.Extensions.AI's contracts (which fall back to reflection only where the runtime
    /// allows it, i.e. the JIT build), so a value of a type not listed here serializes as it always did there.
    /// </summary>
    public static IJsonTypeInfoResolver Resolver => Initialized.Resolver;

    /// <summary>The serializer's default settings (what request bodies used before) over <see cref="Resolver"/>.</summary>
    public static JsonSerializerOptions PlainOptions => Initialized.PlainOptions;

    /// <summary>Default settings, indented (schemas printed for people).</summary>
    public static JsonSerializerOptions IndentedOptions => Initialized.IndentedOptions;

    /// <summary><see cref="Edgewise.Server.Telemetry.ServerStats.JsonOptions"/> (the stats wire shape) over <see cref="Resolver"/>.</summary>
    public static JsonSerializerOptions StatsOptions => Initialized.StatsOptions;

    /// <summary>The contract for <typeparamref name="T"/> under <paramref name="options"/>.</summary>
    public static JsonTypeInfo<T> Info<T>(JsonSerializerOptions options) => (JsonTypeInfo<T>)options.GetTypeInfo(typeof(T));

    // The generated part sets Default in a field initializer, and the initializers of a partial class's parts run in
    // no defined order: these are built on first use instead, after the context's type initializer has set Default.
    private static class Initialized
    {
        public static readonly IJsonTypeInfoResolver Resolver = JsonTypeInfoResolver.Combine(CliJsonContext.Default, AIJsonUtilities.DefaultOptions.TypeInfoResolver!);

        public static readonly JsonSerializerOptions PlainOptions = new() { TypeInfoResolver = Resolver };

        public static readonly JsonSerializerOptions IndentedOptions = new() { WriteIndented = true, TypeInfoResolver = Resolver };

        public static readonly JsonSerializerOptions StatsOptions = new(Edgewise.Server.Telemetry.ServerStats.JsonOptions) { TypeInfoResolver = Resolver };
    }
}
