using Edgewise.Agents.Storage;
using Edgewise.Cli.Commands;
using Edgewise.Models.Hardware;

namespace Edgewise.Cli;

// The shapes that --json prints, one named record each so the source-generated contracts of CliJsonContext cover them
// (the native-AOT binary has no reflection to serialize anonymous types). CliConsole's options name the properties
// snake_case, so each record's PascalCase names print as they always have.

/// <summary><c>{"error": {"code", "message"}}</c>: a failure under <c>--json</c>.</summary>
internal sealed record CliErrorOutput(CliErrorDetail Error);

/// <summary>The body of <see cref="CliErrorOutput"/>.</summary>
internal sealed record CliErrorDetail(string Code, string Message);

/// <summary><c>edgewise generate --json</c>.</summary>
internal sealed record GenerateOutput(
    IReadOnlyList<int> PromptTokens,
    IReadOnlyList<int> Tokens,
    string Text,
    string FinishReason,
    int NPrompt,
    int NGen,
    double PromptTokensPerSecond,
    double GenerationTokensPerSecond,
    int Threads);

/// <summary><c>edgewise rm --json</c>.</summary>
internal sealed record RemovedOutput(IReadOnlyList<string> Removed);

/// <summary><c>edgewise verify --json</c>.</summary>
internal sealed record VerifyOutput(IReadOnlyList<ModelStoreCommands.VerifyResult> Models, int Failed);

/// <summary><c>edgewise doctor --json</c>.</summary>
internal sealed record DoctorOutput(
    HardwareInfo Hardware,
    string DataDirectory,
    long MemoryBudgetBytes,
    StoreDoctor.Measurement? Measurement,
    IReadOnlyList<StoreDoctor.Recommendation> Recommendations,
    IReadOnlyList<Models.Remote.DiscoveredServer> LocalServers);

/// <summary><c>edgewise tokenize --json</c>.</summary>
internal sealed record TokenizeOutput(IReadOnlyList<int> Tokens, IReadOnlyList<string> Pieces, int Count);

/// <summary><c>edgewise detokenize --json</c>.</summary>
internal sealed record TextOutput(string Text);

/// <summary><c>edgewise template --json</c>.</summary>
internal sealed record TemplateOutput(string Text, IReadOnlyList<string> Warnings);

/// <summary><c>edgewise model synth --json</c>.</summary>
internal sealed record SynthOutput(string File, string Shape, string Quant, long Bytes, long Parameters, double Seconds);

/// <summary>One line of <c>edgewise model shapes --json</c>.</summary>
internal sealed record ShapeOutput(string Name, string Source, string Architecture, long Parameters);

/// <summary><c>edgewise mcp ls --json</c>.</summary>
internal sealed record McpListOutput(IReadOnlyList<McpToolOutput> Data, IReadOnlyList<McpMissingPinOutput> Missing);

/// <summary>One tool of <see cref="McpListOutput"/>.</summary>
internal sealed record McpToolOutput(string Server, string Tool, string Description, string Hash, string Status, string? PinnedHash, bool InvisibleCharacters, bool Enabled);

/// <summary>A pin whose tool the server no longer lists.</summary>
internal sealed record McpMissingPinOutput(string Server, string Tool);

/// <summary><c>edgewise agent ls --json</c>.</summary>
internal sealed record AgentListOutput(IReadOnlyList<AgentOutput> Data, IReadOnlyList<RouterOutput> Routers);

/// <summary>One agent of <see cref="AgentListOutput"/>.</summary>
internal sealed record AgentOutput(
    string Name,
    string Description,
    string Model,
    IReadOnlyList<string> Tools,
    IReadOnlyList<string> ApprovalRequired,
    bool Private,
    string? Escalation,
    string? Fallback,
    IReadOnlyList<string> Handoffs,
    AgentContextOutput? Context);

/// <summary>An agent's context window settings.</summary>
internal sealed record AgentContextOutput(string Strategy, int? MaxMessages, int? MaxChars);

/// <summary>One router of <see cref="AgentListOutput"/>.</summary>
internal sealed record RouterOutput(string Name, string Model, IReadOnlyList<string> Agents);

/// <summary><c>edgewise sessions --json</c>.</summary>
internal sealed record SessionListOutput(IReadOnlyList<SessionOutput> Data);

/// <summary>One session of <see cref="SessionListOutput"/>.</summary>
internal sealed record SessionOutput(string Id, string? Agent, int Messages, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary><c>edgewise sessions rm --json</c>.</summary>
internal sealed record SessionDeletedOutput(string Deleted);

/// <summary><c>edgewise stop --json</c>.</summary>
internal sealed record StoppedOutput(string Stopped);

/// <summary><c>edgewise audit verify --json</c>.</summary>
internal sealed record AuditVerifyOutput(bool Valid, long RowsChecked, long? FirstBrokenSeq, string HeadHash, string? Problem, long RowsPastHead);
