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
// What --json prints (CliConsole.WriteJson).
[JsonSerializable(typeof(CliErrorOutput))]
[JsonSerializable(typeof(GenerateOutput))]
[JsonSerializable(typeof(Edgewise.Inference.Generation.TeacherForcedReport))]
[JsonSerializable(typeof(Edgewise.Models.Storage.ModelManifest))]
[JsonSerializable(typeof(IReadOnlyList<Edgewise.Models.Storage.ModelManifest>))]
[JsonSerializable(typeof(List<Edgewise.Models.Catalog.CatalogModel>))]
[JsonSerializable(typeof(Edgewise.Models.Import.ImportResult))]
[JsonSerializable(typeof(RemovedOutput))]
[JsonSerializable(typeof(VerifyOutput))]
[JsonSerializable(typeof(DoctorOutput))]
[JsonSerializable(typeof(List<Commands.BenchCommand.BenchResult>))]
[JsonSerializable(typeof(Commands.BenchServeReport))]
[JsonSerializable(typeof(IReadOnlyList<Commands.ProcessCommands.RunningModel>))]
[JsonSerializable(typeof(Commands.ModelInfo))]
[JsonSerializable(typeof(TokenizeOutput))]
[JsonSerializable(typeof(TextOutput))]
[JsonSerializable(typeof(TemplateOutput))]
[JsonSerializable(typeof(SynthOutput))]
[JsonSerializable(typeof(List<ShapeOutput>))]
[JsonSerializable(typeof(McpListOutput))]
[JsonSerializable(typeof(AgentListOutput))]
[JsonSerializable(typeof(SessionListOutput))]
[JsonSerializable(typeof(SessionDeletedOutput))]
[JsonSerializable(typeof(StoppedOutput))]
[JsonSerializable(typeof(AuditVerifyOutput))]
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

    /// <summary>
    /// <see cref="CliConsole"/>'s output settings (indented, snake_case, enums as snake_case strings, non-ASCII kept)
    /// over this context's generated contracts only: an output type missing here fails in every build, tests included,
    /// not only in the native binary.
    /// </summary>
    public static JsonSerializerOptions OutputOptions => Initialized.OutputOptions;

    /// <summary>The contract for <typeparamref name="T"/> under <paramref name="options"/>.</summary>
    public static JsonTypeInfo<T> Info<T>(JsonSerializerOptions options) => (JsonTypeInfo<T>)options.GetTypeInfo(typeof(T));

    // The generated part sets Default in a field initializer, and the initializers of a partial class's parts run in
    // no defined order: these are built on first use instead, after the context's type initializer has set Default.
    private static class Initialized
    {
        public static readonly IJsonTypeInfoResolver Resolver = JsonTypeInfoResolver.Combine(CliJsonContext.Default, AIJsonUtilities.DefaultOptions.TypeInfoResolver!);

        public static readonly JsonSerializerOptions PlainOptions = new() { TypeInfoResolver = Resolver };

        public static readonly JsonSerializerOptions IndentedOptions = new() { WriteIndented = true, TypeInfoResolver = Resolver };

        public static readonly JsonSerializerOptions OutputOptions = CliConsole.CreateOutputOptions(CliJsonContext.Default);

        public static readonly JsonSerializerOptions StatsOptions = new(Edgewise.Server.Telemetry.ServerStats.JsonOptions) { TypeInfoResolver = Resolver };
    }
}
