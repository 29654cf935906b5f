namespace Edgewise.Server.Telemetry;

/// <summary>Span and attribute names: the OpenTelemetry HTTP and gen_ai semantic conventions. Never prompt or output content.</summary>
internal static class GenAiAttributes
{
    public const string OperationName = "gen_ai.operation.name";
    public const string ProviderName = "gen_ai.provider.name";
    public const string System = "gen_ai.system";
    public const string RequestModel = "gen_ai.request.model";
    public const string RequestMaxTokens = "gen_ai.request.max_tokens";
    public const string RequestTemperature = "gen_ai.request.temperature";
    public const string RequestTopP = "gen_ai.request.top_p";
    public const string RequestTopK = "gen_ai.request.top_k";
    public const string RequestSeed = "gen_ai.request.seed";
    public const string ResponseId = "gen_ai.response.id";
    public const string ResponseModel = "gen_ai.response.model";
    public const string ResponseFinishReasons = "gen_ai.response.finish_reasons";
    public const string InputTokens = "gen_ai.usage.input_tokens";
    public const string OutputTokens = "gen_ai.usage.output_tokens";
    public const string ErrorType = "error.type";

    public const string HttpMethod = "http.request.method";
    public const string HttpRoute = "http.route";
    public const string HttpStatus = "http.response.status_code";
    public const string UrlScheme = "url.scheme";
    public const string ServerAddress = "server.address";
    public const string ServerPort = "server.port";
    public const string ProtocolVersion = "network.protocol.version";

    /// <summary>The provider name when the client does not report one.</summary>
    public const string DefaultProvider = "edgewise";
}
