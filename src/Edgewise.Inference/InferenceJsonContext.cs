using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.AI;

namespace Edgewise.Inference;

/// <summary>
/// Source-generated JSON contracts for what this assembly serializes (tool-call arguments and tool results put into
/// the chat template), so the native-AOT binary needs no reflection.
/// </summary>
[JsonSerializable(typeof(object))]
[JsonSerializable(typeof(JsonElement))]
[JsonSerializable(typeof(IDictionary<string, object?>))]
[JsonSerializable(typeof(Dictionary<string, object?>))]
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
internal sealed partial class InferenceJsonContext : JsonSerializerContext
{
    /// <summary>
    /// The serializer's default settings (what the template code used before), with this context's contracts first and
    /// Microsoft.Extensions.AI's behind them (those fall back to reflection only where the runtime allows it, i.e. the
    /// JIT build), so a tool result of a type not listed here serializes as it always did there.
    /// </summary>
    public static JsonSerializerOptions TemplateOptions => Initialized.TemplateOptions;

    /// <summary>The contract for <typeparamref name="T"/> under <see cref="TemplateOptions"/>.</summary>
    public static JsonTypeInfo<T> Info<T>() => (JsonTypeInfo<T>)TemplateOptions.GetTypeInfo(typeof(T));

    // The generated part sets Default in a field initializer, and the initializers of a partial class's parts run in
    // no defined order: these are built on first use instead, after the context's type initializer has set Default.
    private static class Initialized
    {
        public static readonly JsonSerializerOptions TemplateOptions = new()
    {
        TypeInfoResolver = JsonTypeInfoResolver.Combine(InferenceJsonContext.Default, AIJsonUtilities.DefaultOptions.TypeInfoResolver!),
    };
    }
}
