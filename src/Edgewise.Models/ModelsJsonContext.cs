using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Edgewise.Models.Catalog;
using Edgewise.Models.Storage;
using Microsoft.Extensions.AI;

namespace Edgewise.Models;

/// <summary>
/// Source-generated JSON contracts for every type this assembly reads or writes, so the native-AOT binary needs no
/// reflection. Each call site keeps its own <see cref="JsonSerializerOptions"/> (naming policy, indentation, ...) and
/// takes its contracts from here; the options decide the wire format exactly as before.
/// </summary>
[JsonSerializable(typeof(ModelCatalog.CatalogDocument))]
[JsonSerializable(typeof(ModelManifest))]
[JsonSerializable(typeof(object))]
[JsonSerializable(typeof(JsonElement))]
[JsonSerializable(typeof(Dictionary<string, object?>))]
[JsonSerializable(typeof(IDictionary<string, object?>))]
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
internal sealed partial class ModelsJsonContext : JsonSerializerContext
{
    /// <summary>
    /// This context, then Microsoft.Extensions.AI's contracts for its own types (which fall back to reflection only
    /// where the runtime allows it, i.e. the JIT build): a tool argument or result of a type not listed here
    /// serializes as it always did there, and the native binary keeps to generated contracts.
    /// </summary>
    public static IJsonTypeInfoResolver Resolver => Initialized.Resolver;

    /// <summary>The contract for <typeparamref name="T"/> under <paramref name="options"/>.</summary>
    public static JsonTypeInfo<T> Info<T>(JsonSerializerOptions options) => (JsonTypeInfo<T>)options.GetTypeInfo(typeof(T));

    // The generated part sets Default in a field initializer, and the initializers of a partial class's parts run in
    // no defined order: these are built on first use instead, after the context's type initializer has set Default.
    private static class Initialized
    {
        public static readonly IJsonTypeInfoResolver Resolver = JsonTypeInfoResolver.Combine(ModelsJsonContext.Default, AIJsonUtilities.DefaultOptions.TypeInfoResolver!);
    }
}
